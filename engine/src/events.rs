//! How a lower context moves a higher one without importing it.
//!
//! Contexts depend one way: platform ← people ← publishing ← tenancy ←
//! authz. When a change below must move something above (a publisher is
//! created → its sandbox tenant exists; a version is published → installs
//! follow it), the lower context announces its own [`Event`] inside the
//! transaction that made the change, and this one table says who reacts.
//! The reactions write in the same transaction, so the change and its
//! consequences commit together or not at all.

use sea_orm::{ConnectionTrait, DatabaseTransaction};

use crate::{people, provisioning, publishing, tenancy, Engine, EngineResult};

/// Something a context announced.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Event<'a> {
    People(people::Event<'a>),
    Publishing(publishing::Event<'a>),
    Tenancy(tenancy::Event<'a>),
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

impl<'a> From<tenancy::Event<'a>> for Event<'a> {
    fn from(event: tenancy::Event<'a>) -> Self {
        Self::Tenancy(event)
    }
}

/// What is left to do once the transaction has committed: in-memory
/// caches that must not answer from before the change.
#[must_use = "pass it to Engine::after_commit once the transaction commits"]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct AfterCommit {
    registry_changed: bool,
    provisioning_due: bool,
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
            ..Self::default()
        }
    }

    /// A provisioning job is due.
    pub fn provisioning_due() -> Self {
        Self {
            provisioning_due: true,
            ..Self::default()
        }
    }

    /// Both `self` and `other`.
    pub fn and(self, other: Self) -> Self {
        Self {
            registry_changed: self.registry_changed || other.registry_changed,
            provisioning_due: self.provisioning_due || other.provisioning_due,
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
            Event::Tenancy(event) => react(txn, event).await,
        }
    }

    /// Does what a committed change leaves to do.
    pub(crate) fn after_commit(&self, after: AfterCommit) {
        if after.registry_changed {
            self.registry_changed();
        }
        if after.provisioning_due {
            self.wake_provisioning_worker();
        }
    }
}

/// The reactions to tenancy's events, which need only the transaction
/// (tenancy announces from inside its own writes, where no engine is at
/// hand).
pub(crate) async fn react(
    conn: &impl ConnectionTrait,
    event: tenancy::Event<'_>,
) -> EngineResult<AfterCommit> {
    match event {
        tenancy::Event::RegistrationChanged { install, at } => {
            Ok(if provisioning::jobs::desire(conn, install, at).await? {
                AfterCommit::provisioning_due()
            } else {
                AfterCommit::nothing()
            })
        }
    }
}
