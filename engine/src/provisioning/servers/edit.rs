//! Adding, replacing and removing a tenant's own servers, and choosing
//! the default.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::json;

use crate::entity::{authorization_servers as servers, installs, provisionings, retiring_clients};
use crate::people::publishers::parse_name;
use crate::platform::audit;
use crate::platform::sealed::{self, Purpose};
use crate::platform::secret::new_id;
use crate::provisioning::discovery::parse_issuer;
use crate::provisioning::ProvisioningState;
use crate::tenancy::Tenant;
use crate::{Engine, EngineError, EngineResult};

use super::check::Checked;
use super::{AuthorizationServer, ServerInput, ServerKind, BUILTIN_ID, TOKEN_MAX};

impl Engine {
    /// Checks what a tenant admin gave, the issuer by discovery; the
    /// issuer to keep.
    async fn checked_input(
        &self,
        tenant: &Tenant,
        input: &ServerInput,
        except: Option<&str>,
    ) -> EngineResult<(String, ServerKind, String, Checked)> {
        let name = parse_name(&input.name)?;
        let kind = ServerKind::parse(input.kind.trim())?;
        let issuer = parse_issuer(&input.issuer, &self.config().fetch)
            .map_err(|e| EngineError::invalid("issuer", e))?;
        if input
            .initial_access_token
            .as_ref()
            .is_some_and(|t| t.len() > TOKEN_MAX)
        {
            return Err(EngineError::invalid(
                "initial_access_token",
                format!("An initial access token of at most {TOKEN_MAX} characters."),
            ));
        }
        let builtin = self.issuer(tenant.slug()).await?;
        if issuer.as_str().trim_end_matches('/') == builtin.url.trim_end_matches('/') {
            return Err(EngineError::invalid(
                "issuer",
                "That is the tenant's built-in server; it is always there.",
            ));
        }
        let others = servers::Entity::find()
            .filter(servers::Column::TenantId.eq(tenant.id()))
            .all(self.db())
            .await?;
        for other in others.iter().filter(|o| Some(o.id.as_str()) != except) {
            if other.name == name {
                return Err(EngineError::conflict(
                    "name",
                    format!("The tenant has a server named `{name}` already."),
                ));
            }
            if other.issuer.trim_end_matches('/') == issuer.as_str().trim_end_matches('/') {
                return Err(EngineError::conflict(
                    "issuer",
                    format!("The tenant has this issuer already, as `{}`.", other.name),
                ));
            }
        }
        let checked = self
            .check_issuer(kind, &issuer)
            .await
            .map_err(|why| EngineError::invalid("issuer", why))?;
        // Kept as the server spells it, which is what its tokens carry.
        let issuer = match &checked.discovered {
            Some(found) => found.issuer.clone(),
            None => input.issuer.trim().to_owned(),
        };
        Ok((name, kind, issuer, checked))
    }

    /// Makes `id` the tenant's only default (`None`: the built-in one).
    async fn set_default(
        &self,
        conn: &impl sea_orm::ConnectionTrait,
        tenant: &Tenant,
        id: Option<&str>,
    ) -> EngineResult<()> {
        servers::Entity::update_many()
            .col_expr(
                servers::Column::IsDefault,
                sea_orm::sea_query::Expr::value(false),
            )
            .filter(servers::Column::TenantId.eq(tenant.id()))
            .exec(conn)
            .await?;
        if let Some(id) = id {
            servers::Entity::update_many()
                .col_expr(
                    servers::Column::IsDefault,
                    sea_orm::sea_query::Expr::value(true),
                )
                .filter(servers::Column::Id.eq(id))
                .exec(conn)
                .await?;
        }
        Ok(())
    }

