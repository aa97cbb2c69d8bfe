//! The tenant's end users: who signs in at its authorization server.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::timestamp;
use crate::api::json::JsonBody;
use crate::api::tenant_context::MemberTenant;
use crate::api::{ApiError, Page};
use crate::http::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct TenantUserResponse {
    pub id: String,
    pub username: String,
    /// The FHIR resource the user is, e.g. `Practitioner/123` (SMART's
    /// name for it).
    #[serde(rename = "fhirUser")]
    #[schema(rename = "fhirUser")]
    pub fhir_user: String,
    /// The same as `fhirUser`; answered for one more release.
    #[serde(rename = "fhir_user")]
    #[schema(deprecated)]
    pub fhir_user_deprecated: String,
    pub created_at: String,
}

impl From<engine::authz::users::TenantUser> for TenantUserResponse {
    fn from(u: engine::authz::users::TenantUser) -> Self {
        Self {
            id: u.id,
            username: u.username,
            fhir_user_deprecated: u.fhir_user.clone(),
            fhir_user: u.fhir_user,
            created_at: timestamp(u.created_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantUserRequest {
    #[schema(min_length = 1, max_length = 64)]
    pub username: String,
    /// At least 8 characters and not a common one; never shown again.
    #[schema(min_length = 8, max_length = 1024)]
    pub password: String,
    /// `Practitioner/…`, `PractitionerRole/…`, `Patient/…`,
    /// `RelatedPerson/…` or `Person/…` (SMART's name; required).
    #[serde(rename = "fhirUser")]
    #[schema(rename = "fhirUser", max_length = 200)]
    pub fhir_user: Option<String>,
    /// The old spelling of `fhirUser`, taken for one more release.
    #[serde(rename = "fhir_user")]
    #[schema(deprecated, max_length = 200)]
    pub fhir_user_deprecated: Option<String>,
}

impl TenantUserRequest {
    /// `fhirUser`, or its old spelling; one of them, once.
    fn fhir_user(&self) -> Result<&str, ApiError> {
        match (&self.fhir_user, &self.fhir_user_deprecated) {
            (Some(name), None) | (None, Some(name)) => Ok(name),
            (Some(_), Some(_)) => Err(ApiError::invalid(
                "fhir_user",
                "Send `fhirUser` alone: `fhir_user` is its old spelling.",
            )),
            (None, None) => Err(ApiError::invalid(
                "fhirUser",
                "This is required: the FHIR resource the user is, e.g. Practitioner/123.",
            )),
        }
    }
}

/// The end users of the tenant's authorization server.
#[utoipa::path(
    get,
    path = "/api/v1/tenants/{tenant}/users",
    operation_id = "list_tenant_users",
    tag = "tenants",
    security(("personal_token" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug.")),
    responses((status = 200, body = Page<TenantUserResponse>)),
)]
pub async fn users(
    State(state): State<AppState>,
    MemberTenant(tenant): MemberTenant,
) -> Result<Json<Page<TenantUserResponse>>, ApiError> {
    let users = state.engine.tenant_users(&tenant).await?;
    Ok(Json(Page {
        items: users.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

/// Add an end user who logs in at the tenant's authorize endpoint.
#[utoipa::path(
    post,
    path = "/api/v1/tenants/{tenant}/users",
    operation_id = "create_tenant_user",
    tag = "tenants",
    security(("personal_token" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug.")),
    request_body = TenantUserRequest,
    responses((status = 201, body = TenantUserResponse)),
)]
pub async fn create_user(
    State(state): State<AppState>,
    MemberTenant(tenant): MemberTenant,
    JsonBody(body): JsonBody<TenantUserRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let user = state
        .engine
        .create_tenant_user(&tenant, &body.username, &body.password, body.fhir_user()?)
        .await
        .map_err(|e| {
            // Named as the caller spelled it.
            let spelled = if body.fhir_user.is_some() {
                "fhirUser"
            } else {
                "fhir_user"
            };
            ApiError::from(e).with_field_renamed("fhir_user", spelled)
        })?;
    Ok((StatusCode::CREATED, Json(TenantUserResponse::from(user))))
}

/// Remove an end user.
#[utoipa::path(
    delete,
    path = "/api/v1/tenants/{tenant}/users/{id}",
    operation_id = "remove_tenant_user",
    tag = "tenants",
    security(("personal_token" = [])),
    params(
        ("tenant" = String, Path, description = "The tenant's slug."),
        ("id" = String, Path, description = "The user's id."),
    ),
    responses((status = 204, description = "Removed.")),
)]
pub async fn remove_user(
    State(state): State<AppState>,
    MemberTenant(tenant): MemberTenant,
    Path((_, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state.engine.remove_tenant_user(&tenant, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
