//! Account form posts. Each unpacks the form, calls the engine and answers
//! 303 See Other: to the next page, or back to the form with its errors in a
//! flash message. A throttled sign-in answers 429 with `Retry-After`.

mod recovery;
mod sign_in;
mod tokens;

pub(crate) use recovery::{forgot_password, reset_password, verify_email};
pub(crate) use sign_in::{log_in, log_out, sign_up};
pub(crate) use tokens::{create_token, revoke_token};

use std::collections::BTreeMap;
use std::net::SocketAddr;

use app::model::{Flash, FlashKind};
use app::session::{set_flash, CurrentAccount};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request};
use axum::response::{IntoResponse, Redirect, Response};
use engine::people::accounts::Account;
use engine::EngineError;
use tower_sessions::Session;

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

fn login_first() -> Response {
    Redirect::to("/login?next=/account").into_response()
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
