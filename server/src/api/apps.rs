//! The publisher API (`/api/v1/publisher/apps…`), the review queue
//! (`/api/v1/review/…`) and the public catalog (`/api/v1/catalog/…`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use domain::{ManifestInput, TokenScope};
use engine::publishing::apps::PublisherApp;
use engine::publishing::catalog::{
    CatalogApp, CatalogAppDetails, CatalogQuery, CatalogSort, CatalogSummary, PublishedVersion,
};
use engine::publishing::review::Submission;
use engine::publishing::versions::VersionView;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::json::{JsonBody, QueryParams};
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

#[derive(Debug, Serialize, ToSchema)]
pub struct SubmissionResponse {
    pub id: String,
    pub app: String,
    pub publisher_name: String,
    pub version: VersionResponse,
}

impl From<Submission> for SubmissionResponse {
    fn from(s: Submission) -> Self {
        Self {
            id: s.version.id.clone(),
            version: (&s.version).into(),
            app: s.app_slug,
            publisher_name: s.publisher_name,
        }
    }
}

/// Versions waiting for review, oldest first (token scope `review`).
#[utoipa::path(
    get,
    path = "/api/v1/review/submissions",
    tag = "review",
    security(("personal_token" = [])),
    responses((status = 200, body = Page<SubmissionResponse>)),
)]
pub async fn review_queue(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Json<Page<SubmissionResponse>>, ApiError> {
    caller.require(TokenScope::Review)?;
    let queue = state.engine.review_queue(&caller.account).await?;
    Ok(Json(Page {
        items: queue.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

/// Approve a submission: it becomes the app's published version.
#[utoipa::path(
    post,
    path = "/api/v1/review/submissions/{id}/approve",
    tag = "review",
    security(("personal_token" = [])),
    params(("id" = String, Path, description = "The submission's (version's) id.")),
    responses((status = 200, body = VersionResponse)),
)]
pub async fn approve(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<VersionResponse>, ApiError> {
    caller.require(TokenScope::Review)?;
    Ok(Json(
        (&state
            .engine
            .approve_submission(&caller.account, &id)
            .await?)
            .into(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    pub reason: String,
}

/// Reject a submission with a reason the developer is sent.
#[utoipa::path(
    post,
    path = "/api/v1/review/submissions/{id}/reject",
    tag = "review",
    security(("personal_token" = [])),
    params(("id" = String, Path, description = "The submission's (version's) id.")),
    request_body = RejectRequest,
    responses((status = 200, body = VersionResponse)),
)]
pub async fn reject(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RejectRequest>,
) -> Result<Json<VersionResponse>, ApiError> {
    caller.require(TokenScope::Review)?;
    Ok(Json(
        (&state
            .engine
            .reject_submission(&caller.account, &id, &body.reason)
            .await?)
            .into(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogAppResponse {
    pub slug: String,
    pub publisher: String,
    pub publisher_name: String,
    pub version: i32,
    pub published_at: Option<String>,
    /// The uploaded logo, on this site (`logo_uri` is the publisher's own).
    pub logo_url: Option<String>,
    #[serde(flatten)]
    pub manifest: ManifestInput,
}

impl From<CatalogApp> for CatalogAppResponse {
    fn from(app: CatalogApp) -> Self {
        let mut manifest = app.version.manifest.to_input();
        // The public listing never shows contacts' addresses or keys.
        manifest.contacts = None;
        manifest.jwks = None;
        Self {
            slug: app.slug,
            publisher: app.publisher_slug,
            publisher_name: app.publisher_name,
            version: app.version.number,
            published_at: app.version.decided_at.map(|at| at.to_rfc3339()),
            logo_url: media_url(&app.version.logo_id),
            manifest,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryResponse {
    pub version: i32,
    pub published_at: Option<String>,
    /// Against the version before it; absent for the first.
    pub changes: Option<domain::ManifestDiff>,
}

impl From<PublishedVersion> for HistoryResponse {
    fn from(v: PublishedVersion) -> Self {
        Self {
            version: v.number,
            published_at: v.published_at.map(|at| at.to_rfc3339()),
            changes: v.changes,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogDetailsResponse {
    #[serde(flatten)]
    pub app: CatalogAppResponse,
    pub history: Vec<HistoryResponse>,
}

impl From<CatalogAppDetails> for CatalogDetailsResponse {
    fn from(details: CatalogAppDetails) -> Self {
        Self {
            app: details.app.into(),
            history: details.history.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CatalogParams {
    /// Words to search for in names, taglines and descriptions.
    pub q: Option<String>,
    /// A category, e.g. `clinical-decision-support`.
    pub category: Option<String>,
    /// A FHIR version, by number (`4.0.1`) or release name (`R4`).
    pub fhir_version: Option<String>,
    /// A launch type: `ehr`, `standalone` or `backend`.
    pub launch: Option<String>,
    /// An audience: `patient`, `clinician` or `backend`.
    pub audience: Option<String>,
    /// `relevance` (with `q`), `newest` or `name`.
    #[param(schema_with = sort_schema)]
    pub sort: Option<String>,
    /// The `next_cursor` of the page before.
    pub cursor: Option<String>,
}

/// The sort orders, as the engine names them.
fn sort_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(CatalogSort::ALL.map(CatalogSort::as_str)))
        .build()
}

const CATALOG_PAGE: u32 = 24;

/// Published apps, 24 to a page, searched and filtered.
#[utoipa::path(
    get,
    path = "/api/v1/catalog/apps",
    tag = "catalog",
    params(CatalogParams),
    responses((status = 200, body = Page<CatalogSummary>)),
)]
pub async fn catalog(
    State(state): State<AppState>,
    QueryParams(params): QueryParams<CatalogParams>,
) -> Result<Json<Page<CatalogSummary>>, ApiError> {
    let page = match params.cursor.as_deref() {
        None | Some("") => 0,
        Some(c) => c
            .parse::<u32>()
            .ok()
            .filter(|p| p.checked_mul(CATALOG_PAGE).is_some())
            .ok_or_else(|| ApiError::bad_request("`cursor` is not one this API gave out."))?,
    };
    let sort = match params.sort.as_deref() {
        None => CatalogSort::default(),
        Some(s) => CatalogSort::parse(s).ok_or_else(|| {
            ApiError::bad_request(format!(
                "`sort` is one of {}.",
                CatalogSort::ALL.map(CatalogSort::as_str).join(", ")
            ))
        })?,
    };
    let query = CatalogQuery {
        q: params.q,
        category: params.category,
        fhir_version: params.fhir_version,
        launch: params.launch,
        audience: params.audience,
        sort,
        page,
        per_page: CATALOG_PAGE,
    };
    let (apps, more) = state.engine.catalog(&query).await?;
    Ok(Json(Page {
        items: apps,
        next_cursor: more.then(|| (page + 1).to_string()),
    }))
}

/// A published app's listing with its version history, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/catalog/apps/{slug}",
    tag = "catalog",
    params(("slug" = String, Path, description = "The app's slug.")),
    responses((status = 200, body = CatalogDetailsResponse)),
)]
pub async fn catalog_app(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<CatalogDetailsResponse>, ApiError> {
    Ok(Json(state.engine.catalog_app(&slug).await?.into()))
}
