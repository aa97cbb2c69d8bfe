//! Installs: a tenant approves a published app with the scopes it is
//! willing to grant (a subset of what the app asks, by the SMART scope
//! algebra), and Sidecar gives the app a client id for that tenant alone.
//! Confidential symmetric apps get secrets the developer reveals once;
//! only keyed hashes are kept, and a rotated secret stays valid for a grace
//! period.
//!
//! Lifecycle: active ↔ suspended → revoked (revoked is final).

use chrono::{DateTime, Utc};
use domain::{AppManifest, ClientAuth, ManifestDiff, ManifestInput, ScopeSet};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::accounts::Account;
use crate::apps::{manifest_error, version_view, VersionView};
use crate::entity::{app_versions, apps, client_secrets, installs, tenants};
use crate::secret::{new_id, random_token};
use crate::tenancy::{Actor, Tenant};
use crate::{audit, registry_watch, webhooks};
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

    /// The webhook event the change sends.
    fn event(self) -> &'static str {
        match self {
            Self::Suspend => "registration.suspended",
            Self::Resume => "registration.updated",
            Self::Revoke => "registration.revoked",
        }
    }

    fn audit_action(self) -> &'static str {
        match self {
            Self::Suspend => "install.suspended",
            Self::Resume => "install.resumed",
            Self::Revoke => "install.revoked",
        }
    }
}

/// The scopes a tenant grants, in canonical (SMART v2) form: every one must
/// be covered by a scope the app asks for (`patient/*.rs` covers
/// `patient/Observation.rs`); none given means all of them.
pub fn grant(requested: &ScopeSet, granted: Option<&str>) -> EngineResult<ScopeSet> {
    let Some(text) = granted.map(str::trim).filter(|t| !t.is_empty()) else {
        return canonical(requested);
    };
    let set = ScopeSet::parse(text).map_err(|e| EngineError::invalid("scope", e.to_string()))?;
    if let Some(extra) = set
        .scopes()
        .iter()
        .find(|g| !requested.scopes().iter().any(|r| r.covers(g)))
    {
        return Err(EngineError::invalid(
            "scope",
            format!("`{extra}` is not among the scopes the app asks for ({requested}); a tenant can grant those or narrower ones only."),
        ));
    }
    canonical(&set)
}

/// The scopes `new` asks for that nothing in `old` covers: what a version
/// really adds (`patient/*.rs` → `patient/Observation.rs` adds nothing).
fn widened(old: &ScopeSet, new: &ScopeSet) -> Vec<String> {
    new.scopes()
        .iter()
        .filter(|n| !old.scopes().iter().any(|o| o.covers(n)))
        .map(|n| n.to_string())
        .collect()
}

/// The part of a grant a new request still covers, plus `added`.
fn regrant(granted: &ScopeSet, requested: &ScopeSet, added: &[String]) -> EngineResult<ScopeSet> {
    let mut kept: Vec<String> = granted
        .scopes()
        .iter()
        .filter(|g| requested.scopes().iter().any(|r| r.covers(g)))
        .map(|g| g.to_string())
        .collect();
    kept.extend(added.iter().cloned());
    let set = ScopeSet::parse(&kept.join(" "))
        .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("regranted scopes: {e}")))?;
    canonical(&set)
}

/// After `published` became the app's live version: installs whose version
/// it only narrows (no scope that the old ones do not cover, no redirect
/// URI added) move up, keeping the
/// grant the new version still asks for; the others keep their version and
/// wait for the tenant to approve the change. Run in the approval's
/// transaction.
pub(crate) async fn follow_new_version(
    conn: &impl ConnectionTrait,
    app: &apps::Model,
    published: &app_versions::Model,
    manifest: &AppManifest,
    now: DateTime<Utc>,
) -> EngineResult<()> {
    let installs = installs::Entity::find()
        .filter(installs::Column::AppId.eq(app.id.clone()))
        .filter(installs::Column::State.ne("revoked"))
        .all(conn)
        .await?;
    for install in installs {
        let Some(current) = app_versions::Entity::find_by_id(install.version_id.clone())
            .one(conn)
            .await?
        else {
            continue;
        };
        if current.state == SANDBOX_STATE {
            // Sandbox installs follow the draft, not reviews.
            continue;
        }
        let current = version_view(current)?;
        let diff = ManifestDiff::between(&current.manifest, manifest);
        let widens = !widened(&current.manifest.scope, &manifest.scope).is_empty()
            || !diff.redirect_uris_added.is_empty();
        let granted = ScopeSet::parse(&install.granted_scope)
            .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("stored grant: {e}")))?;
        let (tenant_id, install_id, number) = (
            install.tenant_id.clone(),
            install.id.clone(),
            published.number,
        );
        let mut row: installs::ActiveModel = install.into();
        let action = if widens {
            row.pending_version_id = Set(Some(published.id.clone()));
            "install.update_pending"
        } else {
            row.version_id = Set(published.id.clone());
            row.pending_version_id = Set(None);
            row.granted_scope = Set(regrant(&granted, &manifest.scope, &[])?.to_string());
            row.updated_at = Set(now);
            "install.updated"
        };
        let row = row.update(conn).await?;
        if !widens {
            registry_watch::bump(conn, &row.tenant_id).await?;
            webhooks::enqueue(conn, now, "registration.updated", &row, &app.slug, number).await?;
        }
        audit::record(
            conn,
            now,
            audit::Event {
                actor: None,
                tenant_id: Some(&tenant_id),
                publisher_id: Some(&app.publisher_id),
                action,
                target_type: "install",
                target_id: &install_id,
                detail: serde_json::json!({ "app": app.slug, "version": number }),
            },
        )
        .await?;
    }
    Ok(())
}

