//! Client secrets of confidential symmetric apps: shown once, kept as
//! keyed hashes, and rotated with a grace period for the old one.

use domain::ClientAuth;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use crate::entity::{apps, client_secrets, installs, tenants};
use crate::people::accounts::Account;
use crate::platform::secret::{new_id, random_token};
use crate::tenancy::changes::{registration_changed, Change, RegistrationChange};
use crate::tenancy::installs::InstallView;
use crate::{Engine, EngineError, EngineResult};

impl Engine {
    /// A new client secret for the app's install in `tenant_slug`, returned
    /// this once; the previous one keeps working for the configured grace
    /// period (`EngineConfig::secret_grace`).
    pub async fn rotate_client_secret(
        &self,
        account: &Account,
        app_slug: &str,
        tenant_slug: &str,
    ) -> EngineResult<(InstallView, String)> {
        let (app, tenant, row) = self.member_install(account, app_slug, tenant_slug).await?;
        let view = self.install_view(row.clone(), tenant.slug.clone()).await?;
        match view.version.manifest.token_endpoint_auth_method {
            ClientAuth::ClientSecretBasic | ClientAuth::ClientSecretPost => {}
            other => {
                return Err(EngineError::invalid(
                    "token_endpoint_auth_method",
                    format!(
                        "The installed version is a {} client: it has no secret.",
                        other.client_type()
                    ),
                ))
            }
        }
        if row.authorization_server_id.is_some() {
            return Err(EngineError::Conflict {
                field: None,
                message: "The install's client is at the tenant's own authorization server, which issues its secret: reveal that one instead (POST …/installs/{tenant}/server-secret).".into(),
            });
        }
        if row.state == "revoked" {
            return Err(EngineError::Conflict {
                field: None,
                message: "The install is revoked; it gets no new secrets.".into(),
            });
        }
        let secret = random_token();
        let now = self.now();
        let txn = self.begin_write().await?;
        for old in client_secrets::Entity::find()
            .filter(client_secrets::Column::InstallId.eq(row.id.clone()))
            .filter(client_secrets::Column::ExpiresAt.is_null())
            .all(&txn)
            .await?
        {
            let mut old: client_secrets::ActiveModel = old.into();
            old.expires_at = Set(Some(now + self.config().secret_grace));
            old.update(&txn).await?;
        }
        client_secrets::ActiveModel {
            id: Set(new_id("sec")),
            install_id: Set(row.id.clone()),
            secret_hash: Set(self.config().master_key.keyed_hash(&secret)),
            created_at: Set(now),
            expires_at: Set(None),
        }
        .insert(&txn)
        .await?;
        let change = Change {
            kind: RegistrationChange::SecretRotated,
            install: &row,
            app: &app,
            version: view.version.number,
            by: Some(account.into()),
            detail: serde_json::json!({ "client_id": row.client_id }),
        };
        let after = registration_changed(&txn, now, change).await?;
        txn.commit().await?;
        self.after_commit(after);
        Ok((view, secret))
    }

    /// The install of one of `account`'s apps in the tenant `tenant_slug`,
    /// with the app and the tenant (404 when there is none).
    pub(crate) async fn member_install(
        &self,
        account: &Account,
        app_slug: &str,
        tenant_slug: &str,
    ) -> EngineResult<(apps::Model, tenants::Model, installs::Model)> {
        let (app, _) = self.member_app(account, app_slug).await?;
        let not_installed =
            || EngineError::not_found(format!("`{app_slug}` is not installed in `{tenant_slug}`."));
        let tenant = tenants::Entity::find()
            .filter(tenants::Column::Slug.eq(tenant_slug))
            .one(self.db())
            .await?
            .ok_or_else(not_installed)?;
        let install = installs::Entity::find()
            .filter(installs::Column::TenantId.eq(tenant.id.clone()))
            .filter(installs::Column::AppId.eq(app.id.clone()))
            .one(self.db())
            .await?
            .ok_or_else(not_installed)?;
        Ok((app, tenant, install))
    }

    /// Is `secret` a live secret of the install with `client_id`?
    pub async fn verify_client_secret(&self, client_id: &str, secret: &str) -> EngineResult<bool> {
        let Some(install) = installs::Entity::find()
            .filter(installs::Column::ClientId.eq(client_id))
            .one(self.db())
            .await?
            .filter(|i| i.state == "active")
        else {
            return Ok(false);
        };
        let now = self.now();
        let hash = self.config().master_key.keyed_hash(secret);
        let live = client_secrets::Entity::find()
            .filter(client_secrets::Column::InstallId.eq(install.id))
            .all(self.db())
            .await?
            .into_iter()
            .filter(|s| s.expires_at.is_none_or(|at| at > now))
            .any(|s| crate::platform::secret::constant_time_eq(&s.secret_hash, &hash));
        Ok(live)
    }
}
