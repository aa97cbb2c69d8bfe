//! Moving an install from one of the tenant's authorization servers to
//! another: the client is provisioned at the new one, and the old client is
//! removed from the old one once the new one is in place (until then the
//! app keeps working where it was). Moving to the built-in server needs no
//! provisioning: its client is Sidecar's own.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;

use crate::entity::{installs, provisionings};
use crate::platform::audit;
use crate::provisioning::jobs::desire;
use crate::provisioning::retiring::{retire, Reason};
use crate::provisioning::BUILTIN_ID;
use crate::tenancy::installs::InstallView;
use crate::tenancy::{changes, Tenant};
use crate::{Engine, EngineError, EngineResult};

impl Engine {
    /// Moves the install to the tenant's authorization server `to` (an id,
    /// or `builtin`).
    pub async fn move_install(
        &self,
        tenant: &Tenant,
        install_id: &str,
        to: &str,
    ) -> EngineResult<InstallView> {
        tenant.require_admin()?;
        let install = installs::Entity::find_by_id(install_id.to_owned())
            .filter(installs::Column::TenantId.eq(tenant.id()))
            .one(self.db())
            .await?
            .ok_or_else(|| EngineError::not_found("The tenant has no install by that id."))?;
        if install.state == "revoked" {
            return Err(EngineError::Conflict {
                field: None,
                message: "The install is revoked: there is nothing to move.".into(),
            });
        }
        let target = self.resolve_server(tenant, Some(to)).await?;
        let target_id = target.as_ref().map(|s| s.id.clone());
        if target_id == install.authorization_server_id {
            return Err(EngineError::Conflict {
                field: Some("authorization_server"),
                message: "The install is at that authorization server already.".into(),
            });
        }
        let now = self.now();
        let txn = self.begin_write().await?;
        let from = provisionings::Entity::find_by_id(install.id.clone())
            .one(&txn)
            .await?;
        if let Some(row) = &from {
            retire(&txn, row, Reason::Moved, now, now).await?;
            provisionings::Entity::delete_by_id(row.install_id.clone())
                .exec(&txn)
                .await?;
        }
        let mut moved: installs::ActiveModel = install.clone().into();
        moved.authorization_server_id = Set(target_id.clone());
        moved.updated_at = Set(now);
        let moved = moved.update(&txn).await?;
        desire(&txn, &moved, now).await?;
        let after = changes::registration_touched(&txn, &moved, now).await?;
        audit::record(
            &txn,
            now,
            audit::Event::by(
                tenant,
                "install.moved",
                ("install", install.id.as_str()),
                json!({
                    "from": install.authorization_server_id.as_deref().unwrap_or(BUILTIN_ID),
                    "to": target_id.as_deref().unwrap_or(BUILTIN_ID),
                    "retiring_client_id": from.and_then(|r| r.client_id),
                }),
            ),
        )
        .await?;
        txn.commit().await?;
        self.after_commit(after);
        // The old client goes at once (a move to the built-in server) or
        // once the new one is active; the worker sees to both.
        self.wake_provisioning_worker();
        self.install(tenant, install_id).await
    }
}
