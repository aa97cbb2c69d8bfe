//! The tenant's webhook and its recent deliveries.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::timestamp;
use crate::api::json::JsonBody;
use crate::api::tenant_context::MemberTenant;
use crate::api::ApiError;
use crate::http::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookRequest {
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookSecretResponse {
    pub url: String,
    /// The signing secret, shown this once; setting the webhook again
    /// makes a new one.
    pub secret: String,
}

/// Set the webhook URL; answers a new signing secret, shown this once.
#[utoipa::path(
    put,
    path = "/api/v1/tenants/{tenant}/webhook",
    tag = "webhooks",
    security(("personal_token" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug.")),
    request_body = WebhookRequest,
    responses((status = 200, body = WebhookSecretResponse)),
)]
pub async fn set_webhook(
    State(state): State<AppState>,
    MemberTenant(tenant): MemberTenant,
    JsonBody(body): JsonBody<WebhookRequest>,
) -> Result<Json<WebhookSecretResponse>, ApiError> {
    let secret = state.engine.set_webhook(&tenant, &body.url).await?;
    Ok(Json(WebhookSecretResponse {
        url: body.url.trim().to_owned(),
        secret,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryResponse {
    pub id: String,
    pub event: String,
    pub attempts: i32,
    pub delivered_at: Option<String>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookResponse {
    pub url: String,
    /// The latest 50, newest first.
    pub deliveries: Vec<DeliveryResponse>,
}

/// The webhook URL and its latest deliveries.
#[utoipa::path(
    get,
    path = "/api/v1/tenants/{tenant}/webhook",
    tag = "webhooks",
    security(("personal_token" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug.")),
    responses((status = 200, body = WebhookResponse)),
)]
pub async fn webhook(
    State(state): State<AppState>,
    MemberTenant(tenant): MemberTenant,
) -> Result<Json<WebhookResponse>, ApiError> {
    let hook = state
        .engine
        .webhook(&tenant)
        .await?
        .ok_or_else(|| ApiError::not_found("The tenant has no webhook; PUT one."))?;
    Ok(Json(WebhookResponse {
        url: hook.url,
        deliveries: hook
            .deliveries
            .into_iter()
            .map(|d| DeliveryResponse {
                id: d.id,
                event: d.event,
                attempts: d.attempts,
                delivered_at: d.delivered_at.map(timestamp),
                last_status: d.last_status,
                last_error: d.last_error,
                created_at: timestamp(d.created_at),
            })
            .collect(),
    }))
}
