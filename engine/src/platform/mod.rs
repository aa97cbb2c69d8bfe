//! What every use case stands on: time, the database, errors, secrets and
//! passwords, server-side fetches, sign-in throttles, mail, the audit log
//! and Markdown. Nothing here knows about people, apps or tenants; the
//! contexts above build on it.

pub mod audit;
pub mod clock;
pub mod db;
pub mod error;
pub mod fetch;
pub mod mail;
pub mod markdown;
pub mod password;
pub mod sealed;
pub mod secret;
pub(crate) mod sql;
pub mod throttle;
