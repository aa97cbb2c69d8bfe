//! Sidecar's server: configuration, the HTTP surface (pages, forms, REST
//! API, operations), background workers and the command line.

pub mod api;
pub mod cli;
pub mod config;
pub mod http;
pub mod sessions;
pub mod startup;
pub mod telemetry;

pub use startup::{build, Sidecar};