/// The state of the version row that holds the draft as a sandbox runs it.
pub(crate) const SANDBOX_STATE: &str = "sandbox";

/// The draft as the publisher's sandbox runs it: version number 0, made on
/// the first sandbox install and refreshed from the draft after that.
async fn sandbox_version(
    conn: &impl ConnectionTrait,
    app: &apps::Model,
    now: DateTime<Utc>,
) -> EngineResult<app_versions::Model> {
    let draft: ManifestInput = serde_json::from_str(&app.draft_manifest)
        .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("stored draft: {e}")))?;
    let checked = AppManifest::validate(draft).map_err(manifest_error)?;
    let manifest = serde_json::to_string(&checked)
        .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("serialising a manifest: {e}")))?;
    let existing = app_versions::Entity::find()
        .filter(app_versions::Column::AppId.eq(app.id.clone()))
        .filter(app_versions::Column::Number.eq(0))
        .one(conn)
        .await?;
    Ok(match existing {
        Some(row) if row.manifest == manifest && row.logo_id == app.draft_logo_id => row,
        Some(row) => {
            let mut active: app_versions::ActiveModel = row.into();
            active.manifest = Set(manifest);
            active.logo_id = Set(app.draft_logo_id.clone());
            active.submitted_at = Set(now);
            active.update(conn).await?
        }
        None => {
            app_versions::ActiveModel {
                id: Set(new_id("ver")),
                app_id: Set(app.id.clone()),
                number: Set(0),
                manifest: Set(manifest),
                state: Set(SANDBOX_STATE.into()),
                submitted_by: Set(app.publisher_id.clone()),
                submitted_at: Set(now),
                decided_by: Set(None),
                decided_at: Set(None),
                rejection_reason: Set(None),
                logo_id: Set(app.draft_logo_id.clone()),
            }
            .insert(conn)
            .await?
        }
    })
}

/// After the draft of `app` changed: its install in the publisher's sandbox
/// (if any) takes the new draft at once, keeping what the draft still asks
/// for of the grant and granting what it adds. Run in the change's
/// transaction.
pub(crate) async fn follow_draft(
    conn: &impl ConnectionTrait,
    app: &apps::Model,
    now: DateTime<Utc>,
) -> EngineResult<()> {
    let Some(sandbox) = tenants::Entity::find()
        .filter(tenants::Column::SandboxPublisherId.eq(app.publisher_id.clone()))
        .one(conn)
        .await?
    else {
        return Ok(());
    };
    let Some(install) = installs::Entity::find()
        .filter(installs::Column::TenantId.eq(sandbox.id.clone()))
        .filter(installs::Column::AppId.eq(app.id.clone()))
        .filter(installs::Column::State.ne("revoked"))
        .one(conn)
        .await?
    else {
        return Ok(());
    };
    let before = app_versions::Entity::find_by_id(install.version_id.clone())
        .one(conn)
        .await?
        .map(version_view)
        .transpose()?;
    let after = sandbox_version(conn, app, now).await?;
    let after_view = version_view(after.clone())?;
    let Some(before) = before.filter(|b| b.manifest != after_view.manifest || b.id != after.id)
    else {
        return Ok(());
    };
    let granted = ScopeSet::parse(&install.granted_scope)
        .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("stored grant: {e}")))?;
    let added = widened(&before.manifest.scope, &after_view.manifest.scope);
    let scope = regrant(&granted, &after_view.manifest.scope, &added)?;
    let install_id = install.id.clone();
    let mut row: installs::ActiveModel = install.into();
    row.version_id = Set(after.id.clone());
    row.granted_scope = Set(scope.to_string());
    row.updated_at = Set(now);
    let row = row.update(conn).await?;
    registry_watch::bump(conn, &row.tenant_id).await?;
    webhooks::enqueue(conn, now, "registration.updated", &row, &app.slug, 0).await?;
    audit::record(
        conn,
        now,
        audit::Event {
            publisher_id: Some(&app.publisher_id),
            ..audit::Event::in_tenant(
                None,
                &sandbox.id,
                "install.draft_followed",
                ("install", &install_id),
                serde_json::json!({ "app": app.slug, "scope": row.granted_scope }),
            )
        },
    )
    .await
}

