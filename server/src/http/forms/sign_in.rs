//! Signing up, in and out.

use std::collections::BTreeMap;

use app::model::{Flash, FlashKind};
use app::session::{end_session, set_flash, SessionUser, USER_KEY};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use engine::EngineError;
use tower_sessions::Session;

use super::{back, flash, refused, safe_next, Post};
use crate::http::AppState;

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
            let mut response = crate::http::pages::render(&state, "/login", post.extensions).await;
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
