//! The public catalog (`/api/v1/catalog/…`).

use axum::extract::{Path, State};
use axum::Json;
use domain::ManifestInput;
use engine::publishing::catalog::{
    CatalogApp, CatalogAppDetails, CatalogQuery, CatalogSort, CatalogSummary, PublishedVersion,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::media_url;
use crate::api::json::QueryParams;
use crate::api::{ApiError, Page};
use crate::http::AppState;

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