fn canonical(set: &ScopeSet) -> EngineResult<ScopeSet> {
    let text: Vec<String> = set
        .scopes()
        .iter()
        .map(|s| s.canonical().to_string())
        .collect();
    ScopeSet::parse(&text.join(" "))
        .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("canonical scopes: {e}")))
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

    async fn install_view(
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
    pub async fn install_app(
        &self,
        tenant: &Tenant,
        app_slug: &str,
        granted: Option<&str>,
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
            created_by: Set(created_by),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        registry_watch::bump(&txn, tenant.id()).await?;
        webhooks::enqueue(
            &txn,
            now,
            "registration.created",
            &row,
            &app.slug,
            version.number,
        )
        .await?;
        audit::record(
            &txn,
            now,
            audit::Event {
                publisher_id: Some(&app.publisher_id),
                ..audit::Event::by(
                    tenant,
                    "install.created",
                    ("install", &row.id),
                    serde_json::json!({
                        "app": app.slug,
                        "version": version.number,
                        "scope": row.granted_scope,
                        "client_id": row.client_id,
                    }),
                )
            },
        )
        .await?;
        txn.commit().await?;
        self.registry_changed();
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
        registry_watch::bump(&txn, tenant.id()).await?;
        webhooks::enqueue(&txn, now, action.event(), &row, &app.slug, version.number).await?;
        audit::record(
            &txn,
            now,
            audit::Event::by(
                tenant,
                action.audit_action(),
                ("install", &row.id),
                serde_json::json!({ "client_id": row.client_id, "state": next }),
            ),
        )
        .await?;
        txn.commit().await?;
        self.registry_changed();
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
        audit::record(
            &txn,
            now,
            audit::Event::by(
                tenant,
                "install.update_approved",
                ("install", &row.id),
                serde_json::json!({ "version": next.number, "scope": row.granted_scope }),
            ),
        )
        .await?;
        let (app, _) = self.installed(&row).await?;
        registry_watch::bump(&txn, tenant.id()).await?;
        webhooks::enqueue(
            &txn,
            now,
            "registration.updated",
            &row,
            &app.slug,
            next.number,
        )
        .await?;
        txn.commit().await?;
        self.registry_changed();
        self.install_view(row, tenant.slug().to_owned()).await
    }

    /// The tenant's audit log, newest first: the newest `limit` entries
    /// (1 to [`audit::AUDIT_PAGE_MAX`]).
    pub async fn tenant_audit(
        &self,
        tenant: &Tenant,
        limit: u64,
    ) -> EngineResult<Vec<audit::AuditEntry>> {
        let limit = crate::error::within("limit", limit, 1..=audit::AUDIT_PAGE_MAX)?;
        audit::for_tenant(self.db(), tenant.id(), limit).await
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

    /// A new client secret for the app's install in `tenant_slug`, returned
    /// this once; the previous one keeps working for the configured grace
    /// period (`EngineConfig::secret_grace`).
    pub async fn rotate_client_secret(
        &self,
        account: &Account,
        app_slug: &str,
        tenant_slug: &str,
    ) -> EngineResult<(InstallView, String)> {
        let (app, _) = self.member_app(account, app_slug).await?;
        let not_installed =
            || EngineError::not_found(format!("`{app_slug}` is not installed in `{tenant_slug}`."));
        let tenant = tenants::Entity::find()
            .filter(tenants::Column::Slug.eq(tenant_slug))
            .one(self.db())
            .await?
            .ok_or_else(not_installed)?;
        let row = installs::Entity::find()
            .filter(installs::Column::TenantId.eq(tenant.id.clone()))
            .filter(installs::Column::AppId.eq(app.id.clone()))
            .one(self.db())
            .await?
            .ok_or_else(not_installed)?;
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
        audit::record(
            &txn,
            now,
            audit::Event {
                publisher_id: Some(&app.publisher_id),
                ..audit::Event::in_tenant(
                    Some(account.into()),
                    &tenant.id,
                    "secret.rotated",
                    ("install", &row.id),
                    serde_json::json!({ "client_id": row.client_id }),
                )
            },
        )
        .await?;
        txn.commit().await?;
        Ok((view, secret))
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
            .any(|s| crate::secret::constant_time_eq(&s.secret_hash, &hash));
        Ok(live)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(text: &str) -> ScopeSet {
        ScopeSet::parse(text).unwrap()
    }

    #[test]
    fn a_grant_is_the_request_or_narrower() {
        let asked = set("launch openid patient/*.read");
        assert_eq!(
            grant(&asked, None).unwrap(),
            set("launch openid patient/*.rs")
        );
        assert_eq!(
            grant(&asked, Some("launch patient/Observation.rs")).unwrap(),
            set("launch patient/Observation.rs")
        );
        assert_eq!(
            grant(&asked, Some("patient/Observation.read")).unwrap(),
            set("patient/Observation.rs")
        );
        let err = grant(&asked, Some("launch patient/Observation.cruds")).unwrap_err();
        assert_eq!(err.field(), Some("scope"));
        assert!(
            err.to_string().contains("patient/Observation.cruds"),
            "{err}"
        );
        assert!(grant(&asked, Some("offline_access")).is_err());
        assert!(grant(&asked, Some("patient/Nothing.rs")).is_err());
    }

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
