//! Proving a mailbox and resetting a forgotten password.

use app::model::FlashKind;
use app::session::end_session;
use axum::extract::{Request, State};
use axum::response::Response;
use tower_sessions::Session;

use super::{back, flash, refused, Post};
use crate::http::AppState;

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
