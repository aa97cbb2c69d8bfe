//! `POST /api/v1/launches`: the tenant's EHR makes a launch context for an
//! app it is about to open (tenant API key with `launch:write`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use engine::authz::launch::{LaunchContext, NewLaunch};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::json::JsonBody;
use super::registrations::TenantKey;
use super::ApiError;
use crate::http::AppState;

/// Who and what the app is launched for; every field but `client_id` is
/// optional.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LaunchRequest {
    /// The install's client id.
    pub client_id: Option<String>,
    /// The patient in context: a FHIR id (`123`).
    pub patient: Option<String>,
    /// The encounter in context: a FHIR id.
    pub encounter: Option<String>,
    /// The user the EHR launched for (`Practitioner/123`); only that end
    /// user may sign in to the launch.
    #[serde(rename = "fhirUser")]
    #[schema(rename = "fhirUser")]
    pub fhir_user: Option<String>,
    pub need_patient_banner: Option<bool>,
    /// The EHR's style document (SMART `smart_style_url`).
    pub smart_style_url: Option<String>,
    /// Further context (SMART 2.2 `fhirContext`): objects with a
    /// `reference`, `canonical` or `identifier`, and optionally `type` and
    /// `role`; at most 20.
    #[serde(rename = "fhirContext")]
    #[schema(rename = "fhirContext")]
    pub fhir_context: Option<Vec<serde_json::Value>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LaunchResponse {
    /// The opaque `launch` value for the app's launch URL: good once, for
    /// this client, until it expires.
    pub launch: String,
    /// Seconds until it expires.
    pub expires_in: i64,
}

/// Make an EHR launch context for one of the tenant's active installs.
/// Pass `launch` (and `iss`, the tenant's issuer) to the app's launch URL.
#[utoipa::path(
    post,
    path = "/api/v1/launches",
    tag = "launches",
    security(("tenant_key" = [])),
    request_body = LaunchRequest,
    responses((status = 201, body = LaunchResponse)),
)]
pub async fn create(
    State(state): State<AppState>,
    TenantKey(key): TenantKey,
    JsonBody(body): JsonBody<LaunchRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let request = NewLaunch {
        client_id: body.client_id,
        context: LaunchContext {
            patient: body.patient,
            encounter: body.encounter,
            fhir_user: body.fhir_user,
            need_patient_banner: body.need_patient_banner,
            smart_style_url: body.smart_style_url,
            fhir_context: body.fhir_context,
        },
    };
    let created = state.engine.create_launch(&key, request).await?;
    Ok((
        StatusCode::CREATED,
        Json(LaunchResponse {
            launch: created.launch,
            expires_in: created.expires_in,
        }),
    ))
}
