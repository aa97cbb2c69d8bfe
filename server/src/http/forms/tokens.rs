//! Personal access tokens, made and revoked from the account page.

use app::model::FlashKind;
use axum::extract::{Path, Request, State};
use axum::response::Response;
use engine::EngineError;
use tower_sessions::Session;

use super::{back, flash, login_first, refused, Post};
use crate::http::AppState;

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
