//! Tenants: health systems (and each publisher's sandbox) — creating them,
//! who belongs to which, and the details an admin keeps (name, FHIR base
//! URLs). Members live in [`members`], applications for a tenant in
//! [`applications`].

pub mod applications;
pub mod members;

pub use applications::TenantApplication;
pub use members::TenantMember;

use chrono::{DateTime, Utc};
use domain::{Email, FhirBaseUrl, Slug, TenantRole};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::entity::{publisher_members, publishers, tenant_members, tenants, users};
use crate::people::accounts::Account;
use crate::people::publishers::{parse_name, parse_slug, require_platform_admin};
use crate::platform::secret::new_id;
use crate::tenancy::context::urls_json;
use crate::tenancy::{parse_fhir_base_urls, Tenant};
use crate::{platform::audit, Engine, EngineError, EngineResult};

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

/// Opens the sandbox of a new publisher, where its apps, drafts included,
/// install before review. Runs in the publisher's transaction.
pub(crate) async fn open_sandbox(
    conn: &impl ConnectionTrait,
    publisher: &publishers::Model,
    now: DateTime<Utc>,
) -> EngineResult<tenants::Model> {
    insert_tenant(
        conn,
        NewTenant {
            slug: &sandbox_slug(&publisher.slug),
            name: &format!("{} sandbox", publisher.name),
            fhir_base_urls: &[],
            sandbox_of: Some(&publisher.id),
        },
        now,
    )
    .await
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

impl Engine {
    /// The tenant's audit log, newest first: the newest `limit` entries
    /// (1 to [`audit::AUDIT_PAGE_MAX`]).
    pub async fn tenant_audit(
        &self,
        tenant: &Tenant,
        limit: u64,
    ) -> EngineResult<Vec<audit::AuditEntry>> {
        let limit = crate::platform::error::within("limit", limit, 1..=audit::AUDIT_PAGE_MAX)?;
        audit::for_tenant(self.db(), tenant.id(), limit).await
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
        crate::tenancy::watch::bump(&txn, tenant.id()).await?;
        txn.commit().await?;
        self.registry_changed();
        Ok(tenant.reloaded(row))
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
