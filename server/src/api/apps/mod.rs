//! The publisher API (`/api/v1/publisher/apps…`), the review queue
//! (`/api/v1/review/…`) and the public catalog (`/api/v1/catalog/…`).

pub(crate) mod catalog;
pub(crate) mod review;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use domain::{ManifestInput, TokenScope};
use engine::publishing::apps::PublisherApp;
use engine::publishing::versions::VersionView;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::json::JsonBody;
use super::{ApiError, Caller, Page};
use crate::http::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionResponse {
    pub id: String,
    pub number: i32,
    pub state: String,
    pub submitted_at: String,
    pub decided_at: Option<String>,
    pub rejection_reason: Option<String>,
    /// The uploaded logo of this version, on this site.
    pub logo_url: Option<String>,
    pub manifest: ManifestInput,
}

fn media_url(id: &Option<String>) -> Option<String> {
    id.as_ref().map(|id| format!("/media/{id}"))
}

impl From<&VersionView> for VersionResponse {
    fn from(v: &VersionView) -> Self {
        Self {
            id: v.id.clone(),
            number: v.number,
            state: v.state.clone(),
            submitted_at: v.submitted_at.to_rfc3339(),
            decided_at: v.decided_at.map(|at| at.to_rfc3339()),
            rejection_reason: v.rejection_reason.clone(),
            logo_url: media_url(&v.logo_id),
            manifest: v.manifest.to_input(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AppResponse {
    pub slug: String,
    pub publisher: String,
    pub draft: ManifestInput,
    /// The uploaded logo of the draft, on this site.
    pub draft_logo_url: Option<String>,
    pub published_version: Option<VersionResponse>,
    pub pending_version: Option<VersionResponse>,
    pub versions: Vec<VersionResponse>,
}

impl From<PublisherApp> for AppResponse {
    fn from(app: PublisherApp) -> Self {
        Self {
            published_version: app.published().map(Into::into),
            pending_version: app.pending().map(Into::into),
            versions: app.versions.iter().map(Into::into).collect(),
            slug: app.slug,
            publisher: app.publisher_slug,
            draft_logo_url: media_url(&app.draft_logo_id),
            draft: app.draft,
        }
    }
}

/// A manifest body, refused whole when a member is unknown.
fn manifest_from(value: serde_json::Map<String, Value>) -> Result<ManifestInput, ApiError> {
    serde_json::from_value(Value::Object(value))
        .map_err(|e| ApiError::bad_request(format!("The manifest is not valid: {e}")))
}

fn take_string(
    body: &mut serde_json::Map<String, Value>,
    key: &str,
) -> Result<Option<String>, ApiError> {
    match body.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::bad_request(format!("`{key}` must be a string."))),
    }
}

/// `POST /publisher/apps`'s body: the manifest's members beside these
/// (the handler reads it member by member, so unknown ones are refused).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct CreateAppRequest {
    /// The publisher organisation's slug.
    publisher: String,
    /// The app's slug; made from `client_name` when absent.
    slug: Option<String>,
    #[serde(flatten)]
    manifest: ManifestInput,
}

/// Register an app under a publisher (token scope `publisher`); the manifest
/// becomes its draft.
#[utoipa::path(
    post,
    operation_id = "create_app",
    path = "/api/v1/publisher/apps",
    tag = "apps",
    security(("personal_token" = [])),
    request_body = CreateAppRequest,
    responses((status = 201, body = AppResponse)),
)]
pub async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    JsonBody(mut body): JsonBody<serde_json::Map<String, Value>>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(TokenScope::Publisher)?;
    let publisher = take_string(&mut body, "publisher")?.ok_or_else(|| {
        ApiError::bad_request("Name the publisher organisation's slug in `publisher`.")
    })?;
    let slug = take_string(&mut body, "slug")?;
    let manifest = manifest_from(body)?;
    let app = state
        .engine
        .create_app(&caller.account, &publisher, slug.as_deref(), manifest)
        .await?;
    Ok((StatusCode::CREATED, Json(AppResponse::from(app))))
}

