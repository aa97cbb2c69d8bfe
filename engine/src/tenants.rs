//! Tenants beyond their creation: the details an admin keeps (name, FHIR
//! base URLs), members with roles (admin, viewer) invited by email, the
//! sandbox every publisher gets, and health systems applying for a tenant.

use chrono::{DateTime, Utc};
use domain::{Email, FhirBaseUrl, Slug, TenantRole};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::accounts::Account;
use crate::entity::{invitations, tenant_applications, tenant_members, tenants, users};
use crate::orgs::{parse_name, parse_slug, require_platform_admin};
use crate::secret::new_id;
use crate::tenancy::{parse_fhir_base_urls, urls_json, Tenant};
use crate::{audit, mail, Engine, EngineError, EngineResult};

/// Tenant slugs that start with this belong to publishers' sandboxes.
pub const SANDBOX_PREFIX: &str = "sandbox-";

/// The slug of a publisher's sandbox tenant.
pub fn sandbox_slug(publisher_slug: &str) -> String {
    let base: String = publisher_slug.chars().take(40).collect();
    format!("{SANDBOX_PREFIX}{}", base.trim_end_matches('-'))
}

/// A slug for a tenant that is not a sandbox.
pub(crate) fn tenant_slug(input: &str) -> EngineResult<Slug> {
    let slug = parse_slug(input)?;
    if slug.as_str().starts_with(SANDBOX_PREFIX) {
        return Err(EngineError::invalid(
            "slug",
            format!("Slugs starting with `{SANDBOX_PREFIX}` belong to publishers' sandboxes; choose another."),
        ));
    }
    Ok(slug)
}

/// What a new tenant row holds.
pub(crate) struct NewTenant<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub fhir_base_urls: &'a [FhirBaseUrl],
    pub sandbox_of: Option<&'a str>,
}

/// Inserts a tenant; a taken slug is a conflict.
pub(crate) async fn insert_tenant(
    conn: &impl ConnectionTrait,
    new: NewTenant<'_>,
    now: DateTime<Utc>,
) -> EngineResult<tenants::Model> {
    if tenants::Entity::find()
        .filter(tenants::Column::Slug.eq(new.slug))
        .one(conn)
        .await?
        .is_some()
    {
        return Err(EngineError::conflict(
            "slug",
            format!("The tenant `{}` exists already.", new.slug),
        ));
    }
    Ok(tenants::ActiveModel {
        id: Set(new_id("ten")),
        slug: Set(new.slug.to_owned()),
        name: Set(new.name.to_owned()),
        created_at: Set(now),
        fhir_base_urls: Set(urls_json(new.fhir_base_urls)),
        sandbox_publisher_id: Set(new.sandbox_of.map(str::to_owned)),
        registry_version: Set(0),
    }
    .insert(conn)
    .await?)
}

/// A member of a tenant, or an invitation waiting for sign-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantMember {
    pub email: String,
    pub role: TenantRole,
    /// `false` while the invitation waits for sign-up.
    pub active: bool,
}

/// A health system's application for a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantApplication {
    pub id: String,
    pub applicant_email: String,
    pub slug: String,
    pub name: String,
    pub fhir_base_urls: Vec<String>,
    pub message: String,
    /// `pending`, `approved` or `rejected`.
    pub state: String,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

fn parse_role(role: &str) -> EngineResult<TenantRole> {
    role.parse()
        .map_err(|e: String| EngineError::invalid("role", e))
}

