//! The tenant's API keys, webhook and settings, and its audit log as CSV.

use app::model::FlashKind;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use engine::EngineError;

use super::{log_in, ConsolePost};
use crate::http::forms::{answer, back, flash, refused};
use crate::http::AppState;

/// `POST /t/{tenant}/admin/keys`: a new API key, shown once.
pub async fn create_key(
    State(state): State<AppState>,
    ConsolePost {
        post,
        tenant,
        session,
        console,
    }: ConsolePost,
) -> Response {
    let name = post.fields.get("name");
    match state
        .engine
        .create_tenant_key(&tenant, &name, &post.fields.all("scopes"))
        .await
    {
        Ok((info, key)) => {
            let mut f = flash(
                "tenant",
                FlashKind::Success,
                format!("Key \"{}\" created.", info.name),
            );
            f.values.insert("new_key".to_owned(), key);
            back(&session, f, &console).await
        }
        Err(e) => back(&session, refused("tenant", &e, &[("name", name)]), &console).await,
    }
}

/// `POST /t/{tenant}/admin/keys/{id}/revoke`.
pub async fn revoke_key(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsolePost {
        tenant,
        session,
        console,
        ..
    }: ConsolePost,
) -> Response {
    let result = state.engine.revoke_tenant_key(&tenant, &id).await;
    answer(&session, "tenant", result, "Key revoked.", &console).await
}

/// `GET /t/{tenant}/admin/audit.csv`: the audit log, for a spreadsheet.
pub async fn audit_csv(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    request: Request,
) -> Response {
    let account = request
        .extensions()
        .get::<app::session::CurrentAccount>()
        .and_then(|current| current.0.clone());
    let Some(account) = account else {
        return log_in(&format!("/t/{tenant}/admin"));
    };
    let entries = match state.engine.tenant(&account, &tenant).await {
        Ok(tenant) => {
            state
                .engine
                .tenant_audit(&tenant, engine::platform::audit::AUDIT_PAGE_MAX)
                .await
        }
        Err(e) => Err(e),
    };
    match entries {
        Ok(entries) => crate::api::tenants::audit::csv_download(&tenant, &entries),
        Err(EngineError::NotFound(m) | EngineError::Forbidden(m)) => {
            (StatusCode::NOT_FOUND, m).into_response()
        }
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "audit export failed");
            axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// `POST /t/{tenant}/admin/webhook`: set the URL; the new secret is shown once.
pub async fn set_webhook(
    State(state): State<AppState>,
    ConsolePost {
        post,
        tenant,
        session,
        console,
    }: ConsolePost,
) -> Response {
    let url = post.fields.get("url");
    match state.engine.set_webhook(&tenant, &url).await {
        Ok(secret) => {
            let mut f = flash("tenant", FlashKind::Success, "Webhook saved.");
            f.values.insert("new_webhook_secret".to_owned(), secret);
            back(&session, f, &console).await
        }
        Err(e) => back(&session, refused("tenant", &e, &[("url", url)]), &console).await,
    }
}

/// `POST /t/{tenant}/admin/settings`: name and FHIR base URLs.
pub async fn save_settings(
    State(state): State<AppState>,
    ConsolePost {
        post,
        tenant,
        session,
        console,
    }: ConsolePost,
) -> Response {
    let (name, urls) = (post.fields.get("name"), post.fields.get("fhir_base_urls"));
    match state.engine.update_tenant(&tenant, &name, &urls).await {
        Ok(_) => {
            let f = flash("tenant-settings", FlashKind::Success, "Settings saved.");
            back(&session, f, &console).await
        }
        Err(e) => {
            let values = [("name", name), ("fhir_base_urls", urls)];
            back(&session, refused("tenant-settings", &e, &values), &console).await
        }
    }
}
