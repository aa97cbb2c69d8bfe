//! Session data shared by the server's middleware and the pages (server only).
//!
//! The server validates the session on every request (idle and absolute
//! expiry against the engine's clock, the account's session epoch) and puts a
//! [`CurrentAccount`] into the request's extensions; pages read that.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::model::Flash;

pub const USER_KEY: &str = "user";
pub const FLASH_KEY: &str = "flash";

/// What a signed-in session stores.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionUser {
    pub user_id: String,
    /// The account's session epoch at sign-in; a password reset bumps it.
    pub epoch: i32,
    pub authenticated_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// The account behind this request's session, if any.
#[derive(Debug, Clone, Default)]
pub struct CurrentAccount(pub Option<engine::people::accounts::Account>);

/// Reads and removes the flash, when it belongs to `form`.
pub async fn take_flash(session: &Session, form: &str) -> Flash {
    // A page with several forms names them all, space-separated; the
    // flash keeps the name of the form it is for.
    let mut forms = form.split_whitespace();
    match session.get::<Flash>(FLASH_KEY).await {
        Ok(Some(flash)) if forms.clone().any(|f| f == flash.form) => {
            let _ = session.remove::<Flash>(FLASH_KEY).await;
            flash
        }
        _ => Flash {
            form: forms.next().unwrap_or_default().to_owned(),
            ..Flash::default()
        },
    }
}

pub async fn set_flash(session: &Session, flash: Flash) {
    if let Err(e) = session.insert(FLASH_KEY, flash).await {
        tracing::warn!(error = %e, "could not store a flash message");
    }
}

/// Ends the session: its data is deleted from the store, and whatever the
/// rest of the request stores (a flash message) goes under a new id, never
/// the old one, so a copied cookie is worth nothing afterwards.
pub async fn end_session(session: &Session) -> Result<(), tower_sessions::session::Error> {
    session.flush().await?;
    session.cycle_id().await
}
