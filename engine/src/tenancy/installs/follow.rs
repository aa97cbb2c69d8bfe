//! Installs following their app: a newly published version that asks for
//! nothing more is taken at once, one that asks for more waits for the
//! tenant; a publisher's sandbox takes each new draft.

use chrono::{DateTime, Utc};
use domain::{AppManifest, ManifestDiff, ScopeSet};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::entity::{app_versions, apps, installs, tenants};
use crate::events::AfterCommit;
use crate::publishing::versions::{sandbox_version, version_view, SANDBOX_STATE};
use crate::tenancy::changes::{registration_changed, Change, RegistrationChange};
use crate::tenancy::installs::grants::{regrant, widened};
use crate::{EngineError, EngineResult};

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
) -> EngineResult<AfterCommit> {
    let mut after = AfterCommit::nothing();
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
        let mut row: installs::ActiveModel = install.into();
        let kind = if widens {
            row.pending_version_id = Set(Some(published.id.clone()));
            RegistrationChange::UpdatePending
        } else {
            row.version_id = Set(published.id.clone());
            row.pending_version_id = Set(None);
            row.granted_scope = Set(regrant(&granted, &manifest.scope, &[])?.to_string());
            row.updated_at = Set(now);
            RegistrationChange::FollowedVersion
        };
        let row = row.update(conn).await?;
        let change = Change {
            kind,
            install: &row,
            app,
            version: published.number,
            by: None,
            detail: serde_json::json!({ "app": app.slug, "version": published.number }),
        };
        after = after.and(registration_changed(conn, now, change).await?);
    }
    Ok(after)
}

/// After the draft of `app` changed: its install in the publisher's sandbox
/// (if any) takes the new draft at once, keeping what the draft still asks
/// for of the grant and granting what it adds. Run in the change's
/// transaction.
pub(crate) async fn follow_draft(
    conn: &impl ConnectionTrait,
    app: &apps::Model,
    now: DateTime<Utc>,
) -> EngineResult<AfterCommit> {
    let nothing = Ok(AfterCommit::nothing());
    let Some(sandbox) = tenants::Entity::find()
        .filter(tenants::Column::SandboxPublisherId.eq(app.publisher_id.clone()))
        .one(conn)
        .await?
    else {
        return nothing;
    };
    let Some(install) = installs::Entity::find()
        .filter(installs::Column::TenantId.eq(sandbox.id.clone()))
        .filter(installs::Column::AppId.eq(app.id.clone()))
        .filter(installs::Column::State.ne("revoked"))
        .one(conn)
        .await?
    else {
        return nothing;
    };
    let before = app_versions::Entity::find_by_id(install.version_id.clone())
        .one(conn)
        .await?
        .map(version_view)
        .transpose()?;
    let draft = sandbox_version(conn, app, now).await?;
    let draft_view = version_view(draft.clone())?;
    let Some(before) = before.filter(|b| b.manifest != draft_view.manifest || b.id != draft.id)
    else {
        return nothing;
    };
    let granted = ScopeSet::parse(&install.granted_scope)
        .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("stored grant: {e}")))?;
    let added = widened(&before.manifest.scope, &draft_view.manifest.scope);
    let scope = regrant(&granted, &draft_view.manifest.scope, &added)?;
    let mut row: installs::ActiveModel = install.into();
    row.version_id = Set(draft.id.clone());
    row.granted_scope = Set(scope.to_string());
    row.updated_at = Set(now);
    let row = row.update(conn).await?;
    let change = Change {
        kind: RegistrationChange::FollowedDraft,
        install: &row,
        app,
        version: draft.number,
        by: None,
        detail: serde_json::json!({ "app": app.slug, "scope": row.granted_scope }),
    };
    registration_changed(conn, now, change).await
}
