//! Form posts of the developer console and the review queue. Like the
//! account forms, each answers 303 with a flash message.

use app::model::FlashKind;
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::ManifestInput;
use engine::EngineError;
use tower_sessions::Session;

use super::forms::{back, flash, refused, Post};
use super::AppState;

/// The manifest textarea as the wire form; a JSON error names the place.
fn manifest(text: &str) -> Result<ManifestInput, EngineError> {
    serde_json::from_str(text)
        .map_err(|e| EngineError::invalid("manifest", format!("The manifest is not valid: {e}")))
}

/// Errors in a manifest member are shown on the manifest field, naming
/// the member.
fn on_manifest(err: EngineError) -> EngineError {
    match err {
        EngineError::Invalid {
            field: Some(field),
            message,
        } if field != "manifest" && field != "slug" => {
            EngineError::invalid("manifest", format!("{field}: {message}"))
        }
        EngineError::Conflict {
            field: Some("slug"),
            message,
        } => EngineError::invalid("manifest", message),
        other => other,
    }
}

fn login_first(next: &str) -> Response {
    Redirect::to(&format!("/login?next={next}")).into_response()
}

pub async fn create_app(
    State(state): State<AppState>,
    session: Session,
    request: Request,
) -> Response {
    let post = Post::read(request).await;
    let Some(account) = post.account() else {
        return login_first("/dev");
    };
    let text = post.fields.get("manifest");
    let publisher = post.fields.get("publisher");
    let result = match manifest(&text) {
        Ok(input) => {
            state
                .engine
                .create_app(&account, &publisher, None, input)
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(app) => {
            back(
                &session,
                flash(
                    "dev-app",
                    FlashKind::Success,
                    "App registered. Submit the draft for review when it is ready.",
                ),
                &format!("/dev/apps/{}", app.slug),
            )
            .await
        }
        Err(e) => {
            back(
                &session,
                refused(
                    "dev",
                    &on_manifest(e),
                    &[("manifest", text), ("publisher", publisher)],
                ),
                "/dev",
            )
            .await
        }
    }
}

pub async fn save_draft(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    request: Request,
) -> Response {
    let post = Post::read(request).await;
    let Some(account) = post.account() else {
        return login_first("/dev");
    };
    let text = post.fields.get("manifest");
    let target = format!("/dev/apps/{slug}");
    let result = match manifest(&text) {
        Ok(input) => state.engine.update_draft(&account, &slug, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => {
            back(
                &session,
                flash("dev-app", FlashKind::Success, "Draft saved."),
                &target,
            )
            .await
        }
        Err(e) => {
            back(
                &session,
                refused("dev-app", &on_manifest(e), &[("manifest", text)]),
                &target,
            )
            .await
        }
    }
}

pub async fn submit_app(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    request: Request,
) -> Response {
    let post = Post::read(request).await;
    let Some(account) = post.account() else {
        return login_first("/dev");
    };
    let target = format!("/dev/apps/{slug}");
    match state.engine.submit_app(&account, &slug).await {
        Ok(version) => {
            back(
                &session,
                flash(
                    "dev-app",
                    FlashKind::Success,
                    format!("Version {} is submitted for review.", version.number),
                ),
                &target,
            )
            .await
        }
        Err(e) => back(&session, refused("dev-app", &on_manifest(e), &[]), &target).await,
    }
}

pub async fn approve(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let post = Post::read(request).await;
    let Some(account) = post.account() else {
        return login_first("/review");
    };
    match state.engine.approve_submission(&account, &id).await {
        Ok(version) => {
            back(
                &session,
                flash(
                    "review",
                    FlashKind::Success,
                    format!(
                        "Version {} of {} is published.",
                        version.number, version.manifest.client_name
                    ),
                ),
                "/review",
            )
            .await
        }
        Err(e) => back(&session, refused("review", &e, &[]), "/review").await,
    }
}

pub async fn reject(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let post = Post::read(request).await;
    let Some(account) = post.account() else {
        return login_first("/review");
    };
    let reason = post.fields.get("reason");
    match state.engine.reject_submission(&account, &id, &reason).await {
        Ok(version) => {
            back(
                &session,
                flash(
                    "review",
                    FlashKind::Success,
                    format!(
                        "Version {} of {} is rejected; the publisher is told why.",
                        version.number, version.manifest.client_name
                    ),
                ),
                "/review",
            )
            .await
        }
        Err(e @ EngineError::Invalid { .. }) => {
            back(
                &session,
                refused("review-item", &e, &[("reason", reason)]),
                &format!("/review/{id}"),
            )
            .await
        }
        Err(e) => back(&session, refused("review", &e, &[]), "/review").await,
    }
}
