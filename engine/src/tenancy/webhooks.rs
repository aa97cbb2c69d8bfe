//! Webhooks: a tenant names a URL and Sidecar tells it when a registration
//! is created, updated, suspended or revoked. Events go to an outbox in the
//! same transaction as the change; a worker delivers them, signed, and
//! retries with exponential backoff.
//!
//! Every process runs a worker; a delivery is claimed with a conditional
//! update before it is sent, so two processes never post the same one.
//!
//! Signature: `Sidecar-Signature: t=<unix seconds>,v1=<hex>` where `v1` is
//! HMAC-SHA-256 under the webhook's secret of `<t>.<body>`. The secret is
//! derived from the master key and a per-webhook nonce: it is shown once,
//! stored nowhere, and a new one replaces it when the webhook is set again.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use sha2::Sha256;

use crate::entity::{installs, webhook_deliveries, webhooks};
use crate::platform::secret::{new_id, random_token};
use crate::tenancy::Tenant;
use crate::{platform::audit, Engine, EngineError, EngineResult};

/// How long a claimed delivery is left to its process before another may
/// take it (longer than a delivery can take).
const CLAIM_FOR: Duration = Duration::seconds(60);

/// Attempts before a delivery is given up.
pub const MAX_ATTEMPTS: i32 = 12;

/// The wait before attempt `n + 1`: 10 s doubling, at most an hour.
pub fn backoff(attempts: i32) -> Duration {
    let exp = attempts.clamp(0, 9) as u32;
    Duration::seconds((10_i64 << exp).min(3600))
}

