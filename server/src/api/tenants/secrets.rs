//! Client secrets through the API, for an app's developers: rotation
//! wherever the install's client lives, and the secret a tenant's own
//! authorization server issued, revealed once.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::TokenScope;
use engine::provisioning::rotation::Rotation;
use serde::Serialize;
use utoipa::ToSchema;

use super::provisioning::ProvisioningResponse;
use crate::api::{ApiError, Caller};
use crate::http::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct SecretResponse {
    pub client_id: String,
    /// Shown this once; the previous secret keeps working for the grace
    /// period (`SIDECAR_SECRET_GRACE_HOURS`, 24 by default).
    pub client_secret: String,
    pub previous_valid_for_seconds: i64,
}

/// A rotation at the tenant's own authorization server, under way.
#[derive(Debug, Serialize, ToSchema)]
pub struct RotationQueuedResponse {
    /// A new client is being registered at the server; the old one works
    /// for `previous_valid_for_seconds` and is deleted there after that.
    pub provisioning: ProvisioningResponse,
    pub previous_valid_for_seconds: i64,
    /// Where the new client's secret is revealed once, when
    /// `provisioning.secret_waiting` is true.
    pub reveal: String,
}

/// A new client secret for the app in one tenant; the previous one keeps
/// working for the grace period. At the built-in server the secret is in
/// the answer (200). At the tenant's own server a new client is registered
/// there in the background (202): watch `provisioning`, then reveal its
/// secret once (`…/server-secret`).
#[utoipa::path(
    post,
    path = "/api/v1/publisher/apps/{slug}/installs/{tenant}/secret",
    tag = "apps",
    security(("personal_token" = [])),
    params(("slug" = String, Path, description = "The app's slug."), ("tenant" = String, Path, description = "The tenant's slug.")),
    responses(
        (status = 200, body = SecretResponse),
        (status = 202, body = RotationQueuedResponse),
    ),
)]
pub async fn rotate_secret(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path((slug, tenant)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    caller.require(TokenScope::Publisher)?;
    let grace = state.engine.config().secret_grace.num_seconds();
    Ok(
        match state
            .engine
            .rotate_secret(&caller.account, &slug, &tenant)
            .await?
        {
            Rotation::Issued { install, secret } => Json(SecretResponse {
                client_id: install.client_id,
                client_secret: secret,
                previous_valid_for_seconds: grace,
            })
            .into_response(),
            Rotation::Queued { provisioning, .. } => (
                StatusCode::ACCEPTED,
                Json(RotationQueuedResponse {
                    provisioning: provisioning.into(),
                    previous_valid_for_seconds: grace,
                    reveal: format!(
                        "/api/v1/publisher/apps/{slug}/installs/{tenant}/server-secret"
                    ),
                }),
            )
                .into_response(),
        },
    )
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServerSecretResponse {
    /// The client id at the tenant's authorization server.
    pub client_id: String,
    /// The secret that server issued: shown this once, then not kept.
    pub client_secret: String,
}

/// The client secret the tenant's own authorization server issued for the
/// app's install there, revealed this once (404 when none waits).
#[utoipa::path(
    post,
    path = "/api/v1/publisher/apps/{slug}/installs/{tenant}/server-secret",
    tag = "apps",
    security(("personal_token" = [])),
    params(("slug" = String, Path, description = "The app's slug."), ("tenant" = String, Path, description = "The tenant's slug.")),
    responses((status = 200, body = ServerSecretResponse)),
)]
pub async fn reveal_secret(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path((slug, tenant)): Path<(String, String)>,
) -> Result<Json<ServerSecretResponse>, ApiError> {
    caller.require(TokenScope::Publisher)?;
    let (client_id, client_secret) = state
        .engine
        .reveal_server_secret(&caller.account, &slug, &tenant)
        .await?;
    Ok(Json(ServerSecretResponse {
        client_id,
        client_secret,
    }))
}
