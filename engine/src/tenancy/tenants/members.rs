//! A tenant's members, with roles (admin, viewer), invited by email.

use domain::{Email, TenantRole};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use crate::entity::{invitations, tenant_members, users};
use crate::tenancy::Tenant;
use crate::{platform::audit, platform::mail, Engine, EngineError, EngineResult};

/// A member of a tenant, or an invitation waiting for sign-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantMember {
    pub email: String,
    pub role: TenantRole,
    /// `false` while the invitation waits for sign-up.
    pub active: bool,
}

fn parse_role(role: &str) -> EngineResult<TenantRole> {
    role.parse()
        .map_err(|e: String| EngineError::invalid("role", e))
}

impl Engine {
    /// Members and pending invitations, by email. A sandbox has none of its
    /// own: its publisher's members run it.
    pub async fn tenant_members(&self, tenant: &Tenant) -> EngineResult<Vec<TenantMember>> {
        let mut out = Vec::new();
        let members = tenant_members::Entity::find()
            .filter(tenant_members::Column::TenantId.eq(tenant.id()))
            .all(self.db())
            .await?;
        for member in members {
            if let Some(user) = users::Entity::find_by_id(member.user_id.clone())
                .one(self.db())
                .await?
            {
                out.push(TenantMember {
                    email: user.email,
                    role: parse_role(&member.role)?,
                    active: true,
                });
            }
        }
        for invitation in
            crate::people::invitations::pending(self.db(), "tenant", tenant.id()).await?
        {
            out.push(TenantMember {
                email: invitation.email,
                role: parse_role(&invitation.role)?,
                active: false,
            });
        }
        out.sort_by(|a, b| a.email.cmp(&b.email));
        Ok(out)
    }

    /// Adds `email` to the tenant with `role`: an existing, verified
    /// account at once (told by mail), anyone else by an invitation that
    /// becomes a membership when the address is verified at sign-up.
    pub async fn invite_tenant_member(
        &self,
        tenant: &Tenant,
        email: &str,
        role: &str,
    ) -> EngineResult<crate::people::members::Invited> {
        tenant.require_member_admin()?;
        if tenant.is_sandbox() {
            return Err(EngineError::invalid(
                "email",
                "A sandbox belongs to its publisher: invite people to the publisher organisation instead.",
            ));
        }
        let email =
            Email::parse(email).map_err(|e| EngineError::invalid("email", e.to_string()))?;
        let role = parse_role(role)?;
        if self
            .tenant_members(tenant)
            .await?
            .iter()
            .any(|m| m.email == email.as_str())
        {
            return Err(EngineError::conflict(
                "email",
                format!("{email} is already a member or invited."),
            ));
        }
        let now = self.now();
        let txn = self.begin_write().await?;
        let existing = users::Entity::find()
            .filter(users::Column::Email.eq(email.as_str()))
            .one(&txn)
            .await?;
        let outcome = match existing {
            Some(user) if user.email_verified_at.is_some() => {
                tenant_members::ActiveModel {
                    tenant_id: Set(tenant.id().to_owned()),
                    user_id: Set(user.id),
                    role: Set(role.as_str().to_owned()),
                    created_at: Set(now),
                }
                .insert(&txn)
                .await?;
                let body = mail::templates::added_to_tenant(
                    tenant.name(),
                    role.as_str(),
                    &self.link(&format!("/t/{}/admin", tenant.slug())),
                );
                mail::enqueue(
                    &txn,
                    now,
                    email.as_str(),
                    &format!("You are now a member of {} on Sidecar", tenant.name()),
                    &body,
                )
                .await?;
                crate::people::members::Invited::Added
            }
            _ => {
                self.invite(
                    &txn,
                    "tenant",
                    tenant.id(),
                    tenant.name(),
                    &email,
                    role.as_str(),
                )
                .await?;
                crate::people::members::Invited::Invited
            }
        };
        audit::record(
            &txn,
            now,
            audit::Event::by(
                tenant,
                match outcome {
                    crate::people::members::Invited::Added => "member.added",
                    crate::people::members::Invited::Invited => "member.invited",
                },
                ("member", email.as_str()),
                serde_json::json!({ "email": email.as_str(), "role": role.as_str() }),
            ),
        )
        .await?;
        txn.commit().await?;
        self.wake_mail_worker();
        Ok(outcome)
    }

    /// Removes a member or withdraws an invitation. The last admin stays.
    pub async fn remove_tenant_member(&self, tenant: &Tenant, email: &str) -> EngineResult<()> {
        tenant.require_member_admin()?;
        let now = self.now();
        let txn = self.begin_write().await?;
        let not_found = || EngineError::not_found(format!("`{email}` is not a member or invited."));
        let user = users::Entity::find()
            .filter(users::Column::Email.eq(email.trim()))
            .one(&txn)
            .await?;
        let member = match &user {
            Some(user) => {
                tenant_members::Entity::find_by_id((tenant.id().to_owned(), user.id.clone()))
                    .one(&txn)
                    .await?
            }
            None => None,
        };
        let removed_role = match member {
            Some(member) => {
                if member.role == TenantRole::Admin.as_str() {
                    let admins = tenant_members::Entity::find()
                        .filter(tenant_members::Column::TenantId.eq(tenant.id()))
                        .filter(tenant_members::Column::Role.eq(TenantRole::Admin.as_str()))
                        .all(&txn)
                        .await?;
                    if admins.len() <= 1 {
                        return Err(EngineError::Conflict {
                            field: None,
                            message:
                                "That is the tenant's last admin: make someone else admin first."
                                    .into(),
                        });
                    }
                }
                let role = member.role.clone();
                tenant_members::Entity::delete_by_id((member.tenant_id, member.user_id))
                    .exec(&txn)
                    .await?;
                role
            }
            None => {
                let invitation = invitations::Entity::find()
                    .filter(invitations::Column::Kind.eq("tenant"))
                    .filter(invitations::Column::TargetId.eq(tenant.id()))
                    .filter(invitations::Column::Email.eq(email.trim()))
                    .filter(invitations::Column::AcceptedAt.is_null())
                    .one(&txn)
                    .await?
                    .ok_or_else(not_found)?;
                let role = invitation.role.clone();
                invitations::Entity::delete_by_id(invitation.id)
                    .exec(&txn)
                    .await?;
                role
            }
        };
        audit::record(
            &txn,
            now,
            audit::Event::by(
                tenant,
                "member.removed",
                ("member", email.trim()),
                serde_json::json!({ "email": email.trim(), "role": removed_role }),
            ),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}
