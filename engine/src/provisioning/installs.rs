//! Installs as provisioning sees them: at which authorization server each
//! one lives, where its client there stands, "retry now", and the secret a
//! server issued, revealed once to the app's developer.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;

use crate::entity::{authorization_servers as servers, provisionings};
use crate::people::accounts::Account;
use crate::platform::audit;
use crate::platform::sealed::{self, Purpose};
use crate::provisioning::jobs::ProvisioningState as S;
use crate::provisioning::BUILTIN_ID;
use crate::tenancy::installs::InstallView;
use crate::tenancy::Tenant;
use crate::{Engine, EngineError, EngineResult};

/// An install's client at an authorization server other than the built-in
/// one, as people see it (never a token or a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisioningView {
    pub server_id: String,
    pub server_name: String,
    pub issuer: String,
    /// The server's client id, once it gave one.
    pub client_id: Option<String>,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub error_code: Option<String>,
    /// A secret the server issued waits to be revealed.
    pub secret_waiting: bool,
    /// Registrations whose answers were lost: the names to look for at the
    /// server and delete.
    pub possible_orphans: Vec<String>,
    pub updated_at: DateTime<Utc>,
}

fn view(row: provisionings::Model, server: &servers::Model) -> ProvisioningView {
    let orphans: Vec<serde_json::Value> = row
        .possible_orphans
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default();
    let waiting = row.state == S::Retrying.as_str();
    ProvisioningView {
        server_id: server.id.clone(),
        server_name: server.name.clone(),
        issuer: server.issuer.clone(),
        client_id: row.client_id,
        attempts: row.attempts,
        next_attempt_at: waiting.then_some(row.next_attempt_at),
        last_error: row.last_error,
        error_code: row.error_code,
        secret_waiting: row.client_secret.is_some(),
        possible_orphans: orphans
            .iter()
            .filter_map(|o| o["client_name"].as_str().map(str::to_owned))
            .collect(),
        state: row.state,
        updated_at: row.updated_at,
    }
}

impl Engine {
    /// Installs `app_slug` in the tenant with the `granted` scopes, at the
    /// authorization server `server` (an id, or `builtin`; the tenant's
    /// default when `None`). At a server other than the built-in one, the
    /// client is provisioned there in the background.
    pub async fn install_app(
        &self,
        tenant: &Tenant,
        app_slug: &str,
        granted: Option<&str>,
        server: Option<&str>,
    ) -> EngineResult<InstallView> {
        tenant.require_admin()?;
        let server_id = self.resolve_server(tenant, server).await?.map(|s| s.id);
        self.create_install(tenant, app_slug, granted, server_id)
            .await
    }

    /// The tenant's authorization server named `server` (an id, or
    /// `builtin`: `None`), or its default when `server` is `None`.
    pub(crate) async fn resolve_server(
        &self,
        tenant: &Tenant,
        server: Option<&str>,
    ) -> EngineResult<Option<servers::Model>> {
        Ok(match server.map(str::trim) {
            Some(BUILTIN_ID) => None,
            Some(id) => Some(
                servers::Entity::find_by_id(id.to_owned())
                    .filter(servers::Column::TenantId.eq(tenant.id()))
                    .one(self.db())
                    .await?
                    .ok_or_else(|| {
                        EngineError::invalid(
                            "authorization_server",
                            format!("The tenant has no authorization server `{id}`: use `builtin` or an id from its list of authorization servers."),
                        )
                    })?,
            ),
            None => {
                servers::Entity::find()
                    .filter(servers::Column::TenantId.eq(tenant.id()))
                    .filter(servers::Column::IsDefault.eq(true))
                    .one(self.db())
                    .await?
            }
        })
    }

    /// Where provisioning stands for each of `installs` that lives at a
    /// server other than the built-in one.
    pub async fn provisioning_of(
        &self,
        installs: &[&InstallView],
    ) -> EngineResult<HashMap<String, ProvisioningView>> {
        if installs.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = provisionings::Entity::find()
            .filter(provisionings::Column::InstallId.is_in(installs.iter().map(|i| i.id.clone())))
            .all(self.db())
            .await?;
        let mut servers_by_id = HashMap::new();
        let mut out = HashMap::new();
        for row in rows {
            if !servers_by_id.contains_key(&row.server_id) {
                if let Some(server) = servers::Entity::find_by_id(row.server_id.clone())
                    .one(self.db())
                    .await?
                {
                    servers_by_id.insert(row.server_id.clone(), server);
                }
            }
            if let Some(server) = servers_by_id.get(&row.server_id) {
                out.insert(row.install_id.clone(), view(row, server));
            }
        }
        Ok(out)
    }

