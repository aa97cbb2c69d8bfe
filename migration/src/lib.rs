//! Sidecar's database schema, identical on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod columns;
mod m20261201_000001_accounts;
mod m20261201_000002_apps;
mod m20261201_000003_catalog;
mod m20261201_000004_audit;
mod m20261201_000005_media;
mod m20261201_000006_installs;
mod m20261201_000007_webhooks;
mod m20261201_000008_tenancy;
mod m20261201_000009_signing;
mod m20261201_000010_tenant_users;
mod m20261201_000011_authorization;
mod m20261203_000001_authorization_servers;
mod m20261204_000001_provisioning;
mod m20261204_000002_retiring_clients;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261201_000001_accounts::Migration),
            Box::new(m20261201_000002_apps::Migration),
            Box::new(m20261201_000003_catalog::Migration),
            Box::new(m20261201_000004_audit::Migration),
            Box::new(m20261201_000005_media::Migration),
            Box::new(m20261201_000006_installs::Migration),
            Box::new(m20261201_000007_webhooks::Migration),
            Box::new(m20261201_000008_tenancy::Migration),
            Box::new(m20261201_000009_signing::Migration),
            Box::new(m20261201_000010_tenant_users::Migration),
            Box::new(m20261201_000011_authorization::Migration),
            Box::new(m20261203_000001_authorization_servers::Migration),
            Box::new(m20261204_000001_provisioning::Migration),
            Box::new(m20261204_000002_retiring_clients::Migration),
        ]
    }
}
