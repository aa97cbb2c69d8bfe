//! A tenant's authorization servers: the built-in one, always there, and
//! those the tenant adds — `rfc7591` servers Sidecar registers clients at
//! (RFC 7591/7592), and `manual` ones whose admins enter a registration by
//! hand. One of them is the tenant's default (the built-in one unless
//! another is chosen).

mod check;
mod edit;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::entity::authorization_servers as servers;
use crate::provisioning::discovery::Discovered;
use crate::tenancy::Tenant;
use crate::{Engine, EngineError, EngineResult};

/// The id under which the built-in server is listed.
pub const BUILTIN_ID: &str = "builtin";

/// The longest initial access token taken.
const TOKEN_MAX: usize = 4096;

/// How Sidecar reaches a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    /// Sidecar's own, per tenant.
    Builtin,
    /// Dynamic registration (RFC 7591) and management (RFC 7592).
    Rfc7591,
    /// No registration API: a tenant admin enters the client by hand.
    Manual,
}

impl ServerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Builtin => "builtin",
            Self::Rfc7591 => "rfc7591",
            Self::Manual => "manual",
        }
    }

    fn parse(text: &str) -> EngineResult<Self> {
        match text {
            "rfc7591" => Ok(Self::Rfc7591),
            "manual" => Ok(Self::Manual),
            "builtin" => Err(EngineError::invalid(
                "kind",
                "The built-in server is always there; add `rfc7591` or `manual` servers.",
            )),
            other => Err(EngineError::invalid(
                "kind",
                format!("`{other}` is not a kind of server: use `rfc7591` (dynamic registration) or `manual`."),
            )),
        }
    }
}

/// An authorization server as a tenant's people see it (never a token).
#[derive(Debug, Clone, PartialEq)]
pub struct AuthorizationServer {
    pub id: String,
    pub name: String,
    pub kind: ServerKind,
    pub issuer: String,
    pub default: bool,
    pub has_initial_access_token: bool,
    /// What discovery found at the last check.
    pub discovered: Option<Discovered>,
    /// `ok`, `unreachable` or `invalid` (at the last check: see
    /// `status_detail`), or `unchecked` (a manual server without metadata).
    pub status: String,
    pub status_detail: Option<String>,
    pub checked_at: Option<DateTime<Utc>>,
}

/// A server as a tenant admin describes it, to add or replace one.
#[derive(Debug, Clone, Default)]
pub struct ServerInput {
    pub name: String,
    pub kind: String,
    pub issuer: String,
    /// `None` keeps the current token (on a replace); an empty one removes it.
    pub initial_access_token: Option<String>,
    /// `None` leaves which server is the default as it is.
    pub default: Option<bool>,
}

/// What a connection test found.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerCheck {
    pub server: AuthorizationServer,
    /// The tenant's granted scopes the server does not list in
    /// `scopes_supported` (`None` when it lists none, or was not reached).
    pub scopes_not_listed: Option<Vec<String>>,
}

fn view(row: servers::Model) -> EngineResult<AuthorizationServer> {
    let kind = ServerKind::parse(&row.kind)
        .map_err(|_| EngineError::Unexpected(anyhow::anyhow!("stored server kind {}", row.kind)))?;
    let discovered = row
        .discovery
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("stored discovery: {e}")))?;
    Ok(AuthorizationServer {
        id: row.id,
        name: row.name,
        kind,
        issuer: row.issuer,
        default: row.is_default,
        has_initial_access_token: row.initial_access_token.is_some(),
        discovered,
        status: row.status,
        status_detail: row.status_detail,
        checked_at: row.checked_at,
    })
}

impl Engine {
    pub(super) async fn builtin_server(
        &self,
        tenant: &Tenant,
        default: bool,
    ) -> EngineResult<AuthorizationServer> {
        let issuer = self.issuer(tenant.slug()).await?;
        // What the built-in server publishes, from the document it serves.
        let metadata = crate::authz::discovery::server_metadata(&issuer);
        let strings = |key: &str| -> Vec<String> {
            metadata[key]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        };
        Ok(AuthorizationServer {
            id: BUILTIN_ID.into(),
            name: "Sidecar (built in)".into(),
            kind: ServerKind::Builtin,
            issuer: issuer.url.clone(),
            default,
            has_initial_access_token: false,
            discovered: Some(Discovered {
                source: issuer.endpoint("/.well-known/openid-configuration"),
                issuer: issuer.url.clone(),
                registration_endpoint: None,
                token_endpoint: metadata["token_endpoint"].as_str().map(str::to_owned),
                // Its scopes are forms that cover narrower ones
                // (`patient/*.rs`), which a comparison by name would misread.
                scopes_supported: Vec::new(),
                token_endpoint_auth_methods_supported: strings(
                    "token_endpoint_auth_methods_supported",
                ),
            }),
            status: "ok".into(),
            status_detail: None,
            checked_at: None,
        })
    }

    pub(super) async fn server_row(
        &self,
        tenant: &Tenant,
        id: &str,
    ) -> EngineResult<servers::Model> {
        servers::Entity::find_by_id(id.to_owned())
            .filter(servers::Column::TenantId.eq(tenant.id()))
            .one(self.db())
            .await?
            .ok_or_else(|| {
                EngineError::not_found("The tenant has no authorization server by that id.")
            })
    }

    /// The tenant's authorization servers: the built-in one first, then the
    /// others by name.
    pub async fn authorization_servers(
        &self,
        tenant: &Tenant,
    ) -> EngineResult<Vec<AuthorizationServer>> {
        let rows = servers::Entity::find()
            .filter(servers::Column::TenantId.eq(tenant.id()))
            .order_by_asc(servers::Column::Name)
            .all(self.db())
            .await?;
        let builtin_default = !rows.iter().any(|r| r.is_default);
        let mut out = vec![self.builtin_server(tenant, builtin_default).await?];
        for row in rows {
            out.push(view(row)?);
        }
        Ok(out)
    }

    /// One of the tenant's authorization servers (`builtin` included).
    pub async fn authorization_server(
        &self,
        tenant: &Tenant,
        id: &str,
    ) -> EngineResult<AuthorizationServer> {
        if id == BUILTIN_ID {
            let others_default = servers::Entity::find()
                .filter(servers::Column::TenantId.eq(tenant.id()))
                .filter(servers::Column::IsDefault.eq(true))
                .one(self.db())
                .await?
                .is_some();
            return self.builtin_server(tenant, !others_default).await;
        }
        view(self.server_row(tenant, id).await?)
    }
}
