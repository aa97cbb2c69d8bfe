//! Publisher organisations and tenants, their members and invitations.

use chrono::{DateTime, Utc};
use domain::{Email, PlatformRole, PublisherRole, Slug, TenantRole};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::accounts::Account;
use crate::entity::{invitations, publisher_members, publishers, tenant_members, tenants, users};
use crate::secret::new_id;
use crate::tenants::{insert_tenant, sandbox_slug, tenant_slug, NewTenant};
use crate::{mail, Engine, EngineError, EngineResult};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublisherMembership {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub role: PublisherRole,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantMembership {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub role: TenantRole,
    /// A publisher's sandbox (run by its members).
    pub sandbox: bool,
}

/// What became of the admin named when a tenant was created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantAdmin {
    /// An existing account, now the tenant's admin.
    Member(String),
    /// No account yet: an invitation was mailed.
    Invited(String),
}

pub(crate) fn require_platform_admin(account: &Account) -> EngineResult<()> {
    match account.platform_role {
        Some(PlatformRole::Admin) => Ok(()),
        _ => Err(EngineError::Forbidden(
            "Only the platform's admins manage tenants.".into(),
        )),
    }
}

pub(crate) fn parse_slug(input: &str) -> EngineResult<Slug> {
    Slug::parse(input).map_err(|e| EngineError::invalid("slug", e.to_string()))
}

pub(crate) fn parse_name(input: &str) -> EngineResult<String> {
    let name = input.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(EngineError::invalid(
            "name",
            "Give a name of 1 to 120 characters.",
        ));
    }
    Ok(name.to_owned())
}

