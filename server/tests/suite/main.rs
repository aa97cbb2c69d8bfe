//! Sidecar's integration tests, one module per area, in one test binary:
//! each test starts a real server on a loopback port with a fresh
//! database (SQLite, or PostgreSQL with `SIDECAR_TEST_DATABASE=postgres`)
//! and talks to it over HTTP. One binary links the server once instead of
//! once per file.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod support;

mod account_page;
mod accounts;
mod api;
mod apps_api;
mod authorization_servers;
mod authorize;
mod authz;
mod catalog;
mod console;
mod dev_forms;
mod gallery;
mod installs;
mod log_output;
mod logos;
mod mail_delivery;
mod members;
mod openapi;
mod ops;
mod provisioning;
mod readiness;
mod servers_console;
mod sessions_redis;
mod tenancy;
mod tenant_console;
mod tenant_users;
mod webhooks;
