//! The tenant's audit log, as JSON or CSV.

use axum::extract::State;
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::timestamp;
use crate::api::json::QueryParams;
use crate::api::tenant_context::MemberTenant;
use crate::api::{ApiError, Page};
use crate::http::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditResponse {
    pub id: String,
    pub at: String,
    /// An email, `API key "…"`, or `Sidecar` for what it did itself.
    pub actor: String,
    /// The client address the change was asked from.
    pub origin: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub detail: serde_json::Value,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AuditFormat {
    #[default]
    Json,
    Csv,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// `json` (the default) or `csv`.
    #[param(inline)]
    pub format: Option<AuditFormat>,
    /// The newest entries to return: 1,000 by default, 1 to 10,000.
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<u64>,
}

/// The tenant's audit log, newest first: who did what, when and from where.
/// `format=csv` answers a CSV download instead (`text/csv`).
#[utoipa::path(
    get,
    path = "/api/v1/tenants/{tenant}/audit",
    tag = "audit",
    security(("personal_token" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug."), AuditParams),
    responses((
        status = 200,
        description = "The entries; with `format=csv`, a CSV download.",
        content((Page<AuditResponse> = "application/json"), (String = "text/csv")),
    )),
)]
pub async fn audit(
    State(state): State<AppState>,
    MemberTenant(tenant): MemberTenant,
    QueryParams(params): QueryParams<AuditParams>,
) -> Result<axum::response::Response, ApiError> {
    let entries = state
        .engine
        .tenant_audit(&tenant, params.limit.unwrap_or(1000))
        .await?;
    match params.format.unwrap_or_default() {
        AuditFormat::Json => Ok(Json(Page {
            items: entries
                .into_iter()
                .map(|e| AuditResponse {
                    actor: e.actor(),
                    origin: e.origin,
                    id: e.id,
                    at: timestamp(e.at),
                    action: e.action,
                    target_type: e.target_type,
                    target_id: e.target_id,
                    detail: e.detail,
                })
                .collect::<Vec<_>>(),
            next_cursor: None,
        })
        .into_response()),
        AuditFormat::Csv => Ok(csv_download(tenant.slug(), &entries)),
    }
}

/// The audit log as a CSV download.
pub fn csv_download(
    tenant: &str,
    entries: &[engine::platform::audit::AuditEntry],
) -> axum::response::Response {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/csv; charset=utf-8".to_owned(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{tenant}-audit.csv\""),
            ),
        ],
        engine::platform::audit::to_csv(entries),
    )
        .into_response()
}
