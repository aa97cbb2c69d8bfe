//! Provisioning through the API: where an install's client at the tenant's
//! own authorization server stands, "retry now", moving an install to
//! another server, and the hand-off at a manual server.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use engine::provisioning::installs::ProvisioningView;
use engine::tenancy::installs::InstallView;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::installs::InstallResponse;
use super::timestamp;
use crate::api::json::JsonBody;
use crate::api::tenant_context::InstallsTenant;
use crate::api::ApiError;
use crate::http::AppState;

/// An install's client at one of the tenant's own authorization servers.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProvisioningResponse {
    /// The authorization server's id in the tenant.
    pub authorization_server: String,
    pub server_name: String,
    pub issuer: String,
    /// The client id that server gave, once it did.
    pub client_id: Option<String>,
    /// `pending`, `provisioning`, `active`, `awaiting_manual`, `retrying`,
    /// `failed`, `rejected`, `orphaned` or `deprovisioned`.
    pub state: String,
    /// Failed attempts since the last success.
    pub attempts: i32,
    /// When a `retrying` job tries again.
    pub next_attempt_at: Option<String>,
    /// What went wrong last, in words (the server's own where it gave some).
    pub last_error: Option<String>,
    /// The server's `error` code (RFC 7591), when it gave one.
    pub error_code: Option<String>,
    /// A secret the server issued waits for the developer to reveal it.
    pub secret_waiting: bool,
    /// Registrations whose answers were lost: names to look for at the
    /// server and delete.
    pub possible_orphans: Vec<String>,
    pub updated_at: String,
}

impl From<ProvisioningView> for ProvisioningResponse {
    fn from(p: ProvisioningView) -> Self {
        Self {
            authorization_server: p.server_id,
            server_name: p.server_name,
            issuer: p.issuer,
            client_id: p.client_id,
            state: p.state,
            attempts: p.attempts,
            next_attempt_at: p.next_attempt_at.map(timestamp),
            last_error: p.last_error,
            error_code: p.error_code,
            secret_waiting: p.secret_waiting,
            possible_orphans: p.possible_orphans,
            updated_at: timestamp(p.updated_at),
        }
    }
}

/// `installs` as the API answers them, each with its provisioning.
pub(crate) async fn with_provisioning(
    state: &AppState,
    installs: Vec<InstallView>,
) -> Result<Vec<InstallResponse>, ApiError> {
    let mut found: HashMap<String, ProvisioningView> = state
        .engine
        .provisioning_of(&installs.iter().collect::<Vec<_>>())
        .await?;
    Ok(installs
        .into_iter()
        .map(|install| {
            let provisioning = found.remove(&install.id).map(Into::into);
            InstallResponse::new(install, provisioning)
        })
        .collect())
}

/// Retry provisioning now: a job that gave up, was refused or lost its
/// client at the server starts again (an orphaned client is registered
/// anew). Answers 202; the install's `provisioning` shows the progress.
#[utoipa::path(
    post,
    path = "/api/v1/tenants/{tenant}/installs/{id}/provisioning/retry",
    tag = "installs",
    security(("personal_token" = []), ("tenant_key" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug."), ("id" = String, Path, description = "The install's id.")),
    responses((status = 202, body = InstallResponse)),
)]
pub async fn retry(
    State(state): State<AppState>,
    InstallsTenant(tenant): InstallsTenant,
    Path((_, id)): Path<(String, String)>,
) -> Result<(StatusCode, Json<InstallResponse>), ApiError> {
    state.engine.retry_provisioning(&tenant, &id).await?;
    let install = state.engine.install(&tenant, &id).await?;
    Ok((
        StatusCode::ACCEPTED,
        super::installs::one(&state, install).await?,
    ))
}

