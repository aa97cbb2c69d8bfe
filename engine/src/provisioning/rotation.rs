//! Rotating an install's client secret wherever its client lives. At the
//! built-in server the new secret is made at once. At a server reached by
//! RFC 7591/7592 there is no standard way to ask for a new secret, so a new
//! client is registered alongside: it arrives in the background (its secret
//! is revealed once, when ready), the registry and webhooks tell EHRs of
//! the new client id, and the old client keeps working through the grace
//! period, then is deleted there.

use domain::ClientAuth;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::json;

use crate::entity::{authorization_servers as servers, provisionings};
use crate::people::accounts::Account;
use crate::platform::audit;
use crate::provisioning::installs::ProvisioningView;
use crate::provisioning::jobs::{new_tag, ProvisioningState as S};
use crate::provisioning::retiring::{retire, Reason};
use crate::tenancy::changes;
use crate::tenancy::installs::InstallView;
use crate::{Engine, EngineError, EngineResult};

/// What a rotation gave.
#[derive(Debug)]
pub enum Rotation {
    /// At the built-in server: the new secret, shown this once.
    Issued {
        install: InstallView,
        secret: String,
    },
    /// At the tenant's own server: a new client is being registered; its
    /// secret is revealed once, when ready.
    Queued {
        install: InstallView,
        provisioning: ProvisioningView,
    },
}

fn conflict(message: String) -> EngineError {
    EngineError::Conflict {
        field: None,
        message,
    }
}

impl Engine {
    /// A new client secret for the app's install in `tenant_slug`, with the
    /// old one working through the grace period (`EngineConfig::secret_grace`).
    pub async fn rotate_secret(
        &self,
        account: &Account,
        app_slug: &str,
        tenant_slug: &str,
    ) -> EngineResult<Rotation> {
        let (app, tenant, install) = self.member_install(account, app_slug, tenant_slug).await?;
        let not_installed =
            || EngineError::not_found(format!("`{app_slug}` is not installed in `{tenant_slug}`."));
        if install.authorization_server_id.is_none() {
            let (install, secret) = self
                .rotate_client_secret(account, app_slug, tenant_slug)
                .await?;
            return Ok(Rotation::Issued { install, secret });
        }
        let view = self
            .install_view(install.clone(), tenant.slug.clone())
            .await?;
        if !matches!(
            view.version.manifest.token_endpoint_auth_method,
            ClientAuth::ClientSecretBasic | ClientAuth::ClientSecretPost
        ) {
            return Err(EngineError::invalid(
                "token_endpoint_auth_method",
                "The installed version authenticates without a client secret: there is none to rotate.",
            ));
        }
        if install.state != "active" {
            return Err(conflict(format!(
                "The install is {}: a secret is rotated only while it is active.",
                install.state
            )));
        }
        let row = provisionings::Entity::find_by_id(install.id.clone())
            .one(self.db())
            .await?
            .ok_or_else(not_installed)?;
        let server = servers::Entity::find_by_id(row.server_id.clone())
            .one(self.db())
            .await?
            .ok_or_else(not_installed)?;
        if server.kind == "manual" {
            return Err(conflict(format!(
                "{} has no registration API: a tenant admin makes a new secret there and enters it in the tenant console.",
                server.name
            )));
        }
        if row.state != S::Active.as_str() || row.client_id.is_none() {
            return Err(conflict(format!(
                "Provisioning at {} is {}: rotate once the client there is active.",
                server.name, row.state
            )));
        }
        let now = self.now();
        let txn = self.begin_write().await?;
        retire(
            &txn,
            &row,
            Reason::Rotated,
            now + self.config().secret_grace,
            now,
        )
        .await?;
        let old_client = row.client_id.clone();
        let generation = row.desired_generation + 1;
        let mut fresh: provisionings::ActiveModel = row.into();
        fresh.client_id = Set(None);
        fresh.registration_client_uri = Set(None);
        fresh.registration_access_token = Set(None);
        fresh.client_secret = Set(None);
        fresh.tag = Set(new_tag());
        fresh.intent = Set(None);
        fresh.desired_generation = Set(generation);
        fresh.state = Set(S::Pending.as_str().to_owned());
        fresh.attempts = Set(0);
        fresh.next_attempt_at = Set(now);
        fresh.last_error = Set(None);
        fresh.error_code = Set(None);
        fresh.updated_at = Set(now);
        fresh.update(&txn).await?;
        let after = changes::registration_touched(&txn, &install, now).await?;
        audit::record(
            &txn,
            now,
            audit::Event {
                actor: Some(account.into()),
                tenant_id: Some(&install.tenant_id),
                publisher_id: Some(&app.publisher_id),
                action: "secret.rotated",
                target_type: "install",
                target_id: &install.id,
                detail: json!({
                    "server": server.name,
                    "retiring_client_id": old_client,
                    "grace_seconds": self.config().secret_grace.num_seconds(),
                }),
            },
        )
        .await?;
        txn.commit().await?;
        self.after_commit(after);
        self.wake_provisioning_worker();
        let provisioning = self
            .provisioning_of(&[&view])
            .await?
            .remove(&view.id)
            .ok_or_else(|| {
                EngineError::Unexpected(anyhow::anyhow!("a rotated install lost its provisioning"))
            })?;
        Ok(Rotation::Queued {
            install: view,
            provisioning,
        })
    }
}
