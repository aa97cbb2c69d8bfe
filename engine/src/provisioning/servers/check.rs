//! Checking a server: its metadata read by discovery, and the tenant's
//! granted scopes compared with those it lists.

use std::collections::BTreeSet;

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;

use crate::entity::{authorization_servers as servers, installs};
use crate::provisioning::discovery::{discover, Discovered, DiscoveryError};
use crate::tenancy::Tenant;
use crate::{Engine, EngineError, EngineResult};

use super::{view, ServerCheck, ServerKind, BUILTIN_ID};

/// Where a check left a server: its status, detail and what was found.
pub(super) struct Checked {
    pub status: &'static str,
    pub detail: Option<String>,
    pub discovered: Option<Discovered>,
}

impl Engine {
    /// Reads `issuer`'s metadata for a server of `kind`: where that left
    /// it, or why what it answers cannot be used.
    pub(super) async fn check_issuer(
        &self,
        kind: ServerKind,
        issuer: &url::Url,
    ) -> Result<Checked, String> {
        match discover(&self.config().fetch, issuer, kind == ServerKind::Rfc7591).await {
            Ok(found) => Ok(Checked {
                status: "ok",
                detail: None,
                discovered: Some(found),
            }),
            Err(e @ DiscoveryError::Unreachable { .. }) => Ok(Checked {
                status: "unreachable",
                detail: Some(e.to_string()),
                discovered: None,
            }),
            // A manual server need not publish anything.
            Err(DiscoveryError::Unusable(_)) if kind == ServerKind::Manual => Ok(Checked {
                status: "unchecked",
                detail: None,
                discovered: None,
            }),
            Err(DiscoveryError::Unusable(why)) => Err(why),
        }
    }

    /// Tests the connection now: discovery again, the status saved, and
    /// which of the tenant's granted scopes the server does not list.
    pub async fn check_authorization_server(
        &self,
        tenant: &Tenant,
        id: &str,
    ) -> EngineResult<ServerCheck> {
        tenant.require_admin()?;
        let server = if id == BUILTIN_ID {
            self.authorization_server(tenant, id).await?
        } else {
            let row = self.server_row(tenant, id).await?;
            let kind = view(row.clone())?.kind;
            let issuer = url::Url::parse(&row.issuer)
                .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("stored issuer: {e}")))?;
            // What the server now answers is recorded, not refused: it was
            // fine when added.
            let checked = self
                .check_issuer(kind, &issuer)
                .await
                .unwrap_or_else(|why| Checked {
                    status: "invalid",
                    detail: Some(why),
                    discovered: None,
                });
            let now = self.now();
            let mut active: servers::ActiveModel = row.into();
            active.discovery = Set(checked.discovered.as_ref().map(|d| json!(d).to_string()));
            active.status = Set(checked.status.to_owned());
            active.status_detail = Set(checked.detail);
            active.checked_at = Set(Some(now));
            view(active.update(self.db()).await?)?
        };
        let scopes_not_listed = match &server.discovered {
            Some(found) if !found.scopes_supported.is_empty() => {
                let granted = self.granted_scopes(tenant).await?;
                Some(
                    granted
                        .into_iter()
                        .filter(|s| !found.scopes_supported.contains(s))
                        .collect(),
                )
            }
            _ => None,
        };
        Ok(ServerCheck {
            server,
            scopes_not_listed,
        })
    }

    /// Every scope the tenant grants in an install that is not revoked,
    /// once each, sorted.
    async fn granted_scopes(&self, tenant: &Tenant) -> EngineResult<BTreeSet<String>> {
        let installs = installs::Entity::find()
            .filter(installs::Column::TenantId.eq(tenant.id()))
            .filter(installs::Column::State.ne("revoked"))
            .all(self.db())
            .await?;
        Ok(installs
            .iter()
            .flat_map(|i| i.granted_scope.split_whitespace().map(str::to_owned))
            .collect())
    }
}
