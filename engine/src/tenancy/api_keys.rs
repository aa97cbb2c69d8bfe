//! Tenant API keys: what a tenant's EHR authenticates with to read the
//! registry, create launches and introspect tokens. A key is shown once;
//! only its hash is kept, and authenticated keys are cached until the
//! registry moves.

use chrono::{DateTime, Utc};
use domain::TokenScope;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::entity::{tenant_keys, tenants};
use crate::platform::audit;
use crate::platform::secret::{new_id, random_token, token_hash};
use crate::tenancy::watch::CachedKey;
use crate::tenancy::Tenant;
use crate::tenancy::TenantPrincipal;
use crate::{Engine, EngineError, EngineResult};

/// The prefix of every tenant API key, so that scanners can spot a leak.
pub const TENANT_KEY_PREFIX: &str = "sdc_key_";
/// A tenant API key as listed (the key itself is shown once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantKeyInfo {
    pub id: String,
    pub name: String,
    pub scopes: Vec<TokenScope>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

fn key_scopes(scopes: &[String]) -> EngineResult<Vec<TokenScope>> {
    let mut parsed = Vec::new();
    for text in scopes {
        let scope: TokenScope = text
            .parse()
            .map_err(|e: domain::TokenScopeError| EngineError::invalid("scopes", e.to_string()))?;
        if scope.is_personal() {
            return Err(EngineError::invalid(
                "scopes",
                format!("`{scope}` is for personal access tokens; tenant keys take registrations:read, launch:write, introspect or installs:write."),
            ));
        }
        if !parsed.contains(&scope) {
            parsed.push(scope);
        }
    }
    if parsed.is_empty() {
        return Err(EngineError::invalid(
            "scopes",
            "Give the key at least one scope: registrations:read, launch:write, introspect or installs:write.",
        ));
    }
    parsed.sort();
    Ok(parsed)
}

impl TryFrom<tenant_keys::Model> for TenantKeyInfo {
    type Error = EngineError;

    fn try_from(row: tenant_keys::Model) -> EngineResult<Self> {
        Ok(Self {
            scopes: TokenScope::parse_list(&row.scopes)
                .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("stored key scopes: {e}")))?,
            id: row.id,
            name: row.name,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
        })
    }
}

