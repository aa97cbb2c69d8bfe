//! What a tenant admin does to an install: suspend, resume, revoke, and
//! approve the update that waits.

use domain::ScopeSet;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

use crate::entity::{app_versions, installs};
use crate::publishing::versions::version_view;
use crate::tenancy::changes::{registration_changed, Change, RegistrationChange};
use crate::tenancy::installs::grants::{regrant, widened};
use crate::tenancy::installs::InstallView;
use crate::tenancy::Tenant;
use crate::{Engine, EngineError, EngineResult};

/// What a tenant admin does to an install.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallAction {
    Suspend,
    Resume,
    Revoke,
}

impl InstallAction {
    fn apply(self, state: &str) -> Option<&'static str> {
        match (self, state) {
            (Self::Suspend, "active") => Some("suspended"),
            (Self::Resume, "suspended") => Some("active"),
            (Self::Revoke, "active" | "suspended") => Some("revoked"),
            _ => None,
        }
    }

    /// The registration change it makes.
    fn change(self) -> RegistrationChange {
        match self {
            Self::Suspend => RegistrationChange::Suspended,
            Self::Resume => RegistrationChange::Resumed,
            Self::Revoke => RegistrationChange::Revoked,
        }
    }
}

impl Engine {
    /// Suspends, resumes or revokes one of the tenant's installs.
    pub async fn change_install(
        &self,
        tenant: &Tenant,
        install_id: &str,
        action: InstallAction,
    ) -> EngineResult<InstallView> {
        tenant.require_admin()?;
        let now = self.now();
        let txn = self.begin_write().await?;
        // Another tenant's install is not there.
        let row = installs::Entity::find_by_id(install_id.to_owned())
            .one(&txn)
            .await?
            .filter(|i| i.tenant_id == tenant.id())
            .ok_or_else(|| EngineError::not_found("The tenant has no install by that id."))?;
        let next = action
            .apply(&row.state)
            .ok_or_else(|| EngineError::Conflict {
                field: None,
                message: format!(
                    "The install is {}; it cannot be changed that way.",
                    row.state
                ),
            })?;
        let mut active: installs::ActiveModel = row.into();
        active.state = Set(next.to_owned());
        active.updated_at = Set(now);
        let row = active.update(&txn).await?;
        let (app, version) = self.installed(&row).await?;
        let change = Change {
            kind: action.change(),
            install: &row,
            app: &app,
            version: version.number,
            by: Some(tenant.actor().into()),
            detail: serde_json::json!({ "client_id": row.client_id, "state": next }),
        };
        let after = registration_changed(&txn, now, change).await?;
        txn.commit().await?;
        self.after_commit(after);
        self.install_view(row, tenant.slug().to_owned()).await
    }

    /// Moves an install to the version waiting for approval, granting what
    /// it adds (scopes the installed version did not ask for) on top of the
    /// part of the current grant the new version still asks for.
    pub async fn approve_install_update(
        &self,
        tenant: &Tenant,
        install_id: &str,
    ) -> EngineResult<InstallView> {
        tenant.require_admin()?;
        let now = self.now();
        let txn = self.begin_write().await?;
        let row = installs::Entity::find_by_id(install_id.to_owned())
            .one(&txn)
            .await?
            .filter(|i| i.tenant_id == tenant.id())
            .ok_or_else(|| EngineError::not_found("The tenant has no install by that id."))?;
        let pending_id = row
            .pending_version_id
            .clone()
            .ok_or_else(|| EngineError::Conflict {
                field: None,
                message: "The install has no update waiting for approval.".into(),
            })?;
        let lost = || EngineError::Unexpected(anyhow::anyhow!("install {} lost a version", row.id));
        let current = app_versions::Entity::find_by_id(row.version_id.clone())
            .one(&txn)
            .await?
            .ok_or_else(lost)?;
        let next = app_versions::Entity::find_by_id(pending_id.clone())
            .one(&txn)
            .await?
            .ok_or_else(lost)?;
        let (current, next) = (version_view(current)?, version_view(next)?);
        let added = widened(&current.manifest.scope, &next.manifest.scope);
        let granted = ScopeSet::parse(&row.granted_scope)
            .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("stored grant: {e}")))?;
        let scope = regrant(&granted, &next.manifest.scope, &added)?;
        let mut active: installs::ActiveModel = row.into();
        active.version_id = Set(pending_id);
        active.pending_version_id = Set(None);
        active.granted_scope = Set(scope.to_string());
        active.updated_at = Set(now);
        let row = active.update(&txn).await?;
        let (app, _) = self.installed(&row).await?;
        let change = Change {
            kind: RegistrationChange::UpdateApproved,
            install: &row,
            app: &app,
            version: next.number,
            by: Some(tenant.actor().into()),
            detail: serde_json::json!({ "version": next.number, "scope": row.granted_scope }),
        };
        let after = registration_changed(&txn, now, change).await?;
        txn.commit().await?;
        self.after_commit(after);
        self.install_view(row, tenant.slug().to_owned()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installs_move_only_along_their_lifecycle() {
        use InstallAction::*;
        assert_eq!(Suspend.apply("active"), Some("suspended"));
        assert_eq!(Resume.apply("suspended"), Some("active"));
        assert_eq!(Revoke.apply("suspended"), Some("revoked"));
        assert_eq!(Resume.apply("active"), None);
        assert_eq!(Suspend.apply("revoked"), None);
        assert_eq!(Revoke.apply("revoked"), None);
    }
}