/// Invitations to a publisher (`kind` "publisher") or tenant ("tenant")
/// that wait for sign-up.
pub(crate) async fn pending_invitations(
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
    /// Creates a publisher organisation with `account` as its owner.
    pub async fn create_publisher(
        &self,
        account: &Account,
        slug: &str,
        name: &str,
    ) -> EngineResult<PublisherMembership> {
        let slug = parse_slug(slug)?;
        let name = parse_name(name)?;
        let now = self.now();
        let txn = self.begin_write().await?;
        if publishers::Entity::find()
            .filter(publishers::Column::Slug.eq(slug.as_str()))
            .one(&txn)
            .await?
            .is_some()
        {
            return Err(EngineError::conflict(
                "slug",
                format!("The slug `{slug}` is taken; choose another."),
            ));
        }
        let publisher = publishers::ActiveModel {
            id: Set(new_id("pub")),
            slug: Set(slug.to_string()),
            name: Set(name),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        publisher_members::ActiveModel {
            publisher_id: Set(publisher.id.clone()),
            user_id: Set(account.id.clone()),
            role: Set(PublisherRole::Owner.as_str().to_owned()),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        // Where its apps, drafts included, install before review.
        insert_tenant(
            &txn,
            NewTenant {
                slug: &sandbox_slug(&publisher.slug),
                name: &format!("{} sandbox", publisher.name),
                fhir_base_urls: &[],
                sandbox_of: Some(&publisher.id),
            },
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(PublisherMembership {
            id: publisher.id,
            slug: publisher.slug,
            name: publisher.name,
            role: PublisherRole::Owner,
            created_at: publisher.created_at,
        })
    }

    /// The publisher organisations `account` belongs to, by name.
    pub async fn list_publishers(
        &self,
        account: &Account,
    ) -> EngineResult<Vec<PublisherMembership>> {
        let rows = publisher_members::Entity::find()
            .filter(publisher_members::Column::UserId.eq(account.id.clone()))
            .all(self.db())
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for member in rows {
            if let Some(publisher) = publishers::Entity::find_by_id(member.publisher_id.clone())
                .one(self.db())
                .await?
            {
                out.push(PublisherMembership {
                    id: publisher.id,
                    slug: publisher.slug,
                    name: publisher.name,
                    role: member
                        .role
                        .parse()
                        .map_err(|e: String| EngineError::Unexpected(anyhow::anyhow!(e)))?,
                    created_at: publisher.created_at,
                });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// The tenants `account` belongs to, by name: its memberships and the
    /// sandboxes of its publishers.
    pub async fn list_tenant_memberships(
        &self,
        account: &Account,
    ) -> EngineResult<Vec<TenantMembership>> {
        let rows = tenant_members::Entity::find()
            .filter(tenant_members::Column::UserId.eq(account.id.clone()))
            .all(self.db())
            .await?;
        let publisher_ids: Vec<String> = publisher_members::Entity::find()
            .filter(publisher_members::Column::UserId.eq(account.id.clone()))
            .all(self.db())
            .await?
            .into_iter()
            .map(|m| m.publisher_id)
            .collect();
        let sandboxes = tenants::Entity::find()
            .filter(tenants::Column::SandboxPublisherId.is_in(publisher_ids))
            .all(self.db())
            .await?;
        let mut out: Vec<TenantMembership> = sandboxes
            .into_iter()
            .map(|tenant| TenantMembership {
                id: tenant.id,
                slug: tenant.slug,
                name: tenant.name,
                role: TenantRole::Admin,
                sandbox: true,
            })
            .collect();
        for member in rows {
            if let Some(tenant) = tenants::Entity::find_by_id(member.tenant_id.clone())
                .one(self.db())
                .await?
            {
                out.push(TenantMembership {
                    sandbox: tenant.sandbox_publisher_id.is_some(),
                    id: tenant.id,
                    slug: tenant.slug,
                    name: tenant.name,
                    role: member
                        .role
                        .parse()
                        .map_err(|e: String| EngineError::Unexpected(anyhow::anyhow!(e)))?,
                });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Every tenant, by name, for the platform's admins.
    pub async fn list_tenants(&self, account: &Account) -> EngineResult<Vec<tenants::Model>> {
        require_platform_admin(account)?;
        Ok(tenants::Entity::find()
            .filter(tenants::Column::SandboxPublisherId.is_null())
            .order_by_asc(tenants::Column::Name)
            .all(self.db())
            .await?)
    }

    /// Creates a tenant, for a platform admin (see
    /// [`Engine::create_tenant_as_operator`]).
    pub async fn create_tenant(
        &self,
        account: &Account,
        slug: &str,
        name: &str,
        admin_email: &str,
    ) -> EngineResult<TenantAdmin> {
        require_platform_admin(account)?;
        self.create_tenant_as_operator(slug, name, admin_email)
            .await
    }

    /// Creates a tenant on the operator's authority (the command line; the
    /// platform console calls this after checking the admin role). An existing
    /// account becomes its admin; an unknown email gets an invitation.
    pub async fn create_tenant_as_operator(
        &self,
        slug: &str,
        name: &str,
        admin_email: &str,
    ) -> EngineResult<TenantAdmin> {
        self.create_tenant_with_urls(slug, name, admin_email, "")
            .await
    }

    /// [`Engine::create_tenant_as_operator`] with the tenant's FHIR base
    /// URLs (one per line or separated by spaces), checked before anything
    /// is written.
    pub async fn create_tenant_with_urls(
        &self,
        slug: &str,
        name: &str,
        admin_email: &str,
        fhir_base_urls: &str,
    ) -> EngineResult<TenantAdmin> {
        let slug = tenant_slug(slug)?;
        let name = parse_name(name)?;
        let admin_email = Email::parse(admin_email)
            .map_err(|e| EngineError::invalid("admin_email", e.to_string()))?;
        let urls = crate::tenancy::parse_fhir_base_urls(fhir_base_urls)?;
        let now = self.now();
        let txn = self.begin_write().await?;
        let tenant = insert_tenant(
            &txn,
            NewTenant {
                slug: slug.as_str(),
                name: &name,
                fhir_base_urls: &urls,
                sandbox_of: None,
            },
            now,
        )
        .await?;
        let existing = users::Entity::find()
            .filter(users::Column::Email.eq(admin_email.as_str()))
            .one(&txn)
            .await?;
        let outcome = match existing {
            Some(user) => {
                tenant_members::ActiveModel {
                    tenant_id: Set(tenant.id.clone()),
                    user_id: Set(user.id),
                    role: Set(TenantRole::Admin.as_str().to_owned()),
                    created_at: Set(now),
                }
                .insert(&txn)
                .await?;
                TenantAdmin::Member(admin_email.to_string())
            }
            None => {
                self.invite(
                    &txn,
                    "tenant",
                    &tenant.id,
                    &name,
                    &admin_email,
                    TenantRole::Admin.as_str(),
                )
                .await?;
                TenantAdmin::Invited(admin_email.to_string())
            }
        };
        txn.commit().await?;
        self.wake_mail_worker();
        Ok(outcome)
    }

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
