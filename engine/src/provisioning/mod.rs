//! Provisioning: the authorization servers a tenant runs itself (Keycloak,
//! Okta, an EHR vendor's), beside its built-in one, and how Sidecar reaches
//! them — by dynamic registration (RFC 7591/7592) or through a tenant admin
//! entering the client by hand.
//!
//! Stands on every context below it; nothing below knows of it.

pub(crate) mod client;
pub mod discovery;
pub mod installs;
pub mod jobs;
pub mod manual;
pub(crate) mod metadata;
pub mod moving;
pub(crate) mod retiring;
pub mod rotation;
pub mod servers;

pub use jobs::{ProvisioningConfig, ProvisioningState, ProvisioningWorker};
pub use servers::{AuthorizationServer, ServerCheck, ServerInput, ServerKind, BUILTIN_ID};
