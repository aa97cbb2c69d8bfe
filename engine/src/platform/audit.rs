//! The audit log. Every decision and every change of who may do what is
//! written here in the same transaction as the change itself, so the log
//! never claims something that did not happen, nor misses something that did.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::Value;

use crate::entity::{apps, audit_events};
use crate::platform::secret::new_id;
use crate::{EngineError, EngineResult};

/// The most audit entries one request may read.
pub const AUDIT_PAGE_MAX: u64 = 10_000;

tokio::task_local! {
    static ORIGIN: String;
}

/// Runs `work` with `origin` (the client address a request came from)
/// recorded on every audit entry it writes. The HTTP layer wraps each
/// request in this, so the engine's signatures need not carry it.
pub async fn with_origin<F: std::future::Future>(origin: String, work: F) -> F::Output {
    ORIGIN.scope(origin, work).await
}

fn current_origin() -> Option<String> {
    ORIGIN.try_with(Clone::clone).ok()
}

/// Who did it, as recorded. The contexts that know people and API keys
/// turn theirs into this (`From<&Account>`, `From<&Actor>`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum By<'a> {
    Person { id: &'a str, email: &'a str },
    Key { id: &'a str, name: &'a str },
}

/// What is being recorded, before it gets an id and a time.
#[derive(Debug, Clone)]
pub(crate) struct Event<'a> {
    pub actor: Option<By<'a>>,
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
        actor: Option<By<'a>>,
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
        actor: impl Into<By<'a>>,
        app: &'a apps::Model,
        action: &'static str,
        detail: Value,
    ) -> Self {
        Self {
            actor: Some(actor.into()),
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
    /// The name of the tenant API key that acted, if one did.
    pub actor_key: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub detail: Value,
    /// The client address the change was asked from.
    pub origin: Option<String>,
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
            actor_key: row.actor_key_name,
            action: row.action,
            target_type: row.target_type,
            target_id: row.target_id,
            detail,
            origin: row.origin,
        })
    }
}

impl AuditEntry {
    /// Who acted, for people: an email, an API key, or Sidecar itself.
    pub fn actor(&self) -> String {
        match (&self.actor_email, &self.actor_key) {
            (Some(email), _) => email.clone(),
            (None, Some(key)) => format!("API key \"{key}\""),
            (None, None) => "Sidecar".to_owned(),
        }
    }

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
            ("install.created", Some(0), _) => format!("installed {} (the draft)", self.app()),
            ("install.created", Some(n), _) => format!("installed {} (version {n})", self.app()),
            ("install.draft_followed", _, _) => format!("moved {} to the saved draft", self.app()),
            ("member.added" | "member.invited", _, _) => format!(
                "{} {} as {}",
                if self.action == "member.added" {
                    "added"
                } else {
                    "invited"
                },
                self.detail
                    .get("email")
                    .and_then(Value::as_str)
                    .unwrap_or("someone"),
                self.detail
                    .get("role")
                    .and_then(Value::as_str)
                    .unwrap_or("member"),
            ),
            ("member.removed", _, _) => format!(
                "removed {}",
                self.detail
                    .get("email")
                    .and_then(Value::as_str)
                    .unwrap_or("someone")
            ),
            ("tenant.updated", _, _) => "changed the tenant's settings".to_owned(),
            ("webhook.set", _, _) => "set the webhook".to_owned(),
            ("install.updated", Some(n), _) => format!("moved {} to version {n}", self.app()),
            ("install.update_pending", Some(n), _) => {
                format!("version {n} of {} waits for approval", self.app())
            }
            ("install.update_approved", Some(n), _) => format!("approved version {n}"),
            ("secret.rotated", _, _) => "made a new client secret".to_owned(),
            ("key.created", _, _) => format!("created the API key {}", self.name()),
            ("key.revoked", _, _) => format!("revoked the API key {}", self.name()),
            ("user.created" | "user.removed", _, _) => format!(
                "{} the end user {}",
                if self.action == "user.created" {
                    "added"
                } else {
                    "removed"
                },
                self.detail
                    .get("username")
                    .and_then(Value::as_str)
                    .unwrap_or("someone"),
            ),
            ("authorization_server.added", _, _) => {
                format!("added the authorization server {}", self.name())
            }
            ("authorization_server.updated", _, _) => {
                format!("changed the authorization server {}", self.name())
            }
            ("authorization_server.default", _, _) => {
                format!("made {} the default authorization server", self.name())
            }
            ("authorization_server.removed", _, _) => {
                format!("removed the authorization server {}", self.name())
            }
            ("keys.rotated", _, _) => "rotated the signing keys".to_owned(),
            ("token.revoked", _, _) => "revoked an access token".to_owned(),
            ("token.refused", _, _) => format!(
                "refused a token request: {}",
                self.detail
                    .get("reason")
                    .and_then(Value::as_str)
                    .unwrap_or("invalid")
            ),
            (action, _, _) => action.replace('.', " "),
        }
    }
}

pub(crate) async fn record(
    conn: &impl ConnectionTrait,
    at: DateTime<Utc>,
    event: Event<'_>,
) -> EngineResult<()> {
    let (actor_id, actor_email, actor_key_name) = match event.actor {
        Some(By::Person { id, email }) => (Some(id.to_owned()), Some(email.to_owned()), None),
        Some(By::Key { id, name }) => (Some(id.to_owned()), None, Some(name.to_owned())),
        None => (None, None, None),
    };
    audit_events::ActiveModel {
        id: Set(new_id("aud")),
        at: Set(at),
        actor_id: Set(actor_id),
        actor_email: Set(actor_email),
        actor_key_name: Set(actor_key_name),
        origin: Set(current_origin()),
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

/// Entries as CSV (RFC 4180): time, actor, client address, action, target
/// type, target id, detail as JSON.
pub fn to_csv(entries: &[AuditEntry]) -> String {
    fn field(text: &str) -> String {
        if text.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text.to_owned()
        }
    }
    let mut out = String::from("at,actor,origin,action,target_type,target_id,detail\r\n");
    for e in entries {
        let row = [
            e.at.to_rfc3339(),
            e.actor(),
            e.origin.clone().unwrap_or_default(),
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
            actor_key: None,
            action: "version.rejected".into(),
            target_type: "app".into(),
            target_id: "app_1".into(),
            detail: serde_json::json!({"reason": "no, \"really\""}),
            origin: Some("192.0.2.7".into()),
        };
        let csv = to_csv(&[entry]);
        let line = csv.lines().nth(1).unwrap();
        assert!(
            line.starts_with(
                "1970-01-01T00:00:00+00:00,a@example.org,192.0.2.7,version.rejected,app,app_1,\"{"
            ),
            "{line}"
        );
        assert!(line.contains("\"\"reason\"\""), "{line}");
    }
}
