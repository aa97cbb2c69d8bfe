//! How a lower context moves a higher one without importing it.
//!
//! Contexts depend one way: platform ← people ← publishing ← tenancy ←
//! authz. When a change below must move something above (a publisher is
//! created → its sandbox tenant exists; a version is published → installs
//! follow it), the lower context announces its own [`Event`] inside the
//! transaction that made the change, and this one table says who reacts.
//! The reactions write in the same transaction, so the change and its
//! consequences commit together or not at all.

use sea_orm::DatabaseTransaction;

use crate::{people, publishing, tenancy, Engine, EngineResult};

/// Something a context announced.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Event<'a> {
    People(people::Event<'a>),
    Publishing(publishing::Event<'a>),
}

impl<'a> From<people::Event<'a>> for Event<'a> {
    fn from(event: people::Event<'a>) -> Self {
        Self::People(event)
    }
}

impl<'a> From<publishing::Event<'a>> for Event<'a> {
    fn from(event: publishing::Event<'a>) -> Self {
        Self::Publishing(event)
    }
}

/// What is left to do once the transaction has committed: in-memory
/// caches that must not answer from before the change.
#[must_use = "pass it to Engine::after_commit once the transaction commits"]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct AfterCommit {
    registry_changed: bool,
}

impl AfterCommit {
    /// Nothing to do.
    pub fn nothing() -> Self {
        Self::default()
    }

    /// The registry (registrations, keys) changed.
    pub fn registry_changed() -> Self {
        Self {
            registry_changed: true,
        }
    }

    /// Both `self` and `other`.
    pub fn and(self, other: Self) -> Self {
        Self {
            registry_changed: self.registry_changed || other.registry_changed,
        }
    }
}

impl Engine {
    /// Lets the contexts above react to `event`, inside `txn`.
    pub(crate) async fn announce(
        &self,
        txn: &DatabaseTransaction,
        event: impl Into<Event<'_>>,
    ) -> EngineResult<AfterCommit> {
        use people::Event as P;
        use publishing::Event as Pub;
        match event.into() {
            Event::People(P::PublisherCreated { publisher, at }) => {
                tenancy::tenants::open_sandbox(txn, publisher, at).await?;
                Ok(AfterCommit::nothing())
            }
            Event::Publishing(Pub::DraftChanged { app, at }) => {
                tenancy::installs::follow_draft(txn, app, at).await
            }
            Event::Publishing(Pub::VersionPublished {
                app,
                version,
                manifest,
                at,
            }) => tenancy::installs::follow_new_version(txn, app, version, manifest, at).await,
        }
    }

    /// Does what a committed change leaves to do.
    pub(crate) fn after_commit(&self, after: AfterCommit) {
        if after.registry_changed {
            self.registry_changed();
        }
    }
}