impl Engine {
    /// A new key for the tenant's EHR; the key is returned this once.
    pub async fn create_tenant_key(
        &self,
        tenant: &Tenant,
        name: &str,
        scopes: &[String],
    ) -> EngineResult<(TenantKeyInfo, String)> {
        let account = tenant.require_member_admin()?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(EngineError::invalid(
                "name",
                "Name the key (1 to 100 characters), e.g. after the system that uses it.",
            ));
        }
        let scopes = key_scopes(scopes)?;
        let key = format!("{TENANT_KEY_PREFIX}{}", random_token());
        let now = self.now();
        let txn = self.begin_write().await?;
        let row = tenant_keys::ActiveModel {
            id: Set(new_id("key")),
            tenant_id: Set(tenant.id().to_owned()),
            name: Set(name.to_owned()),
            token_hash: Set(token_hash(&key)),
            scopes: Set(TokenScope::join(&scopes)),
            created_by: Set(account.id.clone()),
            created_at: Set(now),
            last_used_at: Set(None),
            revoked_at: Set(None),
        }
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            now,
            audit::Event::by(
                tenant,
                "key.created",
                ("tenant_key", &row.id),
                serde_json::json!({ "name": row.name, "scopes": row.scopes }),
            ),
        )
        .await?;
        txn.commit().await?;
        Ok((TenantKeyInfo::try_from(row)?, key))
    }

    /// The tenant's keys that are not revoked, newest first.
    pub async fn list_tenant_keys(&self, tenant: &Tenant) -> EngineResult<Vec<TenantKeyInfo>> {
        tenant.require_member_admin()?;
        tenant_keys::Entity::find()
            .filter(tenant_keys::Column::TenantId.eq(tenant.id()))
            .filter(tenant_keys::Column::RevokedAt.is_null())
            .order_by_desc(tenant_keys::Column::CreatedAt)
            .all(self.db())
            .await?
            .into_iter()
            .map(TenantKeyInfo::try_from)
            .collect()
    }

    /// Revokes one of the tenant's keys; it stops working at once.
    pub async fn revoke_tenant_key(&self, tenant: &Tenant, key_id: &str) -> EngineResult<()> {
        tenant.require_member_admin()?;
        let now = self.now();
        let txn = self.begin_write().await?;
        let row = tenant_keys::Entity::find_by_id(key_id.to_owned())
            .one(&txn)
            .await?
            .filter(|k| k.tenant_id == tenant.id() && k.revoked_at.is_none())
            .ok_or_else(|| EngineError::not_found("The tenant has no live key by that id."))?;
        let mut active: tenant_keys::ActiveModel = row.into();
        active.revoked_at = Set(Some(now));
        let row = active.update(&txn).await?;
        crate::tenancy::watch::bump(&txn, tenant.id()).await?;
        audit::record(
            &txn,
            now,
            audit::Event::by(
                tenant,
                "key.revoked",
                ("tenant_key", &row.id),
                serde_json::json!({ "name": row.name }),
            ),
        )
        .await?;
        txn.commit().await?;
        self.registry_changed();
        Ok(())
    }

    /// The tenant behind a key; revoked and unknown keys are refused alike.
    pub async fn authenticate_tenant_key(
        &self,
        bearer: &str,
    ) -> EngineResult<std::sync::Arc<TenantPrincipal>> {
        let invalid = || EngineError::Unauthenticated("The key is invalid or revoked.".into());
        if !bearer.starts_with(TENANT_KEY_PREFIX) {
            return Err(invalid());
        }
        let hash = token_hash(bearer);
        let generation = self.registry_generation().await?;
        let now = self.now();
        // Checked already under this generation, and its last use is
        // recent enough: no database work at all.
        let recently = |at: Option<DateTime<Utc>>| {
            at.is_some_and(|at| now - at < chrono::Duration::minutes(1))
        };
        if let Some(cached) = self.registry_watch().key(&hash) {
            if recently(cached.last_used_at) {
                return Ok(cached.principal);
            }
        }
        let row = tenant_keys::Entity::find()
            .filter(tenant_keys::Column::TokenHash.eq(hash.clone()))
            .one(self.db())
            .await?
            .filter(|k| k.revoked_at.is_none())
            .ok_or_else(invalid)?;
        let tenant = tenants::Entity::find_by_id(row.tenant_id.clone())
            .one(self.db())
            .await?
            .ok_or_else(invalid)?;
        let mut last_used_at = row.last_used_at;
        if !recently(last_used_at) {
            let mut active: tenant_keys::ActiveModel = row.clone().into();
            active.last_used_at = Set(Some(now));
            active.update(self.db()).await?;
            last_used_at = Some(now);
        }
        let info = TenantKeyInfo::try_from(row)?;
        let principal = std::sync::Arc::new(TenantPrincipal {
            tenant_id: tenant.id,
            tenant_slug: tenant.slug,
            key_id: info.id,
            key_name: info.name,
            scopes: info.scopes,
        });
        self.registry_watch().remember_key(
            hash,
            CachedKey {
                principal: principal.clone(),
                last_used_at,
            },
            generation,
        );
        Ok(principal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_scopes_are_tenant_scopes_only() {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            key_scopes(&s(&["registrations:read", "registrations:read"])).unwrap(),
            vec![TokenScope::RegistrationsRead]
        );
        assert!(key_scopes(&s(&["publisher"])).is_err());
        assert!(key_scopes(&s(&["root"])).is_err());
        assert!(key_scopes(&[]).is_err());
    }
}
