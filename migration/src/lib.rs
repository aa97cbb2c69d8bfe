//! Sidecar's database schema, identical on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261201_000001_accounts;
mod m20261201_000002_apps;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261201_000001_accounts::Migration),
            Box::new(m20261201_000002_apps::Migration),
        ]
    }
}