    /// Adds an authorization server, checked by discovery: one that
    /// answers with metadata Sidecar cannot use is refused; one that does
    /// not answer is added as `unreachable`, to be checked again.
    pub async fn add_authorization_server(
        &self,
        tenant: &Tenant,
        input: ServerInput,
    ) -> EngineResult<AuthorizationServer> {
        tenant.require_member_admin()?;
        let (name, kind, issuer, checked) = self.checked_input(tenant, &input, None).await?;
        let id = new_id("asv");
        let token = match input.initial_access_token.as_deref().map(str::trim) {
            Some(t) if !t.is_empty() => Some(sealed::seal(
                &self.config().master_key,
                Purpose::ServerCredential,
                &id,
                t.as_bytes(),
            )?),
            _ => None,
        };
        let now = self.now();
        let txn = self.begin_write().await?;
        let row = servers::ActiveModel {
            id: Set(id.clone()),
            tenant_id: Set(tenant.id().to_owned()),
            name: Set(name),
            kind: Set(kind.as_str().to_owned()),
            issuer: Set(issuer),
            initial_access_token: Set(token),
            is_default: Set(false),
            discovery: Set(checked.discovered.as_ref().map(|d| json!(d).to_string())),
            status: Set(checked.status.to_owned()),
            status_detail: Set(checked.detail),
            checked_at: Set(Some(now)),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        if input.default == Some(true) {
            self.set_default(&txn, tenant, Some(&id)).await?;
        }
        audit::record(
            &txn,
            now,
            audit::Event::by(
                tenant,
                "authorization_server.added",
                ("authorization_server", &id),
                json!({ "name": row.name, "kind": row.kind, "issuer": row.issuer }),
            ),
        )
        .await?;
        txn.commit().await?;
        self.authorization_server(tenant, &id).await
    }

    /// Replaces an added server's description (checked as when added).
    pub async fn replace_authorization_server(
        &self,
        tenant: &Tenant,
        id: &str,
        input: ServerInput,
    ) -> EngineResult<AuthorizationServer> {
        tenant.require_member_admin()?;
        if id == BUILTIN_ID {
            return Err(EngineError::Conflict {
                field: None,
                message: "The built-in server cannot be changed. To make it the default again, set `default` to false on the server that is.".into(),
            });
        }
        let current = self.server_row(tenant, id).await?;
        let (name, kind, issuer, checked) = self.checked_input(tenant, &input, Some(id)).await?;
        let now = self.now();
        let txn = self.begin_write().await?;
        let mut row: servers::ActiveModel = current.into();
        match input.initial_access_token.as_deref().map(str::trim) {
            None => {}
            Some("") => row.initial_access_token = Set(None),
            Some(token) => {
                row.initial_access_token = Set(Some(sealed::seal(
                    &self.config().master_key,
                    Purpose::ServerCredential,
                    id,
                    token.as_bytes(),
                )?))
            }
        }
        row.name = Set(name);
        row.kind = Set(kind.as_str().to_owned());
        row.issuer = Set(issuer);
        row.discovery = Set(checked.discovered.as_ref().map(|d| json!(d).to_string()));
        row.status = Set(checked.status.to_owned());
        row.status_detail = Set(checked.detail);
        row.checked_at = Set(Some(now));
        row.updated_at = Set(now);
        let row = row.update(&txn).await?;
        match input.default {
            Some(true) => self.set_default(&txn, tenant, Some(id)).await?,
            Some(false) if row.is_default => self.set_default(&txn, tenant, None).await?,
            _ => {}
        }
        audit::record(
            &txn,
            now,
            audit::Event::by(
                tenant,
                "authorization_server.updated",
                ("authorization_server", id),
                json!({ "name": row.name, "kind": row.kind, "issuer": row.issuer }),
            ),
        )
        .await?;
        txn.commit().await?;
        self.authorization_server(tenant, id).await
    }

    /// Removes an added server; the built-in one becomes the default if it
    /// was.
    pub async fn remove_authorization_server(&self, tenant: &Tenant, id: &str) -> EngineResult<()> {
        tenant.require_member_admin()?;
        if id == BUILTIN_ID {
            return Err(EngineError::Conflict {
                field: None,
                message: "The built-in server is always there; it cannot be removed.".into(),
            });
        }
        let row = self.server_row(tenant, id).await?;
        let now = self.now();
        let txn = self.begin_write().await?;
        let in_use = installs::Entity::find()
            .filter(installs::Column::AuthorizationServerId.eq(id))
            .filter(installs::Column::State.ne("revoked"))
            .count(&txn)
            .await?;
        let clients_left = provisionings::Entity::find()
            .filter(provisionings::Column::ServerId.eq(id))
            .filter(provisionings::Column::State.ne(ProvisioningState::Deprovisioned.as_str()))
            .count(&txn)
            .await?
            + retiring_clients::Entity::find()
                .filter(retiring_clients::Column::ServerId.eq(id))
                .count(&txn)
                .await?;
        if in_use > 0 || clients_left > 0 {
            return Err(EngineError::Conflict {
                field: None,
                message: format!(
                    "Installs use this server ({in_use} not revoked, {clients_left} with a client still there): revoke them or wait until their clients are removed, then try again."
                ),
            });
        }
        // What is left is the record of clients removed from the server.
        provisionings::Entity::delete_many()
            .filter(provisionings::Column::ServerId.eq(id))
            .exec(&txn)
            .await?;
        servers::Entity::delete_by_id(row.id.clone())
            .exec(&txn)
            .await?;
        audit::record(
            &txn,
            now,
            audit::Event::by(
                tenant,
                "authorization_server.removed",
                ("authorization_server", id),
                json!({ "name": row.name, "issuer": row.issuer }),
            ),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Makes the server `id` (`builtin` included) the tenant's default.
    pub async fn make_default_authorization_server(
        &self,
        tenant: &Tenant,
        id: &str,
    ) -> EngineResult<()> {
        let id = (id != BUILTIN_ID).then_some(id);
        self.choose_default(tenant, id).await
    }

    async fn choose_default(&self, tenant: &Tenant, id: Option<&str>) -> EngineResult<()> {
        tenant.require_member_admin()?;
        let name = match id {
            Some(id) => self.server_row(tenant, id).await?.name,
            None => "Sidecar (built in)".to_owned(),
        };
        let now = self.now();
        let txn = self.begin_write().await?;
        self.set_default(&txn, tenant, id).await?;
        audit::record(
            &txn,
            now,
            audit::Event::by(
                tenant,
                "authorization_server.default",
                ("authorization_server", id.unwrap_or(BUILTIN_ID)),
                json!({ "name": name }),
            ),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}
