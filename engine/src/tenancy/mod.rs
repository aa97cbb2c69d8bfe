//! Tenancy: health systems' tenants with their members and settings,
//! installs of published apps with the scopes granted and client
//! credentials, the registry their EHRs read, and webhooks.
//!
//! Stands on [`crate::publishing`], [`crate::people`] and
//! [`crate::platform`]. Every change to an install's registration fans out
//! from one place, [`changes`].

pub mod api_keys;
pub mod changes;
pub mod context;
pub mod installs;
pub mod registry;
pub mod tenants;
pub mod watch;
pub mod webhooks;

pub(crate) use context::fhir_base_urls;

use chrono::{DateTime, Utc};

use crate::entity::installs as install_rows;

/// What tenancy announces to the contexts above, inside the transaction
/// that made the change (see [`crate::events`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Event<'a> {
    /// What the install's client may do changed (created, a new version,
    /// narrowed scopes, suspended, resumed, revoked).
    RegistrationChanged {
        install: &'a install_rows::Model,
        at: DateTime<Utc>,
    },
}
pub use context::{parse_fhir_base_urls, Actor, Tenant, TenantPrincipal};
