//! What a tenant's EHR reads: the tenant's registrations — each install as its authorization server enforces it.
use chrono::{DateTime, Utc};
use domain::TokenScope;
use sea_orm::{ConnectionTrait, FromQueryResult};

use crate::entity::installs;
use crate::platform::sql::Sql;
use crate::tenancy::TenantPrincipal;
use crate::{Engine, EngineError, EngineResult};

/// The most registrations one page may hold.
pub const REGISTRY_PAGE_MAX: u64 = 200;

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
    /// The issuer of the authorization server the client is at.
    pub issuer: String,
    pub status: String,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
    /// Sidecar's own client id (the same as `client_id` at the built-in
    /// server).
    pub sidecar_client_id: String,
    /// At another server: which, and where provisioning stands.
    pub authorization_server: Option<ServerClient>,
}

/// An install's client at a server other than the built-in one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerClient {
    pub id: String,
    /// The server's client id, once it gave one.
    pub client_id: Option<String>,
    pub provisioning_state: String,
}

/// An install with what the registry needs of its app and version, in one
/// query. While a rotation's new client is being registered, the client
/// being retired (which works until its grace period ends) is the one shown.
const REGISTRATION_SELECT: &str = "SELECT i.*, a.slug AS app_slug, v.number AS version_number, \
     v.manifest AS manifest, s.issuer AS server_issuer, \
     COALESCE(p.client_id, (SELECT r.client_id FROM retiring_clients r \
       WHERE r.install_id = i.id AND r.server_id = p.server_id AND r.reason = 'rotated' \
       ORDER BY r.created_at DESC LIMIT 1)) AS server_client_id, \
     p.state AS provisioning_state FROM installs i \
     JOIN apps a ON a.id = i.app_id \
     JOIN app_versions v ON v.id = i.version_id \
     LEFT JOIN authorization_servers s ON s.id = i.authorization_server_id \
     LEFT JOIN provisionings p ON p.install_id = i.id";

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
impl Engine {
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
        let server_issuer: Option<String> = row.try_get("", "server_issuer")?;
        let server_client_id: Option<String> = row.try_get("", "server_client_id")?;
        let provisioning_state: Option<String> = row.try_get("", "provisioning_state")?;
        let authorization_server = match (&install.authorization_server_id, &server_issuer) {
            (Some(id), Some(_)) => Some(ServerClient {
                id: id.clone(),
                client_id: server_client_id.clone(),
                provisioning_state: provisioning_state.unwrap_or_else(|| "pending".into()),
            }),
            _ => None,
        };
        Ok(Registration {
            client_id: server_client_id.unwrap_or_else(|| install.client_id.clone()),
            sidecar_client_id: install.client_id,
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
            issuer: server_issuer.unwrap_or_else(|| self.link(&format!("/t/{tenant_slug}"))),
            status: install.state,
            version: row.try_get("", "version_number")?,
            updated_at: install.updated_at,
            authorization_server,
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
        let limit = crate::platform::error::within("limit", limit, 1..=REGISTRY_PAGE_MAX)?;
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

    /// The registration of `client_id` in the tenant, by Sidecar's client
    /// id or the one its authorization server gave; another tenant's client
    /// is not found.
    pub(crate) async fn registration_in_tenant(
        &self,
        tenant_id: &str,
        tenant_slug: &str,
        client_id: &str,
    ) -> EngineResult<Registration> {
        self.find_registration(tenant_id, tenant_slug, client_id, false)
            .await
    }

    /// A client of the tenant's built-in authorization server: an install
    /// at another server has no client there.
    pub(crate) async fn builtin_registration(
        &self,
        tenant_id: &str,
        tenant_slug: &str,
        client_id: &str,
    ) -> EngineResult<Registration> {
        self.find_registration(tenant_id, tenant_slug, client_id, true)
            .await
    }

    async fn find_registration(
        &self,
        tenant_id: &str,
        tenant_slug: &str,
        client_id: &str,
        builtin_only: bool,
    ) -> EngineResult<Registration> {
        let mut sql = Sql::new(self.db().get_database_backend());
        sql.push(REGISTRATION_SELECT)
            .push(" WHERE i.tenant_id = ")
            .bind(tenant_id.to_owned());
        if builtin_only {
            sql.push(" AND i.authorization_server_id IS NULL AND i.client_id = ")
                .bind(client_id.to_owned());
        } else {
            // Sidecar's own ids are unique; a server's are unique only at
            // that server, so Sidecar's own wins.
            sql.push(" AND (i.client_id = ")
                .bind(client_id.to_owned())
                .push(" OR p.client_id = ")
                .bind(client_id.to_owned())
                .push(") ORDER BY CASE WHEN i.client_id = ")
                .bind(client_id.to_owned())
                .push(" THEN 0 ELSE 1 END LIMIT 1");
        }
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
}