/// What to enter at a manual authorization server, or remove there.
#[derive(Debug, Serialize, ToSchema)]
pub struct ManualHandoffResponse {
    pub server_name: String,
    pub issuer: String,
    /// `register` (enter or update the client there) or `remove` (delete
    /// it there: the install is suspended or revoked).
    pub action: String,
    /// The client id entered last time, if any.
    pub client_id: Option<String>,
    /// The registration as RFC 7591 client metadata.
    #[schema(value_type = Object)]
    pub registration: serde_json::Value,
    /// The same as label and value, for people.
    pub table: Vec<ManualRow>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ManualRow {
    pub label: String,
    pub value: String,
}

/// The registration a tenant admin enters by hand at a manual
/// authorization server (404 when the install is not at one).
#[utoipa::path(
    get,
    path = "/api/v1/tenants/{tenant}/installs/{id}/provisioning/manual",
    tag = "installs",
    security(("personal_token" = []), ("tenant_key" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug."), ("id" = String, Path, description = "The install's id.")),
    responses((status = 200, body = ManualHandoffResponse)),
)]
pub async fn manual_handoff(
    State(state): State<AppState>,
    InstallsTenant(tenant): InstallsTenant,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<ManualHandoffResponse>, ApiError> {
    let handoff = state.engine.manual_handoff(&tenant, &id).await?;
    Ok(Json(ManualHandoffResponse {
        server_name: handoff.server_name,
        issuer: handoff.issuer,
        action: handoff.action.to_owned(),
        client_id: handoff.client_id,
        registration: handoff.registration,
        table: handoff
            .table
            .into_iter()
            .map(|(label, value)| ManualRow { label, value })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ManualCompletion {
    /// The client id the manual server gave (required while the install
    /// is active; ignored when it was removed there).
    pub client_id: Option<String>,
    /// The secret the server made, if it made one: kept sealed until the
    /// app's developer reveals it once.
    pub client_secret: Option<String>,
}

/// Says the manual server now holds the install as shown: entered there
/// with this client id, or removed there when the install is not active.
#[utoipa::path(
    post,
    path = "/api/v1/tenants/{tenant}/installs/{id}/provisioning/manual",
    tag = "installs",
    security(("personal_token" = []), ("tenant_key" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug."), ("id" = String, Path, description = "The install's id.")),
    request_body = ManualCompletion,
    responses((status = 200, body = InstallResponse)),
)]
pub async fn complete_manual(
    State(state): State<AppState>,
    InstallsTenant(tenant): InstallsTenant,
    Path((_, id)): Path<(String, String)>,
    JsonBody(body): JsonBody<ManualCompletion>,
) -> Result<Json<InstallResponse>, ApiError> {
    state
        .engine
        .complete_manual(
            &tenant,
            &id,
            body.client_id.as_deref(),
            body.client_secret.as_deref(),
        )
        .await?;
    let install = state.engine.install(&tenant, &id).await?;
    super::installs::one(&state, install).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveRequest {
    /// The authorization server's id in the tenant, or `builtin`.
    pub authorization_server: String,
}

/// Moves the install to another of the tenant's authorization servers: the
/// client is provisioned there (202; `provisioning` shows the progress) and
/// the old client is deleted from the old server once the new one is
/// active.
#[utoipa::path(
    post,
    path = "/api/v1/tenants/{tenant}/installs/{id}/move",
    tag = "installs",
    security(("personal_token" = []), ("tenant_key" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug."), ("id" = String, Path, description = "The install's id.")),
    request_body = MoveRequest,
    responses((status = 202, body = InstallResponse)),
)]
pub async fn move_install(
    State(state): State<AppState>,
    InstallsTenant(tenant): InstallsTenant,
    Path((_, id)): Path<(String, String)>,
    JsonBody(body): JsonBody<MoveRequest>,
) -> Result<(StatusCode, Json<InstallResponse>), ApiError> {
    let install = state
        .engine
        .move_install(&tenant, &id, &body.authorization_server)
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        super::installs::one(&state, install).await?,
    ))
}
