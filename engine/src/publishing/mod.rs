//! Publishing: apps registered from a manifest, their drafts and logos,
//! numbered versions through review, and the public catalog.
//!
//! Stands on [`crate::people`] and [`crate::platform`]. When a draft
//! changes or a version is published, the contexts above learn of it
//! through [`Event`] (installs follow there).

pub mod apps;
pub mod catalog;
pub mod checks;
pub mod logos;
pub mod review;
pub mod versions;

use chrono::{DateTime, Utc};
use domain::AppManifest;

use crate::entity::{app_versions, apps as app_rows};

/// What publishing announces to the contexts above, inside the
/// transaction that made the change (see [`crate::events`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Event<'a> {
    /// The app's draft was saved.
    DraftChanged {
        app: &'a app_rows::Model,
        at: DateTime<Utc>,
    },
    /// `version` became the app's published version.
    VersionPublished {
        app: &'a app_rows::Model,
        version: &'a app_versions::Model,
        manifest: &'a AppManifest,
        at: DateTime<Utc>,
    },
}
