//! The one place where a change to an install's registration fans out:
//! the tenant's registry version moves (so EHRs polling it and every
//! replica's caches see it), the tenant's webhook is queued, and the audit
//! log gets its line — all in the change's own transaction. Call sites say
//! what changed; this says what follows.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use crate::entity::{apps, installs};
use crate::events::{self, AfterCommit};
use crate::platform::audit::{self, By};
use crate::tenancy::{watch, webhooks, Event};
use crate::EngineResult;

/// What happened to a registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RegistrationChange {
    /// A tenant installed the app.
    Created,
    /// The install moved to a newly published version on its own (the
    /// version asks for nothing more).
    FollowedVersion,
    /// A newly published version asks for more; it waits for the tenant.
    UpdatePending,
    /// The tenant approved the version that was waiting.
    UpdateApproved,
    /// A sandbox install took the publisher's new draft.
    FollowedDraft,
    Suspended,
    Resumed,
    Revoked,
    /// A new client secret; the client itself is unchanged, so EHRs are
    /// not told and the registry does not move.
    SecretRotated,
}

impl RegistrationChange {
    fn audit_action(self) -> &'static str {
        match self {
            Self::Created => "install.created",
            Self::FollowedVersion => "install.updated",
            Self::UpdatePending => "install.update_pending",
            Self::UpdateApproved => "install.update_approved",
            Self::FollowedDraft => "install.draft_followed",
            Self::Suspended => "install.suspended",
            Self::Resumed => "install.resumed",
            Self::Revoked => "install.revoked",
            Self::SecretRotated => "secret.rotated",
        }
    }

    /// The webhook event EHRs are sent, when the registration they hold
    /// changed.
    fn webhook_event(self) -> Option<&'static str> {
        match self {
            Self::Created => Some("registration.created"),
            Self::FollowedVersion | Self::UpdateApproved | Self::FollowedDraft | Self::Resumed => {
                Some("registration.updated")
            }
            Self::Suspended => Some("registration.suspended"),
            Self::Revoked => Some("registration.revoked"),
            Self::UpdatePending | Self::SecretRotated => None,
        }
    }
}

/// One registration change, as the call site knows it.
pub(crate) struct Change<'a> {
    pub kind: RegistrationChange,
    /// The install as it now stands.
    pub install: &'a installs::Model,
    pub app: &'a apps::Model,
    /// The version number the registration is on (0: a sandbox's draft).
    pub version: i32,
    /// Who did it; `None` when Sidecar did (following a new version).
    pub by: Option<By<'a>>,
    /// What the audit line records about this change.
    pub detail: Value,
}

/// Writes everything that follows `change`, in its transaction.
pub(crate) async fn registration_changed(
    conn: &impl ConnectionTrait,
    at: DateTime<Utc>,
    change: Change<'_>,
) -> EngineResult<AfterCommit> {
    let Change {
        kind,
        install,
        app,
        version,
        by,
        detail,
    } = change;
    let mut after = AfterCommit::nothing();
    if let Some(event) = kind.webhook_event() {
        watch::bump(conn, &install.tenant_id).await?;
        webhooks::enqueue(conn, at, event, install, &app.slug, version).await?;
        after = AfterCommit::registry_changed()
            .and(events::react(conn, Event::RegistrationChanged { install, at }).await?);
    }
    audit::record(
        conn,
        at,
        audit::Event {
            actor: by,
            tenant_id: Some(&install.tenant_id),
            publisher_id: Some(&app.publisher_id),
            action: kind.audit_action(),
            target_type: "install",
            target_id: &install.id,
            detail,
        },
    )
    .await?;
    Ok(after)
}

/// The registry shows something new about `install` that is not a change
/// of its registration (its client at another server was made or removed):
/// it moves in the registry's order, and the registry's version moves.
pub(crate) async fn registration_touched(
    conn: &impl ConnectionTrait,
    install: &installs::Model,
    at: DateTime<Utc>,
) -> EngineResult<AfterCommit> {
    installs::Entity::update_many()
        .col_expr(
            installs::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(at),
        )
        .filter(installs::Column::Id.eq(install.id.clone()))
        .exec(conn)
        .await?;
    watch::bump(conn, &install.tenant_id).await?;
    Ok(AfterCommit::registry_changed())
}

#[cfg(test)]
mod tests {
    use super::RegistrationChange::*;

    #[test]
    fn only_changes_ehrs_hold_are_sent_to_them() {
        for kind in [
            Created,
            FollowedVersion,
            UpdateApproved,
            FollowedDraft,
            Suspended,
            Resumed,
            Revoked,
        ] {
            assert!(kind.webhook_event().is_some(), "{kind:?}");
        }
        assert_eq!(UpdatePending.webhook_event(), None);
        assert_eq!(SecretRotated.webhook_event(), None);
        assert_eq!(Resumed.webhook_event(), Some("registration.updated"));
    }
}