/// A tenant's webhook, as its console shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookView {
    pub url: String,
    pub deliveries: Vec<DeliveryView>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryView {
    pub id: String,
    pub event: String,
    pub attempts: i32,
    pub delivered_at: Option<DateTime<Utc>>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<webhook_deliveries::Model> for DeliveryView {
    fn from(d: webhook_deliveries::Model) -> Self {
        Self {
            id: d.id,
            event: d.event,
            attempts: d.attempts,
            delivered_at: d.delivered_at,
            last_status: d.last_status,
            last_error: d.last_error,
            created_at: d.created_at,
        }
    }
}

/// The `v1` signature of `body` sent at `t`.
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(format!("{t}.{body}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Queues `event` about `install` for its tenant's webhook, if it has one;
/// run in the transaction of the change.
pub(crate) async fn enqueue(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    event: &str,
    install: &installs::Model,
    app_slug: &str,
    version: i32,
) -> EngineResult<()> {
    let data = serde_json::json!({
        "client_id": install.client_id,
        "app": app_slug,
        "status": install.state,
        "scope": install.granted_scope,
        "version": version,
    });
    enqueue_data(conn, now, &install.tenant_id, event, data).await
}

/// Queues `event` with `data` for the tenant's webhook, if it has one.
pub(crate) async fn enqueue_data(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    tenant_id: &str,
    event: &str,
    data: serde_json::Value,
) -> EngineResult<()> {
    let Some(hook) = webhooks::Entity::find()
        .filter(webhooks::Column::TenantId.eq(tenant_id))
        .one(conn)
        .await?
    else {
        return Ok(());
    };
    let id = new_id("dlv");
    let payload = serde_json::json!({
        "id": id,
        "type": event,
        "created_at": now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "data": data,
    });
    webhook_deliveries::ActiveModel {
        id: Set(id),
        webhook_id: Set(hook.id),
        event: Set(event.to_owned()),
        payload: Set(payload.to_string()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        delivered_at: Set(None),
        last_status: Set(None),
        last_error: Set(None),
        created_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(())
}

impl Engine {
    fn webhook_secret(&self, hook: &webhooks::Model) -> String {
        self.config()
            .master_key
            .keyed_hash(&format!("webhook:{}:{}", hook.id, hook.nonce))
    }

    /// Sets the tenant's webhook URL (https; the server-side fetch rules
    /// apply at delivery) and returns its new signing secret, this once.
    pub async fn set_webhook(&self, tenant: &Tenant, url: &str) -> EngineResult<String> {
        tenant.require_member_admin()?;
        let parsed = url::Url::parse(url.trim())
            .ok()
            .filter(|u| {
                u.scheme() == "https" || (self.config().fetch.allow_private && u.scheme() == "http")
            })
            .filter(|u| u.host().is_some() && u.username().is_empty() && u.password().is_none())
            .ok_or_else(|| {
                EngineError::invalid(
                    "url",
                    "Give an absolute https URL without user name or password.",
                )
            })?;
        let now = self.now();
        let txn = self.begin_write().await?;
        let existing = webhooks::Entity::find()
            .filter(webhooks::Column::TenantId.eq(tenant.id()))
            .one(&txn)
            .await?;
        let hook = match existing {
            Some(hook) => {
                let mut active: webhooks::ActiveModel = hook.into();
                active.url = Set(parsed.to_string());
                active.nonce = Set(random_token());
                active.update(&txn).await?
            }
            None => {
                webhooks::ActiveModel {
                    id: Set(new_id("whk")),
                    tenant_id: Set(tenant.id().to_owned()),
                    url: Set(parsed.to_string()),
                    nonce: Set(random_token()),
                    created_at: Set(now),
                }
                .insert(&txn)
                .await?
            }
        };
        audit::record(
            &txn,
            now,
            audit::Event::by(
                tenant,
                "webhook.set",
                ("webhook", &hook.id),
                serde_json::json!({ "url": hook.url }),
            ),
        )
        .await?;
        txn.commit().await?;
        Ok(self.webhook_secret(&hook))
    }

    /// The tenant's webhook and its latest deliveries; `None` when unset.
    pub async fn webhook(&self, tenant: &Tenant) -> EngineResult<Option<WebhookView>> {
        tenant.require_member_admin()?;
        let Some(hook) = webhooks::Entity::find()
            .filter(webhooks::Column::TenantId.eq(tenant.id()))
            .one(self.db())
            .await?
        else {
            return Ok(None);
        };
        let deliveries = webhook_deliveries::Entity::find()
            .filter(webhook_deliveries::Column::WebhookId.eq(hook.id))
            .order_by_desc(webhook_deliveries::Column::CreatedAt)
            .order_by_desc(webhook_deliveries::Column::Id)
            .limit(50)
            .all(self.db())
            .await?
            .into_iter()
            .map(Into::into)
            .collect();
        Ok(Some(WebhookView {
            url: hook.url,
            deliveries,
        }))
    }

    /// Delivers every due event once; returns how many were attempted.
    pub async fn deliver_webhooks(&self) -> EngineResult<usize> {
        let now = self.now();
        let due = webhook_deliveries::Entity::find()
            .filter(webhook_deliveries::Column::DeliveredAt.is_null())
            .filter(webhook_deliveries::Column::NextAttemptAt.lte(now))
            .filter(webhook_deliveries::Column::Attempts.lt(MAX_ATTEMPTS))
            .order_by_asc(webhook_deliveries::Column::NextAttemptAt)
            .limit(50)
            .all(self.db())
            .await?;
        let attempted = due.len();
        for delivery in due {
            // Claim it: push its next attempt past any delivery time, but
            // only if no other process did so since it was read.
            let claimed = webhook_deliveries::Entity::update_many()
                .col_expr(
                    webhook_deliveries::Column::NextAttemptAt,
                    Expr::value(now + CLAIM_FOR),
                )
                .filter(webhook_deliveries::Column::Id.eq(delivery.id.clone()))
                .filter(webhook_deliveries::Column::DeliveredAt.is_null())
                .filter(webhook_deliveries::Column::NextAttemptAt.eq(delivery.next_attempt_at))
                .exec(self.db())
                .await?;
            if claimed.rows_affected != 1 {
                continue;
            }
            let Some(hook) = webhooks::Entity::find_by_id(delivery.webhook_id.clone())
                .one(self.db())
                .await?
            else {
                continue;
            };
            let t = now.timestamp();
            let headers = [
                (
                    "sidecar-signature",
                    format!(
                        "t={t},v1={}",
                        signature(&self.webhook_secret(&hook), t, &delivery.payload)
                    ),
                ),
                ("sidecar-event", delivery.event.clone()),
                ("sidecar-delivery", delivery.id.clone()),
            ];
            let outcome = match url::Url::parse(&hook.url) {
                Ok(url) => {
                    crate::platform::fetch::post_json(
                        &self.config().fetch,
                        &url,
                        &headers,
                        delivery.payload.clone(),
                    )
                    .await
                }
                Err(_) => Err(crate::platform::fetch::FetchError::NoHost),
            };
            let attempts = delivery.attempts + 1;
            let mut row: webhook_deliveries::ActiveModel = delivery.into();
            row.attempts = Set(attempts);
            match outcome {
                Ok(status) if (200..300).contains(&status) => {
                    row.delivered_at = Set(Some(self.now()));
                    row.last_status = Set(Some(i32::from(status)));
                    row.last_error = Set(None);
                }
                Ok(status) => {
                    row.last_status = Set(Some(i32::from(status)));
                    row.last_error = Set(Some(format!("answered HTTP {status}")));
                    row.next_attempt_at = Set(now + backoff(attempts - 1));
                }
                Err(e) => {
                    row.last_status = Set(None);
                    row.last_error = Set(Some(e.to_string()));
                    row.next_attempt_at = Set(now + backoff(attempts - 1));
                }
            }
            row.update(self.db()).await?;
        }
        Ok(attempted)
    }
}

/// Delivers webhook events as they come due.
pub struct WebhookWorker {
    engine: Engine,
}

impl WebhookWorker {
    pub fn new(engine: Engine) -> Self {
        Self { engine }
    }

    pub async fn run(self) {
        loop {
            match self.engine.deliver_webhooks().await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::error!(error = %format!("{e:#}"), "webhook delivery failed"),
            }
            let _ = tokio::time::timeout(
                StdDuration::from_secs(2),
                self.engine.webhooks_ready.notified(),
            )
            .await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(0), Duration::seconds(10));
        assert_eq!(backoff(1), Duration::seconds(20));
        assert_eq!(backoff(5), Duration::seconds(320));
        assert_eq!(backoff(11), Duration::seconds(3600));
    }

    #[test]
    fn signatures_cover_time_and_body() {
        let a = signature("secret", 1, "{}");
        assert_eq!(a.len(), 64);
        assert_ne!(a, signature("secret", 2, "{}"));
        assert_ne!(a, signature("secret", 1, "{ }"));
        assert_ne!(a, signature("other", 1, "{}"));
    }
}
