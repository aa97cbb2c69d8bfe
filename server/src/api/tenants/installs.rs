//! Installs through the API: a tenant's installs and their lifecycle, and
//! a developer's view of where an app is installed.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use domain::TokenScope;
use engine::tenancy::installs::{InstallAction, InstallView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use engine::tenancy::Tenant;

use super::provisioning::{with_provisioning, ProvisioningResponse};
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
    /// The client at the tenant's own authorization server, when the
    /// install is at one (absent at the built-in server).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioning: Option<ProvisioningResponse>,
    pub created_at: String,
    pub updated_at: String,
}

impl InstallResponse {
    pub fn new(i: InstallView, provisioning: Option<ProvisioningResponse>) -> Self {
        let (pending_version, pending_changes) = match i.pending {
            Some((version, changes)) => (Some(version.number), Some(changes)),
            None => (None, None),
        };
        Self {
            pending_version,
            pending_changes,
            provisioning,
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
    /// The authorization server to provision it at: an id from the
    /// tenant's authorization servers, or `builtin`; the tenant's default
    /// when absent.
    pub authorization_server: Option<String>,
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
        items: with_provisioning(&state, installs).await?,
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
        .install_app(
            &tenant,
            &body.app,
            body.scope.as_deref(),
            body.authorization_server.as_deref(),
        )
        .await?;
    Ok((StatusCode::CREATED, one(&state, install).await?))
}

/// One install as the API answers it.
pub(super) async fn one(
    state: &AppState,
    install: InstallView,
) -> Result<Json<InstallResponse>, ApiError> {
    let mut out = with_provisioning(state, vec![install]).await?;
    out.pop()
        .map(Json)
        .ok_or_else(|| ApiError::not_found("The install is gone."))
}

async fn change(
    state: AppState,
    tenant: Tenant,
    id: String,
    action: InstallAction,
) -> Result<Json<InstallResponse>, ApiError> {
    let install = state.engine.change_install(&tenant, &id, action).await?;
    one(&state, install).await
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
    one(&state, install).await
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
        items: with_provisioning(&state, installs).await?,
        next_cursor: None,
    }))
}
