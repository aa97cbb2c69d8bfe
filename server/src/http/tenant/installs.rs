//! Installing apps from the tenant console, changing an install's state,
//! and a developer rotating an install's client secret.

use app::model::FlashKind;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use engine::tenancy::installs::InstallAction;
use engine::EngineError;
use tower_sessions::Session;

use super::{granted_scopes, log_in, tenant_of, ConsolePost};
use crate::http::forms::{answer, back, flash, refused, Post};
use crate::http::AppState;

/// `POST /t/{tenant}/admin/installs`: approve an install.
pub async fn install(
    State(state): State<AppState>,
    session: Session,
    Path(tenant): Path<String>,
    request: Request,
) -> Response {
    let post = Post::read(request).await;
    let app = post.fields.get("app");
    let here = format!("/t/{tenant}/admin/install/{app}");
    let tenant = match tenant_of(&state, &session, &post, &tenant, &here).await {
        Ok(tenant) => tenant,
        Err(response) => return response,
    };
    // The developer console installs a draft in its sandbox with all it asks.
    if post.fields.has("all_scopes") {
        let result = state.engine.install_app(&tenant, &app, None).await;
        let back_to = format!("/dev/apps/{app}");
        return match result {
            Ok(install) => {
                let message = format!(
                    "The draft is installed in {}; its client id is {}.",
                    tenant.name(),
                    install.client_id
                );
                back(
                    &session,
                    flash("dev-app", FlashKind::Success, message),
                    &back_to,
                )
                .await
            }
            Err(e) => back(&session, refused("dev-app", &e, &[]), &back_to).await,
        };
    }
    let granted = granted_scopes(&post);
    if granted.is_empty() {
        let e = EngineError::invalid(
            "scope",
            "Grant at least one scope, or leave the app uninstalled.",
        );
        return back(&session, refused("tenant-install", &e, &[]), &here).await;
    }
    match state
        .engine
        .install_app(&tenant, &app, Some(&granted.join(" ")))
        .await
    {
        Ok(install) => {
            let message = format!(
                "{} is installed with {} scope(s); its client id is {}.",
                install.version.manifest.client_name,
                install.granted_scope.scopes().len(),
                install.client_id
            );
            back(
                &session,
                flash("tenant", FlashKind::Success, message),
                &format!("/t/{}/admin", tenant.slug()),
            )
            .await
        }
        Err(e) => back(&session, refused("tenant-install", &e, &[]), &here).await,
    }
}

/// `POST /t/{tenant}/admin/installs/{id}/{suspend|resume|revoke|update}`.
pub async fn change_install(
    State(state): State<AppState>,
    Path((_, id, verb)): Path<(String, String, String)>,
    ConsolePost {
        tenant,
        session,
        console,
        ..
    }: ConsolePost,
) -> Response {
    if verb == "update" {
        let result = state.engine.approve_install_update(&tenant, &id).await;
        return answer(&session, "tenant", result, "Update approved.", &console).await;
    }
    let (action, done) = match verb.as_str() {
        "suspend" => (InstallAction::Suspend, "Install suspended."),
        "resume" => (InstallAction::Resume, "Install resumed."),
        "revoke" => (InstallAction::Revoke, "Install revoked."),
        _ => return (StatusCode::NOT_FOUND, "No such action.").into_response(),
    };
    let result = state.engine.change_install(&tenant, &id, action).await;
    answer(&session, "tenant", result, done, &console).await
}

/// `POST /dev/apps/{slug}/installs/{tenant}/secret`: a new client secret,
/// shown once on the app's page.
pub async fn rotate_secret(
    State(state): State<AppState>,
    session: Session,
    Path((slug, tenant)): Path<(String, String)>,
    request: Request,
) -> Response {
    let post = Post::read(request).await;
    let page = format!("/dev/apps/{slug}");
    let Some(account) = post.account() else {
        return log_in(&page);
    };
    match state
        .engine
        .rotate_client_secret(&account, &slug, &tenant)
        .await
    {
        Ok((install, secret)) => {
            let mut f = flash(
                "dev-app",
                FlashKind::Success,
                format!(
                    "New client secret for {tenant} (client id {}). The previous one works for {} more hours.",
                    install.client_id,
                    state.engine.config().secret_grace.num_hours()
                ),
            );
            f.values.insert("new_secret".to_owned(), secret);
            back(&session, f, &page).await
        }
        Err(e) => back(&session, refused("dev-app", &e, &[]), &page).await,
    }
}
