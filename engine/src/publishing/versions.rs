//! Versions: an app's manifest frozen under a number, as reviewers decide
//! on it and tenants install it; and the draft as a publisher's sandbox
//! runs it (version 0).

use chrono::{DateTime, Utc};
use domain::{AppManifest, FieldError, ManifestInput};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::entity::{app_versions, apps};
use crate::platform::secret::new_id;
use crate::{EngineError, EngineResult};

#[derive(Debug, Clone, PartialEq)]
pub struct VersionView {
    pub id: String,
    pub number: i32,
    pub state: String,
    pub manifest: AppManifest,
    pub submitted_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub rejection_reason: Option<String>,
    /// The uploaded logo frozen with this version (a media id).
    pub logo_id: Option<String>,
}

pub(crate) fn manifest_error(errors: Vec<FieldError>) -> EngineError {
    let first = errors.into_iter().next();
    match first {
        Some(FieldError { field, message }) => EngineError::Invalid {
            field: Some(field),
            message,
        },
        None => EngineError::invalid("manifest", "The manifest is invalid."),
    }
}

pub(crate) fn version_view(row: app_versions::Model) -> EngineResult<VersionView> {
    let manifest: AppManifest = serde_json::from_str(&row.manifest)
        .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("stored manifest: {e}")))?;
    Ok(VersionView {
        id: row.id,
        number: row.number,
        state: row.state,
        manifest,
        submitted_at: row.submitted_at,
        decided_at: row.decided_at,
        rejection_reason: row.rejection_reason,
        logo_id: row.logo_id,
    })
}

/// The state of the version row that holds the draft as a sandbox runs it.
pub(crate) const SANDBOX_STATE: &str = "sandbox";

/// The draft as the publisher's sandbox runs it: version number 0, made on
/// the first sandbox install and refreshed from the draft after that.
pub(crate) async fn sandbox_version(
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
