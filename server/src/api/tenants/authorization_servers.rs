//! The tenant's authorization servers: the built-in one (id `builtin`) and
//! those it adds, with what discovery found and a connection test.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use engine::provisioning::{AuthorizationServer, ServerCheck, ServerInput};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::timestamp;
use crate::api::json::JsonBody;
use crate::api::tenant_context::MemberTenant;
use crate::api::{ApiError, Page};
use crate::http::AppState;

/// What discovery found in the server's metadata.
#[derive(Debug, Serialize, ToSchema)]
pub struct DiscoveryResponse {
    /// The metadata document read.
    pub source: String,
    pub registration_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    pub scopes_supported: Vec<String>,
    pub token_endpoint_auth_methods_supported: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorizationServerResponse {
    /// `builtin` for Sidecar's own.
    pub id: String,
    pub name: String,
    /// `builtin`, `rfc7591` or `manual`.
    pub kind: String,
    pub issuer: String,
    /// New installs go here unless they name another server.
    pub default: bool,
    /// Whether an initial access token is kept (never the token itself).
    pub has_initial_access_token: bool,
    /// `ok`; `unreachable` (it did not answer) or `invalid` (its metadata
    /// can no longer be used) at the last check, see `status_detail`; or
    /// `unchecked` (a manual server that publishes no metadata).
    pub status: String,
    pub status_detail: Option<String>,
    pub checked_at: Option<String>,
    pub discovery: Option<DiscoveryResponse>,
}

impl From<AuthorizationServer> for AuthorizationServerResponse {
    fn from(s: AuthorizationServer) -> Self {
        Self {
            id: s.id,
            name: s.name,
            kind: s.kind.as_str().to_owned(),
            issuer: s.issuer,
            default: s.default,
            has_initial_access_token: s.has_initial_access_token,
            status: s.status,
            status_detail: s.status_detail,
            checked_at: s.checked_at.map(timestamp),
            discovery: s.discovered.map(|d| DiscoveryResponse {
                source: d.source,
                registration_endpoint: d.registration_endpoint,
                token_endpoint: d.token_endpoint,
                scopes_supported: d.scopes_supported,
                token_endpoint_auth_methods_supported: d.token_endpoint_auth_methods_supported,
            }),
        }
    }
}

/// An authorization server to add, or the whole new description of one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorizationServerRequest {
    /// 1 to 120 characters, unique in the tenant.
    pub name: String,
    /// `rfc7591` (dynamic registration) or `manual`.
    pub kind: String,
    /// The server's issuer: an https URL without query or fragment.
    pub issuer: String,
    /// For servers that require one to register (RFC 7591 §3). Kept
    /// sealed and never shown; on a replace, absent keeps the current one
    /// and `""` removes it.
    #[schema(max_length = 4096)]
    pub initial_access_token: Option<String>,
    /// Make it the tenant's default (`false` on the default makes the
    /// built-in server the default again); absent leaves the default as it
    /// is.
    pub default: Option<bool>,
}

