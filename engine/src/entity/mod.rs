//! sea-orm entities, one module per table (schema in the `migration` crate).

pub mod api_tokens;
pub mod app_versions;
pub mod apps;
pub mod audit_events;
pub mod catalog_entries;
pub mod catalog_facets;
pub mod client_secrets;
pub mod email_tokens;
pub mod installs;
pub mod invitations;
pub mod login_throttle;
pub mod mail_outbox;
pub mod media;
pub mod publisher_members;
pub mod publishers;
pub mod revoked_tokens;
pub mod signing_keys;
pub mod tenant_applications;
pub mod tenant_keys;
pub mod tenant_members;
pub mod tenant_users;
pub mod tenants;
pub mod used_assertions;
pub mod users;
pub mod webhook_deliveries;
pub mod webhooks;
