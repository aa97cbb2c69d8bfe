//! The tenant's API keys, for its EHR.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use engine::tenancy::api_keys::TenantKeyInfo;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::json::JsonBody;
use crate::api::tenant_context::MemberTenant;
use crate::api::{ApiError, Page};
use crate::http::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyResponse {
    pub id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_at: String,
    pub last_used_at: Option<String>,
    /// Only in the answer to its creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

impl From<TenantKeyInfo> for KeyResponse {
    fn from(k: TenantKeyInfo) -> Self {
        Self {
            id: k.id,
            name: k.name,
            scopes: k.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            created_at: k.created_at.to_rfc3339(),
            last_used_at: k.last_used_at.map(|at| at.to_rfc3339()),
            key: None,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyRequest {
    pub name: String,
    pub scopes: Vec<String>,
}

/// The tenant's API keys (never the keys themselves).
#[utoipa::path(
    get,
    path = "/api/v1/tenants/{tenant}/keys",
    tag = "keys",
    security(("personal_token" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug.")),
    responses((status = 200, body = Page<KeyResponse>)),
)]
pub async fn list_keys(
    State(state): State<AppState>,
    MemberTenant(tenant): MemberTenant,
) -> Result<Json<Page<KeyResponse>>, ApiError> {
    let keys = state.engine.list_tenant_keys(&tenant).await?;
    Ok(Json(Page {
        items: keys.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

/// Create an API key with the given scopes (`registrations:read`,
/// `installs:write`, `launch:write`, `introspect`); `key` is shown this once.
#[utoipa::path(
    post,
    path = "/api/v1/tenants/{tenant}/keys",
    tag = "keys",
    security(("personal_token" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug.")),
    request_body = KeyRequest,
    responses((status = 201, body = KeyResponse)),
)]
pub async fn create_key(
    State(state): State<AppState>,
    MemberTenant(tenant): MemberTenant,
    JsonBody(body): JsonBody<KeyRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let (info, key) = state
        .engine
        .create_tenant_key(&tenant, &body.name, &body.scopes)
        .await?;
    let mut response = KeyResponse::from(info);
    response.key = Some(key);
    Ok((StatusCode::CREATED, Json(response)))
}

/// Revoke an API key: it gets 401 from then on.
#[utoipa::path(
    delete,
    path = "/api/v1/tenants/{tenant}/keys/{id}",
    tag = "keys",
    security(("personal_token" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug."), ("id" = String, Path, description = "The key's id.")),
    responses((status = 204, description = "Revoked.")),
)]
pub async fn delete_key(
    State(state): State<AppState>,
    MemberTenant(tenant): MemberTenant,
    Path((_, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state.engine.revoke_tenant_key(&tenant, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
