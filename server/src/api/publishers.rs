//! `GET/POST /api/v1/publishers`: the caller's publisher organisations.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use engine::people::publishers::PublisherMembership;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::json::JsonBody;
use super::{ApiError, Caller, Page};
use crate::http::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct PublisherResponse {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub role: String,
    pub created_at: String,
}

impl From<PublisherMembership> for PublisherResponse {
    fn from(p: PublisherMembership) -> Self {
        Self {
            id: p.id,
            slug: p.slug,
            name: p.name,
            role: p.role.as_str().to_owned(),
            created_at: p.created_at.to_rfc3339(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePublisherRequest {
    pub slug: String,
    pub name: String,
}

/// The publisher organisations the caller belongs to, with the caller's role.
#[utoipa::path(
    get,
    operation_id = "list_publishers",
    path = "/api/v1/publishers",
    tag = "publishers",
    security(("personal_token" = [])),
    responses((status = 200, body = Page<PublisherResponse>)),
)]
pub async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Json<Page<PublisherResponse>>, ApiError> {
    let items = state.engine.list_publishers(&caller.account).await?;
    Ok(Json(Page {
        items: items.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

/// Create a publisher organisation (and its sandbox tenant); the caller
/// becomes its owner.
#[utoipa::path(
    post,
    operation_id = "create_publisher",
    path = "/api/v1/publishers",
    tag = "publishers",
    security(("personal_token" = [])),
    request_body = CreatePublisherRequest,
    responses((status = 201, body = PublisherResponse)),
)]
pub async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    JsonBody(body): JsonBody<CreatePublisherRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let publisher = state
        .engine
        .create_publisher(&caller.account, &body.slug, &body.name)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(PublisherResponse::from(publisher)),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberResponse {
    pub email: String,
    pub role: String,
    /// `active`, or `invited` while the invitation waits for sign-up.
    pub status: &'static str,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    pub email: String,
    pub role: String,
}

/// The organisation's members and open invitations.
#[utoipa::path(
    get,
    operation_id = "list_publisher_members",
    path = "/api/v1/publishers/{slug}/members",
    tag = "publishers",
    security(("personal_token" = [])),
    params(("slug" = String, Path, description = "The publisher's slug.")),
    responses((status = 200, body = Page<MemberResponse>)),
)]
pub async fn members(
    State(state): State<AppState>,
    Caller(caller): Caller,
    axum::extract::Path(slug): axum::extract::Path<String>,
) -> Result<Json<Page<MemberResponse>>, ApiError> {
    let members = state
        .engine
        .list_publisher_members(&caller.account, &slug)
        .await?;
    let items = members
        .into_iter()
        .map(|m| MemberResponse {
            email: m.email,
            role: m.role.as_str().to_owned(),
            status: if m.active { "active" } else { "invited" },
        })
        .collect();
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}

/// Add a member by email (`role`: `owner`, `admin` or `developer`): an
/// existing account joins at once, anyone else gets an invitation.
#[utoipa::path(
    post,
    operation_id = "invite_publisher_member",
    path = "/api/v1/publishers/{slug}/members",
    tag = "publishers",
    security(("personal_token" = [])),
    params(("slug" = String, Path, description = "The publisher's slug.")),
    request_body = InviteRequest,
    responses((status = 201, body = MemberResponse)),
)]
pub async fn invite(
    State(state): State<AppState>,
    Caller(caller): Caller,
    axum::extract::Path(slug): axum::extract::Path<String>,
    JsonBody(body): JsonBody<InviteRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let outcome = state
        .engine
        .invite_publisher_member(&caller.account, &slug, &body.email, &body.role)
        .await?;
    let status = match outcome {
        engine::people::members::Invited::Added => "active",
        engine::people::members::Invited::Invited => "invited",
    };
    let email = domain::Email::parse(&body.email)
        .map(|e| e.to_string())
        .unwrap_or(body.email);
    Ok((
        StatusCode::CREATED,
        Json(MemberResponse {
            email,
            role: body.role,
            status,
        }),
    ))
}
