//! Resolves the session to an account on every page request, enforcing the
//! idle timeout, the absolute lifetime and the account's session epoch.

use app::session::{end_session, CurrentAccount, SessionUser, USER_KEY};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use chrono::Duration;
use tower_sessions::Session;

use super::AppState;

/// A session unused for this long ends.
pub const IDLE_TIMEOUT: Duration = Duration::minutes(30);
/// A session ends this long after sign-in, however active.
pub const ABSOLUTE_LIFETIME: Duration = Duration::hours(12);
/// `last_seen_at` is written at most this often, to spare the store.
const TOUCH_EVERY: Duration = Duration::seconds(60);

pub async fn load_account(
    State(state): State<AppState>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    let account = match current(&state, &session).await {
        Ok(account) => account,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "could not resolve the session");
            None
        }
    };
    request.extensions_mut().insert(CurrentAccount(account));
    next.run(request).await
}

async fn current(
    state: &AppState,
    session: &Session,
) -> anyhow::Result<Option<engine::people::accounts::Account>> {
    let Some(mut user) = session.get::<SessionUser>(USER_KEY).await? else {
        return Ok(None);
    };
    let now = state.engine.now();
    let expired =
        now - user.last_seen_at >= IDLE_TIMEOUT || now - user.authenticated_at >= ABSOLUTE_LIFETIME;
    let account = if expired {
        None
    } else {
        state.engine.account(&user.user_id).await?
    };
    match account {
        Some(account) if account.session_epoch == user.epoch => {
            if now - user.last_seen_at >= TOUCH_EVERY {
                user.last_seen_at = now;
                session.insert(USER_KEY, &user).await?;
            }
            Ok(Some(account))
        }
        _ => {
            // Expired, or the account changed its password or is gone.
            end_session(session).await?;
            Ok(None)
        }
    }
}
