//! The audit log. Every decision and every change of who may do what is
//! written here in the same transaction as the change itself, so the log
//! never claims something that did not happen, nor misses something that did.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::Value;

use crate::accounts::Account;
use crate::entity::{apps, audit_events};
use crate::secret::new_id;
use crate::{EngineError, EngineResult};

/// What is being recorded, before it gets an id and a time.
#[derive(Debug, Clone)]
pub(crate) struct Event<'a> {
    pub actor: Option<&'a Account>,
    pub tenant_id: Option<&'a str>,
    pub publisher_id: Option<&'a str>,
    pub action: &'static str,
    pub target_type: &'static str,
    pub target_id: &'a str,
    pub detail: Value,
}

impl<'a> Event<'a> {
    /// Something that happened in a tenant (`actor` is `None` for Sidecar
    /// itself, e.g. an install following a new version).
    pub fn in_tenant(
        actor: Option<&'a Account>,
        tenant_id: &'a str,
        action: &'static str,
        target: (&'static str, &'a str),
        detail: Value,
    ) -> Self {
        Self {
            actor,
            tenant_id: Some(tenant_id),
            publisher_id: None,
            action,
            target_type: target.0,
            target_id: target.1,
            detail,
        }
    }

    /// Something `actor` did to an app of a publisher.
    pub fn on_app(
        actor: &'a Account,
        app: &'a apps::Model,
        action: &'static str,
        detail: Value,
    ) -> Self {
        Self {
            actor: Some(actor),
            tenant_id: None,
            publisher_id: Some(&app.publisher_id),
            action,
            target_type: "app",
            target_id: &app.id,
            detail,
        }
    }
}

/// A recorded event, as readers see it.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: String,
    pub at: DateTime<Utc>,
    pub actor_email: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub detail: Value,
}

impl TryFrom<audit_events::Model> for AuditEntry {
    type Error = EngineError;

    fn try_from(row: audit_events::Model) -> EngineResult<Self> {
        let detail = serde_json::from_str(&row.detail)
            .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("stored audit detail: {e}")))?;
        Ok(Self {
            id: row.id,
            at: row.at,
            actor_email: row.actor_email,
            action: row.action,
            target_type: row.target_type,
            target_id: row.target_id,
            detail,
        })
    }
}

impl AuditEntry {
    fn app(&self) -> &str {
        self.detail
            .get("app")
            .and_then(Value::as_str)
            .unwrap_or("the app")
    }

    fn name(&self) -> String {
        let name = self
            .detail
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("");
        format!("\"{name}\"")
    }

    /// The event in words, for pages: "approved version 2".
    pub fn describe(&self) -> String {
        let version = self.detail.get("version").and_then(Value::as_i64);
        let reason = self.detail.get("reason").and_then(Value::as_str);
        match (self.action.as_str(), version, reason) {
            ("app.created", _, _) => "registered the app".to_owned(),
            ("version.submitted", Some(n), _) => format!("submitted version {n} for review"),
            ("version.approved", Some(n), _) => format!("approved and published version {n}"),
            ("version.rejected", Some(n), Some(reason)) => {
                format!("did not approve version {n}: {reason}")
            }
            ("install.created", Some(n), _) => format!("installed {} (version {n})", self.app()),
            ("install.updated", Some(n), _) => format!("moved {} to version {n}", self.app()),
            ("install.update_pending", Some(n), _) => {
                format!("version {n} of {} waits for approval", self.app())
            }
            ("install.update_approved", Some(n), _) => format!("approved version {n}"),
            ("secret.rotated", _, _) => "made a new client secret".to_owned(),
            ("key.created", _, _) => format!("created the API key {}", self.name()),
            ("key.revoked", _, _) => format!("revoked the API key {}", self.name()),
            (action, _, _) => action.replace('.', " "),
        }
    }
}

pub(crate) async fn record(
    conn: &impl ConnectionTrait,
    at: DateTime<Utc>,
    event: Event<'_>,
) -> EngineResult<()> {
    audit_events::ActiveModel {
        id: Set(new_id("aud")),
        at: Set(at),
        actor_id: Set(event.actor.map(|a| a.id.clone())),
        actor_email: Set(event.actor.map(|a| a.email.clone())),
        tenant_id: Set(event.tenant_id.map(str::to_owned)),
        publisher_id: Set(event.publisher_id.map(str::to_owned)),
        action: Set(event.action.to_owned()),
        target_type: Set(event.target_type.to_owned()),
        target_id: Set(event.target_id.to_owned()),
        detail: Set(event.detail.to_string()),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Events about one record, newest first.
pub(crate) async fn for_target(
    conn: &impl ConnectionTrait,
    target_id: &str,
) -> EngineResult<Vec<AuditEntry>> {
    audit_events::Entity::find()
        .filter(audit_events::Column::TargetId.eq(target_id))
        .order_by_desc(audit_events::Column::At)
        .order_by_desc(audit_events::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(AuditEntry::try_from)
        .collect()
}

/// The newest `limit` events of a tenant, newest first.
pub(crate) async fn for_tenant(
    conn: &impl ConnectionTrait,
    tenant_id: &str,
    limit: u64,
) -> EngineResult<Vec<AuditEntry>> {
    audit_events::Entity::find()
        .filter(audit_events::Column::TenantId.eq(tenant_id))
        .order_by_desc(audit_events::Column::At)
        .order_by_desc(audit_events::Column::Id)
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(AuditEntry::try_from)
        .collect()
}

/// Entries as CSV (RFC 4180): time, actor, action, target type, target
/// id, detail as JSON.
pub fn to_csv(entries: &[AuditEntry]) -> String {
    fn field(text: &str) -> String {
        if text.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text.to_owned()
        }
    }
    let mut out = String::from("at,actor,action,target_type,target_id,detail\r\n");
    for e in entries {
        let row = [
            e.at.to_rfc3339(),
            e.actor_email.clone().unwrap_or_default(),
            e.action.clone(),
            e.target_type.clone(),
            e.target_id.clone(),
            e.detail.to_string(),
        ];
        out.push_str(&row.iter().map(|f| field(f)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let entry = AuditEntry {
            id: "aud_1".into(),
            at: chrono::DateTime::from_timestamp(0, 0).unwrap(),
            actor_email: Some("a@example.org".into()),
            action: "version.rejected".into(),
            target_type: "app".into(),
            target_id: "app_1".into(),
            detail: serde_json::json!({"reason": "no, \"really\""}),
        };
        let csv = to_csv(&[entry]);
        let line = csv.lines().nth(1).unwrap();
        assert!(
            line.starts_with(
                "1970-01-01T00:00:00+00:00,a@example.org,version.rejected,app,app_1,\"{"
            ),
            "{line}"
        );
        assert!(line.contains("\"\"reason\"\""), "{line}");
    }
}
