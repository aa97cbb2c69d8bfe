//! The tenant's members (admins and viewers), invited by email.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;

use crate::api::json::JsonBody;
use crate::api::publishers::{InviteRequest, MemberResponse};
use crate::api::tenant_context::MemberTenant;
use crate::api::{ApiError, Page};
use crate::http::AppState;

/// The tenant's members and open invitations.
#[utoipa::path(
    get,
    operation_id = "list_tenant_members",
    path = "/api/v1/tenants/{tenant}/members",
    tag = "tenants",
    security(("personal_token" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug.")),
    responses((status = 200, body = Page<MemberResponse>)),
)]
pub async fn members(
    State(state): State<AppState>,
    MemberTenant(tenant): MemberTenant,
) -> Result<Json<Page<MemberResponse>>, ApiError> {
    let members = state.engine.tenant_members(&tenant).await?;
    Ok(Json(Page {
        items: members
            .into_iter()
            .map(|m| MemberResponse {
                email: m.email,
                role: m.role.as_str().to_owned(),
                status: if m.active { "active" } else { "invited" },
            })
            .collect(),
        next_cursor: None,
    }))
}

/// Add a member by email (`role`: `admin` or `viewer`): an existing
/// account joins at once, anyone else gets an invitation.
#[utoipa::path(
    post,
    operation_id = "invite_tenant_member",
    path = "/api/v1/tenants/{tenant}/members",
    tag = "tenants",
    security(("personal_token" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug.")),
    request_body = InviteRequest,
    responses((status = 201, body = MemberResponse)),
)]
pub async fn invite(
    State(state): State<AppState>,
    MemberTenant(tenant): MemberTenant,
    JsonBody(body): JsonBody<InviteRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let outcome = state
        .engine
        .invite_tenant_member(&tenant, &body.email, &body.role)
        .await?;
    let status = match outcome {
        engine::people::members::Invited::Added => "active",
        engine::people::members::Invited::Invited => "invited",
    };
    Ok((
        StatusCode::CREATED,
        Json(MemberResponse {
            email: body.email.trim().to_owned(),
            role: body.role,
            status,
        }),
    ))
}

/// Remove a member, or withdraw an invitation; the last admin stays (409).
#[utoipa::path(
    delete,
    path = "/api/v1/tenants/{tenant}/members/{email}",
    tag = "tenants",
    security(("personal_token" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug."), ("email" = String, Path, description = "The member's email address.")),
    responses((status = 204, description = "Removed.")),
)]
pub async fn remove_member(
    State(state): State<AppState>,
    MemberTenant(tenant): MemberTenant,
    Path((_, email)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state.engine.remove_tenant_member(&tenant, &email).await?;
    Ok(StatusCode::NO_CONTENT)
}