    /// "Retry now": a job that gave up, was refused or lost its client
    /// starts again (an orphaned client is registered anew).
    pub async fn retry_provisioning(&self, tenant: &Tenant, install_id: &str) -> EngineResult<()> {
        tenant.require_admin()?;
        let row = provisionings::Entity::find_by_id(install_id.to_owned())
            .filter(provisionings::Column::TenantId.eq(tenant.id()))
            .one(self.db())
            .await?
            .ok_or_else(|| {
                EngineError::not_found(
                    "The tenant has no install by that id at an authorization server Sidecar provisions.",
                )
            })?;
        let retryable = [S::Failed, S::Rejected, S::Orphaned, S::Retrying].map(S::as_str);
        if !retryable.contains(&row.state.as_str()) {
            return Err(EngineError::Conflict {
                field: None,
                message: format!(
                    "Provisioning is {}; only a failed, rejected, orphaned or retrying job can be retried.",
                    row.state
                ),
            });
        }
        let now = self.now();
        let txn = self.begin_write().await?;
        let orphaned = row.state == S::Orphaned.as_str();
        let previous = row.state.clone();
        let generation = row.desired_generation.max(row.applied_generation + 1);
        let mut active: provisionings::ActiveModel = row.into();
        if orphaned {
            active.client_id = Set(None);
            active.registration_client_uri = Set(None);
            active.registration_access_token = Set(None);
            active.client_secret = Set(None);
        }
        active.desired_generation = Set(generation);
        active.state = Set(S::Pending.as_str().to_owned());
        active.attempts = Set(0);
        active.next_attempt_at = Set(now);
        active.updated_at = Set(now);
        active.update(&txn).await?;
        audit::record(
            &txn,
            now,
            audit::Event::by(
                tenant,
                "provisioning.retried",
                ("install", install_id),
                json!({ "was": previous }),
            ),
        )
        .await?;
        txn.commit().await?;
        self.wake_provisioning_worker();
        Ok(())
    }

    /// The client secret the app's authorization server issued for its
    /// install in `tenant_slug`, this once: it is not kept after.
    pub async fn reveal_server_secret(
        &self,
        account: &Account,
        app_slug: &str,
        tenant_slug: &str,
    ) -> EngineResult<(String, String)> {
        let none_waiting = || {
            EngineError::not_found(format!(
                "No secret from an authorization server waits for `{app_slug}` in `{tenant_slug}`: it was revealed already, or the server issued none."
            ))
        };
        let (app, tenant, install) = self.member_install(account, app_slug, tenant_slug).await?;
        let now = self.now();
        let txn = self.begin_write().await?;
        let row = provisionings::Entity::find_by_id(install.id.clone())
            .one(&txn)
            .await?
            .ok_or_else(none_waiting)?;
        let (Some(sealed_secret), Some(client_id)) =
            (row.client_secret.clone(), row.client_id.clone())
        else {
            return Err(none_waiting());
        };
        let secret = sealed::unseal(
            &self.config().master_key,
            Purpose::ServerCredential,
            &crate::provisioning::jobs::secret_binding(&install.id),
            &sealed_secret,
        )?;
        let secret = String::from_utf8(secret)
            .map_err(|_| EngineError::Unexpected(anyhow::anyhow!("a sealed secret is not text")))?;
        // Revealed once: taken out in the same transaction, so two reveals
        // cannot both read it.
        let taken = provisionings::Entity::update_many()
            .col_expr(
                provisionings::Column::ClientSecret,
                sea_orm::sea_query::Expr::value(Option::<String>::None),
            )
            .filter(provisionings::Column::InstallId.eq(install.id.clone()))
            .filter(provisionings::Column::ClientSecret.eq(sealed_secret))
            .exec(&txn)
            .await?;
        if taken.rows_affected != 1 {
            return Err(none_waiting());
        }
        audit::record(
            &txn,
            now,
            audit::Event {
                actor: Some(audit::By::Person {
                    id: &account.id,
                    email: &account.email,
                }),
                tenant_id: Some(&tenant.id),
                publisher_id: Some(&app.publisher_id),
                action: "provisioning.secret_revealed",
                target_type: "install",
                target_id: &install.id,
                detail: json!({ "client_id": client_id }),
            },
        )
        .await?;
        txn.commit().await?;
        Ok((client_id, secret))
    }
}
