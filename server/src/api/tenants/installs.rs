//! Installs through the API: a tenant's installs and their lifecycle, and
//! a developer's view of where an app is installed, with secret rotation.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use domain::TokenScope;
use engine::tenancy::installs::{InstallAction, InstallView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use engine::tenancy::Tenant;

use super::timestamp;
use crate::api::json::JsonBody;
use crate::api::tenant_context::InstallsTenant;
use crate::api::{ApiError, Caller, Page};
use crate::http::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct InstallResponse {
    pub id: String,
    pub tenant: String,
    pub app: String,
    pub client_id: String,
    /// `active`, `suspended` or `revoked`.
    pub state: String,
    /// The scopes granted, canonical.
    pub scope: String,
    /// What the installed version asks for.
    pub requested_scope: String,
    pub version: i32,
    /// A newer version that adds scopes or redirect URIs, waiting for the
    /// tenant's approval (`POST …/installs/{id}/update`).
    pub pending_version: Option<i32>,
    /// What the waiting version changes against the installed one.
    pub pending_changes: Option<domain::ManifestDiff>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<InstallView> for InstallResponse {
    fn from(i: InstallView) -> Self {
        let (pending_version, pending_changes) = match i.pending {
            Some((version, changes)) => (Some(version.number), Some(changes)),
            None => (None, None),
        };
        Self {
            pending_version,
            pending_changes,
            scope: i.granted_scope.to_string(),
            requested_scope: i.version.manifest.scope.to_string(),
            version: i.version.number,
            id: i.id,
            tenant: i.tenant_slug,
            app: i.app_slug,
            client_id: i.client_id,
            state: i.state,
            created_at: timestamp(i.created_at),
            updated_at: timestamp(i.updated_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstallRequest {
    /// The app's slug.
    pub app: String,
    /// The scopes to grant; all the app asks for when absent.
    pub scope: Option<String>,
}

/// The tenant's installs, with what each was granted (a member's token
/// with `tenant-admin`, or a tenant key with `installs:write`).
#[utoipa::path(
    get,
    path = "/api/v1/tenants/{tenant}/installs",
    tag = "installs",
    security(("personal_token" = []), ("tenant_key" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug.")),
    responses((status = 200, body = Page<InstallResponse>)),
)]
pub async fn list_installs(
    State(state): State<AppState>,
    InstallsTenant(tenant): InstallsTenant,
) -> Result<Json<Page<InstallResponse>>, ApiError> {
    let installs = state.engine.list_installs(&tenant).await?;
    Ok(Json(Page {
        items: installs.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

/// Install a published app (in a sandbox, its publisher's draft), granting
/// `scope` or, when absent, all the app asks for; scopes it never asked for
/// are refused.
#[utoipa::path(
    post,
    path = "/api/v1/tenants/{tenant}/installs",
    tag = "installs",
    security(("personal_token" = []), ("tenant_key" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug.")),
    request_body = InstallRequest,
    responses((status = 201, body = InstallResponse)),
)]
pub async fn install(
    State(state): State<AppState>,
    InstallsTenant(tenant): InstallsTenant,
    JsonBody(body): JsonBody<InstallRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let install = state
        .engine
        .install_app(&tenant, &body.app, body.scope.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(InstallResponse::from(install))))
}

async fn change(
    state: AppState,
    tenant: Tenant,
    id: String,
    action: InstallAction,
) -> Result<Json<InstallResponse>, ApiError> {
    let install = state.engine.change_install(&tenant, &id, action).await?;
    Ok(Json(install.into()))
}

/// Suspend an active install: its tokens stop working.
#[utoipa::path(
    post,
    path = "/api/v1/tenants/{tenant}/installs/{id}/suspend",
    tag = "installs",
    security(("personal_token" = []), ("tenant_key" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug."), ("id" = String, Path, description = "The install's id.")),
    responses((status = 200, body = InstallResponse)),
)]
pub async fn suspend(
    State(state): State<AppState>,
    InstallsTenant(tenant): InstallsTenant,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<InstallResponse>, ApiError> {
    change(state, tenant, id, InstallAction::Suspend).await
}

/// Resume a suspended install.
#[utoipa::path(
    post,
    path = "/api/v1/tenants/{tenant}/installs/{id}/resume",
    tag = "installs",
    security(("personal_token" = []), ("tenant_key" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug."), ("id" = String, Path, description = "The install's id.")),
    responses((status = 200, body = InstallResponse)),
)]
pub async fn resume(
    State(state): State<AppState>,
    InstallsTenant(tenant): InstallsTenant,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<InstallResponse>, ApiError> {
    change(state, tenant, id, InstallAction::Resume).await
}

/// Approve the version waiting for the tenant (`pending_version`): the
/// install moves to it, keeping the granted scopes the new version still asks for.
#[utoipa::path(
    post,
    path = "/api/v1/tenants/{tenant}/installs/{id}/update",
    tag = "installs",
    security(("personal_token" = []), ("tenant_key" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug."), ("id" = String, Path, description = "The install's id.")),
    responses((status = 200, body = InstallResponse)),
)]
pub async fn update(
    State(state): State<AppState>,
    InstallsTenant(tenant): InstallsTenant,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<InstallResponse>, ApiError> {
    let install = state.engine.approve_install_update(&tenant, &id).await?;
    Ok(Json(install.into()))
}

/// Revoke an install for good; its client id stops working.
#[utoipa::path(
    delete,
    path = "/api/v1/tenants/{tenant}/installs/{id}",
    tag = "installs",
    security(("personal_token" = []), ("tenant_key" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug."), ("id" = String, Path, description = "The install's id.")),
    responses((status = 200, body = InstallResponse)),
)]
pub async fn revoke(
    State(state): State<AppState>,
    InstallsTenant(tenant): InstallsTenant,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<InstallResponse>, ApiError> {
    change(state, tenant, id, InstallAction::Revoke).await
}

/// The app's installs in every tenant, with their client ids.
#[utoipa::path(
    get,
    path = "/api/v1/publisher/apps/{slug}/installs",
    tag = "apps",
    security(("personal_token" = [])),
    params(("slug" = String, Path, description = "The app's slug.")),
    responses((status = 200, body = Page<InstallResponse>)),
)]
pub async fn app_installs(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(slug): Path<String>,
) -> Result<Json<Page<InstallResponse>>, ApiError> {
    caller.require(TokenScope::Publisher)?;
    let installs = state.engine.app_installs(&caller.account, &slug).await?;
    Ok(Json(Page {
        items: installs.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SecretResponse {
    pub client_id: String,
    /// Shown this once; the previous secret keeps working for the grace
    /// period (`SIDECAR_SECRET_GRACE_HOURS`, 24 by default).
    pub client_secret: String,
    pub previous_valid_for_seconds: i64,
}

/// A new client secret for the app in one tenant, shown this once; the
/// previous one keeps working for the grace period.
#[utoipa::path(
    post,
    path = "/api/v1/publisher/apps/{slug}/installs/{tenant}/secret",
    tag = "apps",
    security(("personal_token" = [])),
    params(("slug" = String, Path, description = "The app's slug."), ("tenant" = String, Path, description = "The tenant's slug.")),
    responses((status = 200, body = SecretResponse)),
)]
pub async fn rotate_secret(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path((slug, tenant)): Path<(String, String)>,
) -> Result<Json<SecretResponse>, ApiError> {
    caller.require(TokenScope::Publisher)?;
    let (install, secret) = state
        .engine
        .rotate_client_secret(&caller.account, &slug, &tenant)
        .await?;
    Ok(Json(SecretResponse {
        client_id: install.client_id,
        client_secret: secret,
        previous_valid_for_seconds: state.engine.config().secret_grace.num_seconds(),
    }))
}
