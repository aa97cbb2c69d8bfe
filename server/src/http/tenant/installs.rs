//! Installing apps from the tenant console, changing an install's state,
//! and a developer rotating an install's client secret.

use app::model::FlashKind;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use engine::provisioning::rotation::Rotation;
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
        let result = state.engine.install_app(&tenant, &app, None, None).await;
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
    let server = post.fields.get("authorization_server");
    match state
        .engine
        .install_app(
            &tenant,
            &app,
            Some(&granted.join(" ")),
            (!server.is_empty()).then_some(server.as_str()),
        )
        .await
    {
        Ok(install) => {
            let at = state
                .engine
                .provisioning_of(&[&install])
                .await
                .ok()
                .and_then(|mut found| found.remove(&install.id));
            let where_ = match at {
                Some(p) if p.state == "awaiting_manual" => format!(
                    "enter it at {} by hand with the details below",
                    p.server_name
                ),
                Some(p) => format!(
                    "Sidecar is registering it at {}; its progress shows below",
                    p.server_name
                ),
                None => format!("its client id is {}", install.client_id),
            };
            let message = format!(
                "{} is installed with {} scope(s); {where_}.",
                install.version.manifest.client_name,
                install.granted_scope.scopes().len(),
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

/// `POST /t/{tenant}/admin/installs/{id}/{verb}`: suspend, resume, revoke,
/// update, retry, move (to `authorization_server`), manual (the client
/// entered at a manual server).
pub async fn change_install(
    State(state): State<AppState>,
    Path((_, id, verb)): Path<(String, String, String)>,
    ConsolePost {
        post,
        tenant,
        session,
        console,
    }: ConsolePost,
) -> Response {
    if verb == "move" {
        let to = post.fields.get("authorization_server");
        let result = state.engine.move_install(&tenant, &id, &to).await;
        let done =
            "Moving: the client is provisioned at the new server, then removed from the old one.";
        return answer(&session, "tenant", result, done, &console).await;
    }
    if verb == "manual" {
        let client_id = post.fields.get("client_id");
        let secret = post.fields.get("client_secret");
        let result = state
            .engine
            .complete_manual(&tenant, &id, Some(&client_id), Some(&secret))
            .await;
        let done = "Recorded: the install's client at that server is as you entered it.";
        return answer(&session, "tenant", result, done, &console).await;
    }
    if verb == "update" {
        let result = state.engine.approve_install_update(&tenant, &id).await;
        return answer(&session, "tenant", result, "Update approved.", &console).await;
    }
    if verb == "retry" {
        let result = state.engine.retry_provisioning(&tenant, &id).await;
        let done = "Provisioning starts again; this page shows how it goes.";
        return answer(&session, "tenant", result, done, &console).await;
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
    let grace = state.engine.config().secret_grace.num_hours();
    match state.engine.rotate_secret(&account, &slug, &tenant).await {
        Ok(Rotation::Issued { install, secret }) => {
            let mut f = flash(
                "dev-app",
                FlashKind::Success,
                format!(
                    "New client secret for {tenant} (client id {}). The previous one works for {grace} more hours.",
                    install.client_id,
                ),
            );
            f.values.insert("new_secret".to_owned(), secret);
            back(&session, f, &page).await
        }
        Ok(Rotation::Queued { provisioning, .. }) => {
            let f = flash(
                "dev-app",
                FlashKind::Success,
                format!(
                    "A new client is being registered for {tenant} at {}; reveal its secret here once it is active. The previous client works for {grace} more hours.",
                    provisioning.server_name,
                ),
            );
            back(&session, f, &page).await
        }
        Err(e) => back(&session, refused("dev-app", &e, &[]), &page).await,
    }
}

/// `POST /dev/apps/{slug}/installs/{tenant}/server-secret`: the secret the
/// tenant's own authorization server issued, shown once on the app's page.
pub async fn reveal_server_secret(
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
        .reveal_server_secret(&account, &slug, &tenant)
        .await
    {
        Ok((client_id, secret)) => {
            let mut f = flash(
                "dev-app",
                FlashKind::Success,
                format!("The secret {tenant}'s authorization server issued for client id {client_id}. It is shown this once and not kept."),
            );
            f.values.insert("new_secret".to_owned(), secret);
            back(&session, f, &page).await
        }
        Err(e) => back(&session, refused("dev-app", &e, &[]), &page).await,
    }
}
