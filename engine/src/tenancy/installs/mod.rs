//! Installs: a tenant approves a published app with the scopes it is
//! willing to grant (a subset of what the app asks, by the SMART scope
//! algebra), and Sidecar gives the app a client id for that tenant alone.
//! Confidential symmetric apps get secrets the developer reveals once;
//! only keyed hashes are kept, and a rotated secret stays valid for a grace
//! period.
//!
//! Lifecycle: active ↔ suspended → revoked (revoked is final).

pub mod follow;
pub mod grants;
pub mod lifecycle;
pub mod secrets;

pub(crate) use follow::{follow_draft, follow_new_version};
pub use grants::grant;
pub use lifecycle::InstallAction;

use chrono::{DateTime, Utc};
use domain::{ManifestDiff, ScopeSet};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::entity::{app_versions, apps, installs, tenants};
use crate::people::accounts::Account;
use crate::platform::secret::{new_id, random_token};
use crate::publishing::versions::{sandbox_version, version_view, VersionView};
use crate::tenancy::changes::{registration_changed, Change, RegistrationChange};
use crate::tenancy::{Actor, Tenant};
use crate::{Engine, EngineError, EngineResult};

/// An install as tenant admins and developers see it (never a secret).
#[derive(Debug, Clone, PartialEq)]
pub struct InstallView {
    pub id: String,
    pub tenant_slug: String,
    pub app_slug: String,
    pub client_id: String,
    pub state: String,
    pub granted_scope: ScopeSet,
    pub version: VersionView,
    /// A newer version waiting for the tenant's approval, and what it
    /// changes against the installed one.
    pub pending: Option<(VersionView, ManifestDiff)>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Engine {
    /// The app and the version an install is on.
    pub(crate) async fn installed(
        &self,
        row: &installs::Model,
    ) -> EngineResult<(apps::Model, VersionView)> {
        let lost = || EngineError::Unexpected(anyhow::anyhow!("install {} lost its app", row.id));
        let app = apps::Entity::find_by_id(row.app_id.clone())
            .one(self.db())
            .await?
            .ok_or_else(lost)?;
        let version = app_versions::Entity::find_by_id(row.version_id.clone())
            .one(self.db())
            .await?
            .ok_or_else(lost)?;
        Ok((app, version_view(version)?))
    }

    pub(crate) async fn install_view(
        &self,
        row: installs::Model,
        tenant_slug: String,
    ) -> EngineResult<InstallView> {
        let (app, version) = self.installed(&row).await?;
        let granted_scope = ScopeSet::parse(&row.granted_scope)
            .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("stored grant: {e}")))?;
        let pending = match &row.pending_version_id {
            Some(id) => app_versions::Entity::find_by_id(id.clone())
                .one(self.db())
                .await?
                .map(version_view)
                .transpose()?
                .map(|next| {
                    let diff = ManifestDiff::between(&version.manifest, &next.manifest);
                    (next, diff)
                }),
            None => None,
        };
        Ok(InstallView {
            id: row.id,
            tenant_slug,
            app_slug: app.slug,
            client_id: row.client_id,
            state: row.state,
            granted_scope,
            version,
            pending,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }

    /// Installs `app_slug` in the tenant with the `granted` scopes (all the
    /// app asks for when `None`): its published version, or in a
    /// publisher's sandbox, the publisher's own app as its draft stands.
    /// `server_id` names the authorization server it lives at (`None`: the
    /// built-in one); provisioning chooses and checks it.
    pub(crate) async fn create_install(
        &self,
        tenant: &Tenant,
        app_slug: &str,
        granted: Option<&str>,
        server_id: Option<String>,
    ) -> EngineResult<InstallView> {
        tenant.require_admin()?;
        let app = apps::Entity::find()
            .filter(apps::Column::Slug.eq(app_slug))
            .one(self.db())
            .await?
            .filter(|a| a.status == "active");
        let now = self.now();
        let txn = self.begin_write().await?;
        let (app, version) = match tenant.sandbox_of() {
            Some(publisher_id) => {
                let app = app.filter(|a| a.publisher_id == publisher_id).ok_or_else(|| {
                    EngineError::invalid(
                        "app",
                        format!("The sandbox holds its publisher's apps only; `{app_slug}` is not one of them."),
                    )
                })?;
                let version = sandbox_version(&txn, &app, now).await?;
                (app, version)
            }
            None => {
                let not_published = || {
                    EngineError::invalid(
                        "app",
                        format!(
                            "No published app `{app_slug}`: only reviewed apps can be installed."
                        ),
                    )
                };
                let app = app.ok_or_else(not_published)?;
                let version_id = app.published_version_id.clone().ok_or_else(not_published)?;
                let version = app_versions::Entity::find_by_id(version_id)
                    .one(&txn)
                    .await?
                    .ok_or_else(not_published)?;
                (app, version)
            }
        };
        let view = version_view(version.clone())?;
        let scope = grant(&view.manifest.scope, granted)?;
        if let Some(existing) = installs::Entity::find()
            .filter(installs::Column::TenantId.eq(tenant.id()))
            .filter(installs::Column::AppId.eq(app.id.clone()))
            .one(&txn)
            .await?
        {
            return Err(EngineError::Conflict {
                field: None,
                message: format!(
                    "`{app_slug}` is installed already (install {}, {}).",
                    existing.id, existing.state
                ),
            });
        }
        let created_by = match tenant.actor() {
            Actor::Member(account) => account.id.clone(),
            Actor::Key { id, .. } => id.clone(),
        };
        let row = installs::ActiveModel {
            id: Set(new_id("ins")),
            tenant_id: Set(tenant.id().to_owned()),
            app_id: Set(app.id.clone()),
            version_id: Set(version.id.clone()),
            pending_version_id: Set(None),
            client_id: Set(format!("sdc_{}", random_token())),
            state: Set("active".into()),
            granted_scope: Set(scope.to_string()),
            authorization_server_id: Set(server_id),
            created_by: Set(created_by),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        let change = Change {
            kind: RegistrationChange::Created,
            install: &row,
            app: &app,
            version: version.number,
            by: Some(tenant.actor().into()),
            detail: serde_json::json!({
                "app": app.slug,
                "version": version.number,
                "scope": row.granted_scope,
                "client_id": row.client_id,
            }),
        };
        let after = registration_changed(&txn, now, change).await?;
        txn.commit().await?;
        self.after_commit(after);
        self.install_view(row, tenant.slug().to_owned()).await
    }

    /// The tenant's installs, newest first.
    pub async fn list_installs(&self, tenant: &Tenant) -> EngineResult<Vec<InstallView>> {
        let rows = installs::Entity::find()
            .filter(installs::Column::TenantId.eq(tenant.id()))
            .order_by_desc(installs::Column::CreatedAt)
            .all(self.db())
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(self.install_view(row, tenant.slug().to_owned()).await?);
        }
        Ok(out)
    }

    /// One of the tenant's installs.
    pub async fn install(&self, tenant: &Tenant, install_id: &str) -> EngineResult<InstallView> {
        let row = installs::Entity::find_by_id(install_id.to_owned())
            .filter(installs::Column::TenantId.eq(tenant.id()))
            .one(self.db())
            .await?
            .ok_or_else(|| EngineError::not_found("The tenant has no install by that id."))?;
        self.install_view(row, tenant.slug().to_owned()).await
    }

    /// The installs of one of the caller's apps, in every tenant.
    pub async fn app_installs(
        &self,
        account: &Account,
        app_slug: &str,
    ) -> EngineResult<Vec<InstallView>> {
        let (app, _) = self.member_app(account, app_slug).await?;
        let rows = installs::Entity::find()
            .filter(installs::Column::AppId.eq(app.id.clone()))
            .order_by_asc(installs::Column::CreatedAt)
            .all(self.db())
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let slug = tenants::Entity::find_by_id(row.tenant_id.clone())
                .one(self.db())
                .await?
                .map(|t| t.slug)
                .unwrap_or_default();
            out.push(self.install_view(row, slug).await?);
        }
        Ok(out)
    }
}
