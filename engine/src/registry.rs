//! What a tenant's EHR reads: tenant API keys, and the tenant's
//! registrations — each install as its authorization server enforces it.

use chrono::{DateTime, Utc};
use domain::TokenScope;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, Set,
};

use crate::audit;
use crate::entity::{installs, tenant_keys, tenants};
use crate::registry_watch::CachedKey;
use crate::secret::{new_id, random_token, token_hash};
use crate::sql::Sql;
use crate::tenancy::Tenant;
use crate::{Engine, EngineError, EngineResult};

/// The prefix of every tenant API key, so that scanners can spot a leak.
pub const TENANT_KEY_PREFIX: &str = "sdc_key_";

/// The most registrations one page may hold.
pub const REGISTRY_PAGE_MAX: u64 = 200;

/// A tenant API key as listed (the key itself is shown once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantKeyInfo {
    pub id: String,
    pub name: String,
    pub scopes: Vec<TokenScope>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
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

/// One install, as the tenant's authorization server enforces it.
#[derive(Debug, Clone, PartialEq)]
pub struct Registration {
    pub client_id: String,
    pub install_id: String,
    pub app_slug: String,
    pub client_name: String,
    pub token_endpoint_auth_method: String,
    pub grant_types: Vec<String>,
    pub redirect_uris: Vec<String>,
    pub launch_url: Option<String>,
    pub scope: String,
    pub jwks_uri: Option<String>,
    pub jwks: Option<serde_json::Value>,
    pub issuer: String,
    pub status: String,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

/// An install with what the registry needs of its app and version, in one
/// query.
const REGISTRATION_SELECT: &str = "SELECT i.*, a.slug AS app_slug, v.number AS version_number, \
     v.manifest AS manifest FROM installs i \
     JOIN apps a ON a.id = i.app_id \
     JOIN app_versions v ON v.id = i.version_id";

/// Where a page of registrations starts: after this `(updated_at, id)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationCursor {
    pub updated_at: DateTime<Utc>,
    pub install_id: String,
}

impl RegistrationCursor {
    /// The opaque form handed out as `next_cursor`.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.updated_at.timestamp_micros(), self.install_id)
    }

    pub fn decode(text: &str) -> Option<Self> {
        let (micros, id) = text.split_once('.')?;
        let updated_at = DateTime::from_timestamp_micros(micros.parse().ok()?)?;
        (id.starts_with("ins_") && id.len() <= 40).then(|| Self {
            updated_at,
            install_id: id.to_owned(),
        })
    }
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
        crate::registry_watch::bump(&txn, tenant.id()).await?;
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

    /// One registration from a row of [`REGISTRATION_SELECT`].
    fn registration_row(
        &self,
        tenant_slug: &str,
        row: &sea_orm::QueryResult,
    ) -> EngineResult<Registration> {
        let install = installs::Model::from_query_result(row, "")?;
        // The stored manifest was checked when it was frozen; the wire form
        // reads it without checking it again.
        let manifest: String = row.try_get("", "manifest")?;
        let m: domain::ManifestInput = serde_json::from_str(&manifest)
            .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("stored manifest: {e}")))?;
        Ok(Registration {
            client_id: install.client_id,
            install_id: install.id,
            app_slug: row.try_get("", "app_slug")?,
            client_name: m.client_name.unwrap_or_default(),
            token_endpoint_auth_method: m.token_endpoint_auth_method.unwrap_or_default(),
            grant_types: m.grant_types.unwrap_or_default(),
            redirect_uris: m.redirect_uris.unwrap_or_default(),
            launch_url: m.launch_url,
            scope: install.granted_scope,
            jwks_uri: m.jwks_uri,
            jwks: m.jwks,
            issuer: self.link(&format!("/t/{tenant_slug}")),
            status: install.state,
            version: row.try_get("", "version_number")?,
            updated_at: install.updated_at,
        })
    }

    /// The tenant's registrations by last change, `limit` (1 to
    /// [`REGISTRY_PAGE_MAX`]) at a time after
    /// `cursor`, changed at or after `updated_since`. The cursor names the
    /// last row of the page, when there is a further page.
    pub async fn registrations(
        &self,
        principal: &TenantPrincipal,
        updated_since: Option<DateTime<Utc>>,
        cursor: Option<&RegistrationCursor>,
        limit: u64,
    ) -> EngineResult<(Vec<Registration>, Option<RegistrationCursor>)> {
        principal.require(TokenScope::RegistrationsRead)?;
        let limit = crate::error::within("limit", limit, 1..=REGISTRY_PAGE_MAX)?;
        let mut sql = Sql::new(self.db().get_database_backend());
        sql.push(REGISTRATION_SELECT)
            .push(" WHERE i.tenant_id = ")
            .bind(principal.tenant_id.clone());
        if let Some(since) = updated_since {
            sql.push(" AND i.updated_at >= ").bind(since);
        }
        if let Some(after) = cursor {
            sql.push(" AND (i.updated_at > ")
                .bind(after.updated_at)
                .push(" OR (i.updated_at = ")
                .bind(after.updated_at)
                .push(" AND i.id > ")
                .bind(after.install_id.clone())
                .push("))");
        }
        sql.push(" ORDER BY i.updated_at, i.id LIMIT ")
            .bind(limit as i64 + 1);
        let rows = self.db().query_all(sql.build()).await?;
        let more = rows.len() as u64 > limit;
        let out = rows
            .iter()
            .take(limit as usize)
            .map(|row| self.registration_row(&principal.tenant_slug, row))
            .collect::<EngineResult<Vec<_>>>()?;
        let next = more
            .then(|| out.last())
            .flatten()
            .map(|last| RegistrationCursor {
                updated_at: last.updated_at,
                install_id: last.install_id.clone(),
            });
        Ok((out, next))
    }

    /// One of the tenant's registrations; another tenant's is not found.
    pub async fn registration_by_client_id(
        &self,
        principal: &TenantPrincipal,
        client_id: &str,
    ) -> EngineResult<Registration> {
        principal.require(TokenScope::RegistrationsRead)?;
        self.registration_in_tenant(&principal.tenant_id, &principal.tenant_slug, client_id)
            .await
    }

    /// The registration of `client_id` in the tenant; another tenant's
    /// client is not found.
    pub(crate) async fn registration_in_tenant(
        &self,
        tenant_id: &str,
        tenant_slug: &str,
        client_id: &str,
    ) -> EngineResult<Registration> {
        let mut sql = Sql::new(self.db().get_database_backend());
        sql.push(REGISTRATION_SELECT)
            .push(" WHERE i.tenant_id = ")
            .bind(tenant_id.to_owned())
            .push(" AND i.client_id = ")
            .bind(client_id.to_owned());
        let row = self.db().query_one(sql.build()).await?.ok_or_else(|| {
            EngineError::not_found("The tenant has no registration with that client id.")
        })?;
        self.registration_row(tenant_slug, &row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_junk() {
        let cursor = RegistrationCursor {
            updated_at: DateTime::from_timestamp_micros(1_764_590_000_123_456).unwrap(),
            install_id: "ins_0190abc".into(),
        };
        assert_eq!(RegistrationCursor::decode(&cursor.encode()), Some(cursor));
        for junk in ["", "abc", "12.", "x.ins_1", "12.usr_1"] {
            assert_eq!(RegistrationCursor::decode(junk), None, "{junk}");
        }
    }

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