impl Engine {
    /// Renames the tenant and sets its FHIR base URLs (one per line);
    /// returns the tenant as it now is.
    pub async fn update_tenant(
        &self,
        tenant: &Tenant,
        name: &str,
        fhir_base_urls: &str,
    ) -> EngineResult<Tenant> {
        tenant.require_member_admin()?;
        let name = parse_name(name)?;
        let urls = parse_fhir_base_urls(fhir_base_urls)?;
        let now = self.now();
        let txn = self.begin_write().await?;
        let row = tenants::Entity::find_by_id(tenant.id().to_owned())
            .one(&txn)
            .await?
            .ok_or_else(|| EngineError::not_found("The tenant is gone."))?;
        let mut active: tenants::ActiveModel = row.into();
        active.name = Set(name.clone());
        active.fhir_base_urls = Set(urls_json(&urls));
        let row = active.update(&txn).await?;
        audit::record(
            &txn,
            now,
            audit::Event::by(
                tenant,
                "tenant.updated",
                ("tenant", tenant.id()),
                serde_json::json!({
                    "name": name,
                    "fhir_base_urls": urls.iter().map(|u| u.as_str()).collect::<Vec<_>>(),
                }),
            ),
        )
        .await?;
        // The FHIR base URLs are the audiences of the tenant's tokens: the
        // authorization server must see the change at once.
        crate::registry_watch::bump(&txn, tenant.id()).await?;
        txn.commit().await?;
        self.registry_changed();
        Ok(tenant.reloaded(row))
    }

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
        for invitation in crate::orgs::pending_invitations(self.db(), "tenant", tenant.id()).await?
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
    ) -> EngineResult<crate::members::Invited> {
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
                crate::members::Invited::Added
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
                crate::members::Invited::Invited
            }
        };
        audit::record(
            &txn,
            now,
            audit::Event::by(
                tenant,
                match outcome {
                    crate::members::Invited::Added => "member.added",
                    crate::members::Invited::Invited => "member.invited",
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

    /// A health system applies for a tenant; the platform's admins decide.
    pub async fn apply_for_tenant(
        &self,
        account: &Account,
        slug: &str,
        name: &str,
        fhir_base_urls: &str,
        message: &str,
    ) -> EngineResult<TenantApplication> {
        let slug = tenant_slug(slug)?;
        let name = parse_name(name)?;
        let urls = parse_fhir_base_urls(fhir_base_urls)?;
        if urls.is_empty() {
            return Err(EngineError::invalid(
                "fhir_base_urls",
                "Give the base URL of at least one of your FHIR servers.",
            ));
        }
        let message = message.trim();
        if message.chars().count() > 2000 {
            return Err(EngineError::invalid(
                "message",
                "Keep the message under 2,000 characters.",
            ));
        }
        let now = self.now();
        let txn = self.begin_write().await?;
        let taken = tenants::Entity::find()
            .filter(tenants::Column::Slug.eq(slug.as_str()))
            .one(&txn)
            .await?
            .is_some()
            || tenant_applications::Entity::find()
                .filter(tenant_applications::Column::Slug.eq(slug.as_str()))
                .filter(tenant_applications::Column::State.eq("pending"))
                .one(&txn)
                .await?
                .is_some();
        if taken {
            return Err(EngineError::conflict(
                "slug",
                format!("The slug `{slug}` is taken or applied for; choose another."),
            ));
        }
        let row = tenant_applications::ActiveModel {
            id: Set(new_id("tap")),
            user_id: Set(account.id.clone()),
            slug: Set(slug.to_string()),
            name: Set(name),
            fhir_base_urls: Set(urls_json(&urls)),
            message: Set(message.to_owned()),
            state: Set("pending".into()),
            decided_by: Set(None),
            decided_at: Set(None),
            reason: Set(None),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            now,
            audit::Event {
                actor: Some(account.into()),
                tenant_id: None,
                publisher_id: None,
                action: "tenant.applied",
                target_type: "tenant_application",
                target_id: &row.id,
                detail: serde_json::json!({ "slug": row.slug, "name": row.name }),
            },
        )
        .await?;
        txn.commit().await?;
        self.application_view(row).await
    }

    /// The caller's own applications, newest first.
    pub async fn my_tenant_applications(
        &self,
        account: &Account,
    ) -> EngineResult<Vec<TenantApplication>> {
        let rows = tenant_applications::Entity::find()
            .filter(tenant_applications::Column::UserId.eq(account.id.clone()))
            .order_by_desc(tenant_applications::Column::CreatedAt)
            .all(self.db())
            .await?;
        self.application_views(rows).await
    }

    /// Applications waiting for a decision, oldest first (platform admins).
    pub async fn pending_tenant_applications(
        &self,
        admin: &Account,
    ) -> EngineResult<Vec<TenantApplication>> {
        require_platform_admin(admin)?;
        let rows = tenant_applications::Entity::find()
            .filter(tenant_applications::Column::State.eq("pending"))
            .order_by_asc(tenant_applications::Column::CreatedAt)
            .all(self.db())
            .await?;
        self.application_views(rows).await
    }

    /// Approves (the tenant is created with the applicant as its admin) or
    /// rejects (with a reason) a pending application; the applicant is told
    /// by mail.
    pub async fn decide_tenant_application(
        &self,
        admin: &Account,
        id: &str,
        approve: bool,
        reason: &str,
    ) -> EngineResult<TenantApplication> {
        require_platform_admin(admin)?;
        let reason = reason.trim();
        if !approve && reason.is_empty() {
            return Err(EngineError::invalid(
                "reason",
                "Say why, so the applicant knows what to change.",
            ));
        }
        let now = self.now();
        let txn = self.begin_write().await?;
        let row = tenant_applications::Entity::find_by_id(id.to_owned())
            .one(&txn)
            .await?
            .ok_or_else(|| EngineError::not_found("There is no application by that id."))?;
        if row.state != "pending" {
            return Err(EngineError::Conflict {
                field: None,
                message: format!("The application was {} already.", row.state),
            });
        }
        let applicant = users::Entity::find_by_id(row.user_id.clone())
            .one(&txn)
            .await?
            .ok_or_else(|| EngineError::not_found("The applicant's account is gone."))?;
        let tenant = if approve {
            let urls: Vec<FhirBaseUrl> = serde_json::from_str(&row.fhir_base_urls)
                .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("stored URLs: {e}")))?;
            let tenant = insert_tenant(
                &txn,
                NewTenant {
                    slug: &row.slug,
                    name: &row.name,
                    fhir_base_urls: &urls,
                    sandbox_of: None,
                },
                now,
            )
            .await?;
            tenant_members::ActiveModel {
                tenant_id: Set(tenant.id.clone()),
                user_id: Set(applicant.id.clone()),
                role: Set(TenantRole::Admin.as_str().to_owned()),
                created_at: Set(now),
            }
            .insert(&txn)
            .await?;
            Some(tenant)
        } else {
            None
        };
        let state = if approve { "approved" } else { "rejected" };
        let mut active: tenant_applications::ActiveModel = row.into();
        active.state = Set(state.into());
        active.decided_by = Set(Some(admin.id.clone()));
        active.decided_at = Set(Some(now));
        active.reason = Set((!reason.is_empty()).then(|| reason.to_owned()));
        let row = active.update(&txn).await?;
        let body = match &tenant {
            Some(tenant) => mail::templates::tenant_application_approved(
                &tenant.name,
                &self.link(&format!("/t/{}/admin", tenant.slug)),
            ),
            None => mail::templates::tenant_application_rejected(&row.name, reason),
        };
        mail::enqueue(
            &txn,
            now,
            &applicant.email,
            &format!("Your application for {} on Sidecar", row.name),
            &body,
        )
        .await?;
        audit::record(
            &txn,
            now,
            audit::Event {
                actor: Some(admin.into()),
                tenant_id: tenant.as_ref().map(|t| t.id.as_str()),
                publisher_id: None,
                action: if approve {
                    "tenant.application_approved"
                } else {
                    "tenant.application_rejected"
                },
                target_type: "tenant_application",
                target_id: &row.id,
                detail: serde_json::json!({ "slug": row.slug, "reason": row.reason }),
            },
        )
        .await?;
        txn.commit().await?;
        self.wake_mail_worker();
        self.application_view(row).await
    }

    async fn application_views(
        &self,
        rows: Vec<tenant_applications::Model>,
    ) -> EngineResult<Vec<TenantApplication>> {
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(self.application_view(row).await?);
        }
        Ok(out)
    }

    async fn application_view(
        &self,
        row: tenant_applications::Model,
    ) -> EngineResult<TenantApplication> {
        let applicant_email = users::Entity::find_by_id(row.user_id.clone())
            .one(self.db())
            .await?
            .map(|u| u.email)
            .unwrap_or_default();
        let fhir_base_urls: Vec<String> = serde_json::from_str(&row.fhir_base_urls)
            .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("stored URLs: {e}")))?;
        Ok(TenantApplication {
            id: row.id,
            applicant_email,
            slug: row.slug,
            name: row.name,
            fhir_base_urls,
            message: row.message,
            state: row.state,
            reason: row.reason,
            created_at: row.created_at,
            decided_at: row.decided_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sandbox_slugs_fit_and_are_reserved() {
        assert_eq!(sandbox_slug("acme"), "sandbox-acme");
        let long = "a".repeat(48);
        assert!(Slug::parse(&sandbox_slug(&long)).is_ok());
        assert!(tenant_slug("sandbox-acme").is_err());
        assert!(tenant_slug("north-health").is_ok());
    }
}
