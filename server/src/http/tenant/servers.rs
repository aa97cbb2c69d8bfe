//! The tenant's authorization servers from the console: add one (read by
//! discovery), test its connection, make one the default, remove one.

use app::model::FlashKind;
use axum::extract::{Path, State};
use axum::response::Response;
use engine::provisioning::{ServerCheck, ServerInput};

use super::ConsolePost;
use crate::http::forms::{answer, back, flash, refused};
use crate::http::AppState;

const FORM: &str = "tenant-servers";

/// `POST /t/{tenant}/admin/authorization-servers`.
pub async fn add_server(
    State(state): State<AppState>,
    ConsolePost {
        post,
        tenant,
        session,
        console,
    }: ConsolePost,
) -> Response {
    let input = ServerInput {
        name: post.fields.get("name"),
        kind: post.fields.get("kind"),
        issuer: post.fields.get("issuer"),
        initial_access_token: Some(post.fields.get("initial_access_token")),
        default: Some(post.fields.get("default") == "on"),
    };
    let kept = [
        ("name", input.name.clone()),
        ("kind", input.kind.clone()),
        ("issuer", input.issuer.clone()),
    ];
    match state.engine.add_authorization_server(&tenant, input).await {
        Ok(server) => {
            let message = match server.status.as_str() {
                "unreachable" => format!(
                    "Added \"{}\", but it did not answer: {} Test the connection again once it is up.",
                    server.name,
                    server.status_detail.unwrap_or_default()
                ),
                _ => format!("Added \"{}\".", server.name),
            };
            back(&session, flash(FORM, FlashKind::Success, message), &console).await
        }
        Err(e) => back(&session, refused(FORM, &e, &kept), &console).await,
    }
}

/// What a connection test found, in words.
fn described(check: &ServerCheck) -> (FlashKind, String) {
    let server = &check.server;
    if server.status == "unreachable" || server.status == "invalid" {
        return (
            FlashKind::Error,
            format!(
                "\"{}\" did not answer as it should: {}",
                server.name,
                server.status_detail.clone().unwrap_or_default()
            ),
        );
    }
    let mut text = format!("\"{}\" answered.", server.name);
    if let Some(endpoint) = server
        .discovered
        .as_ref()
        .and_then(|d| d.registration_endpoint.as_deref())
    {
        text.push_str(&format!(" Registrations go to {endpoint}."));
    }
    match &check.scopes_not_listed {
        Some(missing) if !missing.is_empty() => text.push_str(&format!(
            " It does not list these scopes your installs grant: {}.",
            missing.join(" ")
        )),
        Some(_) => text.push_str(" It lists every scope your installs grant."),
        None => {}
    }
    (FlashKind::Success, text)
}

/// `POST /t/{tenant}/admin/authorization-servers/{id}/check`.
pub async fn check_server(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsolePost {
        tenant,
        session,
        console,
        ..
    }: ConsolePost,
) -> Response {
    match state.engine.check_authorization_server(&tenant, &id).await {
        Ok(check) => {
            let (kind, text) = described(&check);
            back(&session, flash(FORM, kind, text), &console).await
        }
        Err(e) => back(&session, refused(FORM, &e, &[]), &console).await,
    }
}

/// `POST /t/{tenant}/admin/authorization-servers/{id}/default`: new
/// installs go there (the built-in server when `id` is `builtin`).
pub async fn make_default(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsolePost {
        tenant,
        session,
        console,
        ..
    }: ConsolePost,
) -> Response {
    let result = state
        .engine
        .make_default_authorization_server(&tenant, &id)
        .await;
    answer(
        &session,
        FORM,
        result,
        "The default authorization server is changed.",
        &console,
    )
    .await
}

/// `POST /t/{tenant}/admin/authorization-servers/{id}/remove`.
pub async fn remove_server(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsolePost {
        tenant,
        session,
        console,
        ..
    }: ConsolePost,
) -> Response {
    let result = state.engine.remove_authorization_server(&tenant, &id).await;
    answer(
        &session,
        FORM,
        result,
        "The authorization server is removed.",
        &console,
    )
    .await
}