/// The apps of every publisher the caller belongs to.
#[utoipa::path(
    get,
    operation_id = "list_apps",
    path = "/api/v1/publisher/apps",
    tag = "apps",
    security(("personal_token" = [])),
    responses((status = 200, body = Page<AppResponse>)),
)]
pub async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Json<Page<AppResponse>>, ApiError> {
    caller.require(TokenScope::Publisher)?;
    let apps = state.engine.list_publisher_apps(&caller.account).await?;
    Ok(Json(Page {
        items: apps.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

/// One app: its draft, published and pending versions, and history.
#[utoipa::path(
    get,
    operation_id = "get_app",
    path = "/api/v1/publisher/apps/{slug}",
    tag = "apps",
    security(("personal_token" = [])),
    params(("slug" = String, Path, description = "The app's slug.")),
    responses((status = 200, body = AppResponse)),
)]
pub async fn get(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(slug): Path<String>,
) -> Result<Json<AppResponse>, ApiError> {
    caller.require(TokenScope::Publisher)?;
    Ok(Json(
        state
            .engine
            .publisher_app(&caller.account, &slug)
            .await?
            .into(),
    ))
}

/// Replace the draft's manifest (unknown members are refused; the draft may
/// be incomplete until it is submitted).
#[utoipa::path(
    put,
    path = "/api/v1/publisher/apps/{slug}/draft",
    tag = "apps",
    security(("personal_token" = [])),
    params(("slug" = String, Path, description = "The app's slug.")),
    request_body = ManifestInput,
    responses((status = 200, body = AppResponse)),
)]
pub async fn put_draft(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(slug): Path<String>,
    JsonBody(body): JsonBody<serde_json::Map<String, Value>>,
) -> Result<Json<AppResponse>, ApiError> {
    caller.require(TokenScope::Publisher)?;
    let manifest = manifest_from(body)?;
    Ok(Json(
        state
            .engine
            .update_draft(&caller.account, &slug, manifest)
            .await?
            .into(),
    ))
}

/// Submit the draft for review as a new version; refused with every field
/// at fault when the manifest is not complete and valid.
#[utoipa::path(
    post,
    path = "/api/v1/publisher/apps/{slug}/submit",
    tag = "apps",
    security(("personal_token" = [])),
    params(("slug" = String, Path, description = "The app's slug.")),
    responses((status = 201, body = VersionResponse)),
)]
pub async fn submit(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(slug): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(TokenScope::Publisher)?;
    let version = state.engine.submit_app(&caller.account, &slug).await?;
    Ok((StatusCode::CREATED, Json(VersionResponse::from(&version))))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LogoResponse {
    pub id: String,
    /// Where the logo is served, on this site.
    pub url: String,
}

/// Upload the draft's logo: the image itself as the body (PNG, JPEG or
/// WebP, at most 256 KB).
#[utoipa::path(
    put,
    path = "/api/v1/publisher/apps/{slug}/logo",
    tag = "apps",
    security(("personal_token" = [])),
    params(("slug" = String, Path, description = "The app's slug.")),
    request_body(content(("image/png"), ("image/jpeg"), ("image/webp"))),
    responses((status = 200, body = LogoResponse)),
)]
pub async fn put_logo(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(slug): Path<String>,
    request: axum::extract::Request,
) -> Result<Json<LogoResponse>, ApiError> {
    caller.require(TokenScope::Publisher)?;
    let bytes = axum::body::to_bytes(request.into_body(), domain::MAX_LOGO_BYTES + 1)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "The logo is larger than 256 KB.",
            )
        })?;
    let id = state
        .engine
        .set_draft_logo(&caller.account, &slug, &bytes)
        .await?;
    Ok(Json(LogoResponse {
        url: format!("/media/{id}"),
        id,
    }))
}

/// Remove the draft's logo.
#[utoipa::path(
    delete,
    path = "/api/v1/publisher/apps/{slug}/logo",
    tag = "apps",
    security(("personal_token" = [])),
    params(("slug" = String, Path, description = "The app's slug.")),
    responses((status = 204, description = "Removed.")),
)]
pub async fn delete_logo(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(slug): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(TokenScope::Publisher)?;
    state
        .engine
        .remove_draft_logo(&caller.account, &slug)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
