//! Invitations by email, to a publisher or a tenant: written (and mailed)
//! when someone is invited who has no account yet, and turned into
//! memberships once that person verifies the address at sign-up.

use domain::Email;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::entity::{invitations, publisher_members, tenant_members, users};
use crate::platform::mail;
use crate::platform::secret::new_id;
use crate::{Engine, EngineResult};

/// Invitations to a publisher (`kind` "publisher") or tenant ("tenant")
/// that wait for sign-up.
pub(crate) async fn pending(
    conn: &impl ConnectionTrait,
    kind: &str,
    target_id: &str,
) -> EngineResult<Vec<invitations::Model>> {
    Ok(invitations::Entity::find()
        .filter(invitations::Column::Kind.eq(kind))
        .filter(invitations::Column::TargetId.eq(target_id))
        .filter(invitations::Column::AcceptedAt.is_null())
        .all(conn)
        .await?)
}

impl Engine {
    pub(crate) async fn invite(
        &self,
        conn: &impl ConnectionTrait,
        kind: &str,
        target_id: &str,
        name: &str,
        email: &Email,
        role: &str,
    ) -> EngineResult<()> {
        let now = self.now();
        invitations::ActiveModel {
            id: Set(new_id("inv")),
            kind: Set(kind.to_owned()),
            target_id: Set(target_id.to_owned()),
            email: Set(email.to_string()),
            role: Set(role.to_owned()),
            created_at: Set(now),
            accepted_at: Set(None),
        }
        .insert(conn)
        .await?;
        let body = mail::templates::invitation(kind, name, role, &self.link("/signup"));
        mail::enqueue(
            conn,
            now,
            email.as_str(),
            &format!("You are invited to {name} on Sidecar"),
            &body,
        )
        .await?;
        Ok(())
    }

    /// Turns pending invitations for the user's (verified) email into
    /// memberships. Called once the user has proved the mailbox.
    pub(crate) async fn accept_invitations(
        &self,
        conn: &impl ConnectionTrait,
        user: &users::Model,
    ) -> EngineResult<()> {
        let pending = invitations::Entity::find()
            .filter(invitations::Column::Email.eq(user.email.clone()))
            .filter(invitations::Column::AcceptedAt.is_null())
            .order_by_asc(invitations::Column::CreatedAt)
            .all(conn)
            .await?;
        let now = self.now();
        for invitation in pending {
            match invitation.kind.as_str() {
                "tenant" => {
                    let exists = tenant_members::Entity::find_by_id((
                        invitation.target_id.clone(),
                        user.id.clone(),
                    ))
                    .one(conn)
                    .await?
                    .is_some();
                    if !exists {
                        tenant_members::ActiveModel {
                            tenant_id: Set(invitation.target_id.clone()),
                            user_id: Set(user.id.clone()),
                            role: Set(invitation.role.clone()),
                            created_at: Set(now),
                        }
                        .insert(conn)
                        .await?;
                    }
                }
                "publisher" => {
                    let exists = publisher_members::Entity::find_by_id((
                        invitation.target_id.clone(),
                        user.id.clone(),
                    ))
                    .one(conn)
                    .await?
                    .is_some();
                    if !exists {
                        publisher_members::ActiveModel {
                            publisher_id: Set(invitation.target_id.clone()),
                            user_id: Set(user.id.clone()),
                            role: Set(invitation.role.clone()),
                            created_at: Set(now),
                        }
                        .insert(conn)
                        .await?;
                    }
                }
                other => tracing::warn!(kind = other, "skipping an invitation of unknown kind"),
            }
            let mut active: invitations::ActiveModel = invitation.into();
            active.accepted_at = Set(Some(now));
            active.update(conn).await?;
        }
        Ok(())
    }
}
