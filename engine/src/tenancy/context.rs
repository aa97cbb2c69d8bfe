//! The tenant context. Every tenant-scoped call of the engine takes a
//! [`Tenant`], and only a membership check ([`Engine::tenant`]) or a tenant
//! API key ([`Engine::tenant_for_key`]) makes one: a handler never filters
//! by tenant itself, and another tenant's ids are simply not found.
//!
//! A publisher's sandbox tenant has no members of its own: the publisher's
//! members run it as admins.

use domain::{FhirBaseUrl, TenantRole, TokenScope};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::entity::{publisher_members, tenant_members, tenants};
use crate::people::accounts::Account;
use crate::platform::audit;
use crate::{Engine, EngineError, EngineResult};

/// Who acts in a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in member (or, in a sandbox, a member of its publisher).
    Member(Account),
    /// A tenant API key, acting for the tenant's EHR.
    Key { id: String, name: String },
}

/// The tenant behind a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantPrincipal {
    pub tenant_id: String,
    pub tenant_slug: String,
    pub key_id: String,
    pub key_name: String,
    pub scopes: Vec<TokenScope>,
}

impl TenantPrincipal {
    pub fn require(&self, scope: TokenScope) -> EngineResult<()> {
        if self.scopes.contains(&scope) {
            Ok(())
        } else {
            Err(EngineError::Forbidden(format!(
                "This key lacks the `{scope}` scope."
            )))
        }
    }
}

/// A tenant as one caller may see it.
#[derive(Debug, Clone)]
pub struct Tenant {
    row: tenants::Model,
    role: TenantRole,
    actor: Actor,
}

impl Tenant {
    pub fn slug(&self) -> &str {
        &self.row.slug
    }

    pub fn name(&self) -> &str {
        &self.row.name
    }

    /// The caller's role here.
    pub fn role(&self) -> TenantRole {
        self.role
    }

    /// May the caller change things (installs, keys, members)?
    pub fn is_admin(&self) -> bool {
        self.role == TenantRole::Admin
    }

    /// A publisher's sandbox, where its apps install before review.
    pub fn is_sandbox(&self) -> bool {
        self.row.sandbox_publisher_id.is_some()
    }

    /// The FHIR servers the tenant's tokens are for.
    pub fn fhir_base_urls(&self) -> EngineResult<Vec<FhirBaseUrl>> {
        fhir_base_urls(&self.row)
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    pub(crate) fn id(&self) -> &str {
        &self.row.id
    }

    /// The same caller on the tenant's row as it now stands.
    pub(crate) fn reloaded(&self, row: tenants::Model) -> Self {
        Self {
            row,
            role: self.role,
            actor: self.actor.clone(),
        }
    }

    pub(crate) fn sandbox_of(&self) -> Option<&str> {
        self.row.sandbox_publisher_id.as_deref()
    }

    /// Refuses viewers.
    pub(crate) fn require_admin(&self) -> EngineResult<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(EngineError::Forbidden(
                "Viewers can look but not change: ask one of the tenant's admins.".into(),
            ))
        }
    }

    /// An admin who is a person: API keys never manage keys, members or
    /// webhooks.
    pub(crate) fn require_member_admin(&self) -> EngineResult<&Account> {
        self.require_admin()?;
        match &self.actor {
            Actor::Member(account) => Ok(account),
            Actor::Key { .. } => Err(EngineError::Forbidden(
                "An API key cannot do this; sign in as one of the tenant's admins.".into(),
            )),
        }
    }
}

/// The stored FHIR base URLs of a tenant row.
pub(crate) fn fhir_base_urls(row: &tenants::Model) -> EngineResult<Vec<FhirBaseUrl>> {
    serde_json::from_str(&row.fhir_base_urls)
        .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("stored FHIR base URLs: {e}")))
}

/// Reads FHIR base URLs given one per line (or separated by spaces): each
/// must be an absolute https URL (http for loopback only), no repeats.
pub fn parse_fhir_base_urls(text: &str) -> EngineResult<Vec<FhirBaseUrl>> {
    let mut urls: Vec<FhirBaseUrl> = Vec::new();
    for line in text.split_whitespace() {
        let url = FhirBaseUrl::parse(line)
            .map_err(|e| EngineError::invalid("fhir_base_urls", format!("`{line}`: {e}")))?;
        if !urls.contains(&url) {
            urls.push(url);
        }
    }
    if urls.len() > 10 {
        return Err(EngineError::invalid(
            "fhir_base_urls",
            "Give at most 10 FHIR base URLs.",
        ));
    }
    Ok(urls)
}

impl<'a> From<&'a Actor> for audit::By<'a> {
    fn from(actor: &'a Actor) -> Self {
        match actor {
            Actor::Member(account) => account.into(),
            Actor::Key { id, name } => Self::Key { id, name },
        }
    }
}

// Written here rather than in `platform::audit`, which knows no tenants.
impl<'a> audit::Event<'a> {
    /// Something the caller behind `tenant` did there.
    pub(crate) fn by(
        tenant: &'a Tenant,
        action: &'static str,
        target: (&'static str, &'a str),
        detail: serde_json::Value,
    ) -> Self {
        Self::in_tenant(
            Some(tenant.actor().into()),
            tenant.id(),
            action,
            target,
            detail,
        )
    }
}

pub(crate) fn urls_json(urls: &[FhirBaseUrl]) -> String {
    serde_json::Value::from(urls.iter().map(|u| u.as_str()).collect::<Vec<_>>()).to_string()
}

impl Engine {
    /// The tenant by slug as `account` may see it: a member with their
    /// role, or, for a sandbox, a member of its publisher as admin. For
    /// anyone else it does not exist.
    pub async fn tenant(&self, account: &Account, slug: &str) -> EngineResult<Tenant> {
        let not_found =
            || EngineError::not_found(format!("You are not a member of a tenant `{slug}`."));
        let row = tenants::Entity::find()
            .filter(tenants::Column::Slug.eq(slug))
            .one(self.db())
            .await?
            .ok_or_else(not_found)?;
        let role = match &row.sandbox_publisher_id {
            Some(publisher_id) => {
                publisher_members::Entity::find_by_id((publisher_id.clone(), account.id.clone()))
                    .one(self.db())
                    .await?
                    .map(|_| TenantRole::Admin)
            }
            None => tenant_members::Entity::find_by_id((row.id.clone(), account.id.clone()))
                .one(self.db())
                .await?
                .map(|m| {
                    m.role
                        .parse::<TenantRole>()
                        .map_err(|e| EngineError::Unexpected(anyhow::anyhow!(e)))
                })
                .transpose()?,
        };
        let role = role.ok_or_else(not_found)?;
        Ok(Tenant {
            row,
            role,
            actor: Actor::Member(account.clone()),
        })
    }

    /// The key's own tenant, when the path names it and the key carries
    /// `scope`; any other tenant does not exist for the key.
    pub async fn tenant_for_key(
        &self,
        key: &TenantPrincipal,
        slug: &str,
        scope: TokenScope,
    ) -> EngineResult<Tenant> {
        let not_found =
            || EngineError::not_found(format!("There is no tenant `{slug}` for this key."));
        if key.tenant_slug != slug {
            return Err(not_found());
        }
        key.require(scope)?;
        let row = tenants::Entity::find_by_id(key.tenant_id.clone())
            .one(self.db())
            .await?
            .ok_or_else(not_found)?;
        Ok(Tenant {
            row,
            role: TenantRole::Admin,
            actor: Actor::Key {
                id: key.key_id.clone(),
                name: key.key_name.clone(),
            },
        })
    }
}
