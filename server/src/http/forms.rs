//! Account form posts. Each unpacks the form, calls the engine and answers
//! 303 See Other: to the next page, or back to the form with its errors in a
//! flash message. A throttled sign-in answers 429 with `Retry-After`.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use app::model::{Flash, FlashKind};
use app::session::{end_session, set_flash, CurrentAccount, SessionUser, USER_KEY};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use engine::people::accounts::Account;
use engine::EngineError;
use tower_sessions::Session;

use super::AppState;

/// A url-encoded form body; repeated names keep every value.
pub(super) struct FormFields(Vec<(String, String)>);

impl FormFields {
    pub(super) fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    pub(super) fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    pub(super) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// The parts of a form post the handlers need.
pub(super) struct Post {
    pub(super) fields: FormFields,
    extensions: axum::http::Extensions,
}

impl Post {
    pub(super) async fn read(request: Request) -> Self {
        let (parts, body) = request.into_parts();
        // The body limit layer bounds this; a body that cannot be read
        // counts as an empty form, which every handler refuses politely.
        let bytes = axum::body::to_bytes(body, 64 * 1024)
            .await
            .unwrap_or_else(|_| Bytes::new());
        let fields = url::form_urlencoded::parse(&bytes)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Self {
            fields: FormFields(fields),
            extensions: parts.extensions,
        }
    }

    pub(super) fn account(&self) -> Option<Account> {
        self.extensions
            .get::<CurrentAccount>()
            .and_then(|current| current.0.clone())
    }

    fn client_ip(&self) -> String {
        self.extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip().to_string())
            .unwrap_or_else(|| "unknown".to_owned())
    }
}

pub(super) fn flash(form: &str, kind: FlashKind, message: impl Into<String>) -> Flash {
    Flash {
        form: form.to_owned(),
        kind: Some(kind),
        message: Some(message.into()),
        ..Flash::default()
    }
}

/// The flash for a refused form: the field's error next to the field, or a
/// form-level message; `values` refill the form (never passwords).
pub(super) fn refused(form: &str, err: &EngineError, values: &[(&str, String)]) -> Flash {
    let values: BTreeMap<String, String> = values
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    let message = match err {
        EngineError::Unexpected(e) => {
            tracing::error!(error = %format!("{e:#}"), form, "form failed");
            "Something went wrong on our side. Please try again in a moment.".to_owned()
        }
        other => other.to_string(),
    };
    match err.field() {
        Some(field) if field != "token" => Flash {
            form: form.to_owned(),
            field_errors: BTreeMap::from([(field.to_owned(), message)]),
            values,
            ..Flash::default()
        },
        _ => Flash {
            form: form.to_owned(),
            kind: Some(FlashKind::Error),
            message: Some(message),
            values,
            ..Flash::default()
        },
    }
}

/// Flashes the outcome on `form` — `success`, or the error next to its
/// field — and goes to `to`.
pub(super) async fn answer<T>(
    session: &Session,
    form: &str,
    result: Result<T, EngineError>,
    success: &str,
    to: &str,
) -> Response {
    let outcome = match result {
        Ok(_) => flash(form, FlashKind::Success, success),
        Err(e) => refused(form, &e, &[]),
    };
    back(session, outcome, to).await
}

pub(super) async fn back(session: &Session, flash: Flash, to: &str) -> Response {
    set_flash(session, flash).await;
    Redirect::to(to).into_response()
}

/// Only paths on this site, never `//host` or a scheme.
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/account"
    }
}

pub async fn sign_up(
    State(state): State<AppState>,
    session: Session,
    request: Request,
) -> Response {
    let post = Post::read(request).await;
    let email = post.fields.get("email");
    match state
        .engine
        .sign_up(&email, &post.fields.get("password"))
        .await
    {
        Ok(()) => {
            let message = format!("Check your inbox: we have sent a link to {} to confirm the address. It is valid for 24 hours.", email.trim());
            back(
                &session,
                flash("login", FlashKind::Success, message),
                "/login",
            )
            .await
        }
        Err(e) => {
            back(
                &session,
                refused("signup", &e, &[("email", email)]),
                "/signup",
            )
            .await
        }
    }
}

pub async fn log_in(State(state): State<AppState>, session: Session, request: Request) -> Response {
    let post = Post::read(request).await;
    let email = post.fields.get("email");
    let next = post.fields.get("next");
    match state
        .engine
        .log_in(&email, &post.fields.get("password"), &post.client_ip())
        .await
    {
        Ok(account) => {
            // A new session id at sign-in defeats session fixation.
            if let Err(e) = session.cycle_id().await {
                tracing::error!(error = %e, "could not rotate the session id");
            }
            let now = state.engine.now();
            let user = SessionUser {
                user_id: account.id.clone(),
                epoch: account.session_epoch,
                authenticated_at: now,
                last_seen_at: now,
            };
            if let Err(e) = session.insert(USER_KEY, &user).await {
                tracing::error!(error = %e, "could not store the session");
                return back(
                    &session,
                    refused(
                        "login",
                        &EngineError::Unexpected(anyhow::anyhow!("session store")),
                        &[("email", email)],
                    ),
                    "/login",
                )
                .await;
            }
            tracing::info!(user_id = %account.id, "signed in");
            Redirect::to(safe_next(&next)).into_response()
        }
        Err(EngineError::Throttled { retry_after_secs }) => {
            let message = format!("Too many failed attempts. Wait {retry_after_secs} seconds, then try again, or reset your password.");
            set_flash(
                &session,
                Flash {
                    values: BTreeMap::from([("email".to_owned(), email)]),
                    ..flash("login", FlashKind::Error, message)
                },
            )
            .await;
            let mut response = super::pages::render(&state, "/login", post.extensions).await;
            *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            response
        }
        Err(e) => {
            let target = if next.is_empty() {
                "/login".to_owned()
            } else {
                format!(
                    "/login?next={}",
                    url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                )
            };
            back(&session, refused("login", &e, &[("email", email)]), &target).await
        }
    }
}

