//! The tenant API, for its admins (`/api/v1/tenants/{tenant}/…`, token
//! scope `tenant-admin`): the tenant's settings here, and one module for
//! each thing it keeps — installs (with the installs of a publisher's app
//! and secret rotation, for its developers), API keys, members, end users,
//! the webhook and the audit log.

pub(crate) mod audit;
pub(crate) mod authorization_servers;
pub(crate) mod installs;
pub(crate) mod keys;
pub(crate) mod members;
pub(crate) mod provisioning;
pub(crate) mod secrets;
pub(crate) mod users;
pub(crate) mod webhooks;

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use engine::tenancy::Tenant;

use super::json::JsonBody;
use super::tenant_context::MemberTenant;
use super::ApiError;
use crate::http::AppState;

/// RFC 3339 to the microsecond, the precision both databases keep.
pub(crate) fn timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TenantResponse {
    pub slug: String,
    pub name: String,
    pub fhir_base_urls: Vec<String>,
    /// A publisher's sandbox, where its drafts install before review.
    pub sandbox: bool,
    /// The caller's role: `admin` or `viewer`.
    pub role: String,
}

fn tenant_response(tenant: &Tenant) -> Result<TenantResponse, ApiError> {
    Ok(TenantResponse {
        slug: tenant.slug().to_owned(),
        name: tenant.name().to_owned(),
        fhir_base_urls: tenant
            .fhir_base_urls()?
            .into_iter()
            .map(|u| u.as_str().to_owned())
            .collect(),
        sandbox: tenant.is_sandbox(),
        role: tenant.role().as_str().to_owned(),
    })
}

/// The tenant's details and the caller's role in it.
#[utoipa::path(
    get,
    path = "/api/v1/tenants/{tenant}",
    tag = "tenants",
    security(("personal_token" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug.")),
    responses((status = 200, body = TenantResponse)),
)]
pub async fn get_tenant(
    MemberTenant(tenant): MemberTenant,
) -> Result<Json<TenantResponse>, ApiError> {
    Ok(Json(tenant_response(&tenant)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantUpdateRequest {
    pub name: String,
    pub fhir_base_urls: Vec<String>,
}

/// Rename the tenant and set its FHIR base URLs (https, or http on
/// loopback; no query).
#[utoipa::path(
    put,
    path = "/api/v1/tenants/{tenant}",
    tag = "tenants",
    security(("personal_token" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug.")),
    request_body = TenantUpdateRequest,
    responses((status = 200, body = TenantResponse)),
)]
pub async fn put_tenant(
    State(state): State<AppState>,
    MemberTenant(tenant): MemberTenant,
    JsonBody(body): JsonBody<TenantUpdateRequest>,
) -> Result<Json<TenantResponse>, ApiError> {
    let tenant = state
        .engine
        .update_tenant(&tenant, &body.name, &body.fhir_base_urls.join("\n"))
        .await?;
    Ok(Json(tenant_response(&tenant)?))
}
