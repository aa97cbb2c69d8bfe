//! Connecting to the database and applying migrations.

use std::time::Duration;

use anyhow::Context;
use migration::MigratorTrait;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};

/// Connects to `url` (`sqlite://…` or `postgres://…`). A SQLite file is
/// created when missing, with WAL and foreign keys on.
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .sqlx_logging(false);
    if url.starts_with("sqlite:") {
        // `:memory:` is one database per connection: keep exactly one.
        if url.contains(":memory:") || url.contains("mode=memory") {
            options.max_connections(1).min_connections(1);
        } else {
            options.max_connections(8);
        }
    } else {
        options.max_connections(20).min_connections(1);
    }
    let db = Database::connect(options)
        .await
        .with_context(|| format!("could not connect to the database at {}", redact(url)))?;
    if db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
        db.execute_unprepared("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;")
            .await
            .context("could not configure SQLite")?;
        if !url.contains(":memory:") {
            db.execute_unprepared("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
                .await
                .context("could not enable SQLite WAL mode")?;
        }
    }
    Ok(db)
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    migration::Migrator::up(db, None)
        .await
        .context("could not apply database migrations")
}

/// Is the database answering? Used by `/readyz`.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}

/// The URL without a password, for messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}