impl From<AuthorizationServerRequest> for ServerInput {
    fn from(r: AuthorizationServerRequest) -> Self {
        Self {
            name: r.name,
            kind: r.kind,
            issuer: r.issuer,
            initial_access_token: r.initial_access_token,
            default: r.default,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckResponse {
    pub server: AuthorizationServerResponse,
    /// The scopes the tenant grants that the server does not list in its
    /// `scopes_supported`; `null` when it lists none or was not reached.
    pub scopes_not_listed: Option<Vec<String>>,
}

impl From<ServerCheck> for CheckResponse {
    fn from(c: ServerCheck) -> Self {
        Self {
            server: c.server.into(),
            scopes_not_listed: c.scopes_not_listed,
        }
    }
}

/// The tenant's authorization servers, the built-in one first.
#[utoipa::path(
    get,
    path = "/api/v1/tenants/{tenant}/authorization-servers",
    tag = "authorization-servers",
    security(("personal_token" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug.")),
    responses((status = 200, body = Page<AuthorizationServerResponse>)),
)]
pub async fn list_authorization_servers(
    State(state): State<AppState>,
    MemberTenant(tenant): MemberTenant,
) -> Result<Json<Page<AuthorizationServerResponse>>, ApiError> {
    let servers = state.engine.authorization_servers(&tenant).await?;
    Ok(Json(Page {
        items: servers.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

/// Add an authorization server. Its metadata is read first: a server that
/// answers with metadata Sidecar cannot use (another issuer, no
/// registration endpoint for `rfc7591`, an endpoint on another origin) is
/// refused with `422`; one that does not answer is added with status
/// `unreachable`.
#[utoipa::path(
    post,
    path = "/api/v1/tenants/{tenant}/authorization-servers",
    tag = "authorization-servers",
    security(("personal_token" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug.")),
    request_body = AuthorizationServerRequest,
    responses(
        (status = 201, body = AuthorizationServerResponse),
        (status = 409, description = "The name or issuer is the tenant's already."),
        (status = 422, description = "The description or the server's metadata cannot be used."),
    ),
)]
pub async fn add_authorization_server(
    State(state): State<AppState>,
    MemberTenant(tenant): MemberTenant,
    JsonBody(body): JsonBody<AuthorizationServerRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let server = state
        .engine
        .add_authorization_server(&tenant, body.into())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(AuthorizationServerResponse::from(server)),
    ))
}

/// One of the tenant's authorization servers (`builtin` for Sidecar's own).
#[utoipa::path(
    get,
    path = "/api/v1/tenants/{tenant}/authorization-servers/{id}",
    tag = "authorization-servers",
    security(("personal_token" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug."), ("id" = String, Path, description = "The server's id, or `builtin`.")),
    responses((status = 200, body = AuthorizationServerResponse)),
)]
pub async fn get_authorization_server(
    State(state): State<AppState>,
    MemberTenant(tenant): MemberTenant,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<AuthorizationServerResponse>, ApiError> {
    Ok(Json(
        state
            .engine
            .authorization_server(&tenant, &id)
            .await?
            .into(),
    ))
}

/// Replace an added server's description, checked as when it was added.
/// The built-in server cannot be changed (`409`).
#[utoipa::path(
    put,
    path = "/api/v1/tenants/{tenant}/authorization-servers/{id}",
    tag = "authorization-servers",
    security(("personal_token" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug."), ("id" = String, Path, description = "The server's id.")),
    request_body = AuthorizationServerRequest,
    responses((status = 200, body = AuthorizationServerResponse)),
)]
pub async fn put_authorization_server(
    State(state): State<AppState>,
    MemberTenant(tenant): MemberTenant,
    Path((_, id)): Path<(String, String)>,
    JsonBody(body): JsonBody<AuthorizationServerRequest>,
) -> Result<Json<AuthorizationServerResponse>, ApiError> {
    Ok(Json(
        state
            .engine
            .replace_authorization_server(&tenant, &id, body.into())
            .await?
            .into(),
    ))
}

/// Remove an added server; if it was the default, the built-in server is
/// again. The built-in server cannot be removed (`409`).
#[utoipa::path(
    delete,
    path = "/api/v1/tenants/{tenant}/authorization-servers/{id}",
    tag = "authorization-servers",
    security(("personal_token" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug."), ("id" = String, Path, description = "The server's id.")),
    responses((status = 204, description = "Removed.")),
)]
pub async fn delete_authorization_server(
    State(state): State<AppState>,
    MemberTenant(tenant): MemberTenant,
    Path((_, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state
        .engine
        .remove_authorization_server(&tenant, &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Test the connection now: the metadata read again (the status saved),
/// and which of the scopes the tenant grants the server does not list.
#[utoipa::path(
    post,
    path = "/api/v1/tenants/{tenant}/authorization-servers/{id}/check",
    tag = "authorization-servers",
    security(("personal_token" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug."), ("id" = String, Path, description = "The server's id, or `builtin`.")),
    responses((status = 200, body = CheckResponse)),
)]
pub async fn check_authorization_server(
    State(state): State<AppState>,
    MemberTenant(tenant): MemberTenant,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<CheckResponse>, ApiError> {
    Ok(Json(
        state
            .engine
            .check_authorization_server(&tenant, &id)
            .await?
            .into(),
    ))
}