pub async fn log_out(session: Session) -> Response {
    // Deletes the session from the store, not only the cookie.
    if let Err(e) = end_session(&session).await {
        tracing::error!(error = %e, "could not delete the session");
    }
    back(
        &session,
        flash("login", FlashKind::Info, "You are logged out."),
        "/login",
    )
    .await
}

pub async fn verify_email(
    State(state): State<AppState>,
    session: Session,
    request: Request,
) -> Response {
    let post = Post::read(request).await;
    match state.engine.verify_email(&post.fields.get("token")).await {
        Ok(_) if post.account().is_some() => {
            back(
                &session,
                flash(
                    "account",
                    FlashKind::Success,
                    "Your email address is confirmed.",
                ),
                "/account",
            )
            .await
        }
        Ok(_) => {
            back(
                &session,
                flash(
                    "login",
                    FlashKind::Success,
                    "Your email address is confirmed. You can log in now.",
                ),
                "/login",
            )
            .await
        }
        Err(e) => back(&session, refused("verify-email", &e, &[]), "/verify-email").await,
    }
}

pub async fn forgot_password(
    State(state): State<AppState>,
    session: Session,
    request: Request,
) -> Response {
    let post = Post::read(request).await;
    let email = post.fields.get("email");
    match state.engine.request_password_reset(&email).await {
        Ok(()) => {
            let message = format!("If an account exists for {}, we have mailed it a link to choose a new password. The link is valid for one hour.", email.trim());
            back(
                &session,
                flash("forgot-password", FlashKind::Success, message),
                "/forgot-password",
            )
            .await
        }
        Err(e) => {
            back(
                &session,
                refused("forgot-password", &e, &[("email", email)]),
                "/forgot-password",
            )
            .await
        }
    }
}

pub async fn reset_password(
    State(state): State<AppState>,
    session: Session,
    request: Request,
) -> Response {
    let post = Post::read(request).await;
    let token = post.fields.get("token");
    match state
        .engine
        .reset_password(&token, &post.fields.get("password"))
        .await
    {
        Ok(_) => {
            if let Err(e) = end_session(&session).await {
                tracing::error!(error = %e, "could not delete the session");
            }
            back(&session, flash("login", FlashKind::Success, "Your password is changed and every other session has ended. Log in with the new password."), "/login").await
        }
        Err(e) => {
            let target = format!(
                "/reset-password?token={}",
                url::form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>()
            );
            back(&session, refused("reset-password", &e, &[]), &target).await
        }
    }
}

fn login_first() -> Response {
    Redirect::to("/login?next=/account").into_response()
}

pub async fn create_token(
    State(state): State<AppState>,
    session: Session,
    request: Request,
) -> Response {
    let post = Post::read(request).await;
    let Some(account) = post.account() else {
        return login_first();
    };
    let name = post.fields.get("name");
    let expires = post.fields.get("expires_in_days");
    let expires_in_days = match expires.trim() {
        "" => None,
        days => match days.parse::<i64>() {
            Ok(days) => Some(days),
            Err(_) => {
                let err = EngineError::invalid("expires_in_days", "Choose when the token expires.");
                return back(
                    &session,
                    refused("account", &err, &[("name", name)]),
                    "/account",
                )
                .await;
            }
        },
    };
    match state
        .engine
        .create_personal_token(
            &account.id,
            &name,
            &post.fields.all("scopes"),
            expires_in_days,
        )
        .await
    {
        Ok((token, info)) => {
            let mut f = flash(
                "account",
                FlashKind::Success,
                format!("Token \"{}\" created.", info.name),
            );
            f.values.insert("new_token".to_owned(), token);
            back(&session, f, "/account").await
        }
        Err(e) => {
            back(
                &session,
                refused("account", &e, &[("name", name)]),
                "/account",
            )
            .await
        }
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let post = Post::read(request).await;
    let Some(account) = post.account() else {
        return login_first();
    };
    match state.engine.revoke_personal_token(&account.id, &id).await {
        Ok(()) => {
            back(
                &session,
                flash(
                    "account",
                    FlashKind::Success,
                    "Token revoked. Anything using it is now refused.",
                ),
                "/account",
            )
            .await
        }
        Err(e) => back(&session, refused("account", &e, &[]), "/account").await,
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next("/account"), "/account");
        assert_eq!(safe_next("//evil.example"), "/account");
        assert_eq!(safe_next("https://evil.example"), "/account");
        assert_eq!(safe_next("/\\evil.example"), "/account");
    }
}
