//! Session storage: the database by default, Redis when `REDIS_URL` is set
//! (so that several replicas share sessions).

use anyhow::Context;
use async_trait::async_trait;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions_redis_store::fred::prelude::{
    ClientLike, Config as RedisConfig, Pool as RedisPool,
};
use tower_sessions_redis_store::RedisStore;
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

#[derive(Debug, Clone)]
pub enum Store {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
    Redis(RedisStore<RedisPool>),
}

impl Store {
    /// Connects the store and creates its table where needed. The database
    /// stores reuse the engine's connection pool.
    pub async fn connect(db: &DatabaseConnection, redis_url: Option<&str>) -> anyhow::Result<Self> {
        if let Some(url) = redis_url {
            let config =
                RedisConfig::from_url(url).context("REDIS_URL is not a valid Redis URL")?;
            let pool = RedisPool::new(config, None, None, None, 4)
                .context("could not create the Redis pool")?;
            pool.init()
                .await
                .context("could not connect to Redis at REDIS_URL")?;
            return Ok(Self::Redis(RedisStore::new(pool)));
        }
        match db.get_database_backend() {
            sea_orm::DatabaseBackend::Sqlite => {
                let store = SqliteStore::new(db.get_sqlite_connection_pool().clone());
                store
                    .migrate()
                    .await
                    .context("could not create the session table")?;
                Ok(Self::Sqlite(store))
            }
            sea_orm::DatabaseBackend::Postgres => {
                let store = PostgresStore::new(db.get_postgres_connection_pool().clone());
                store
                    .migrate()
                    .await
                    .context("could not create the session table")?;
                Ok(Self::Postgres(store))
            }
            other => anyhow::bail!("sessions are not supported on {other:?}"),
        }
    }

    /// Deletes expired sessions now and then (Redis expires keys itself).
    pub fn spawn_cleanup(&self) {
        let period = tokio::time::Duration::from_secs(600);
        match self.clone() {
            Self::Sqlite(store) => {
                tokio::spawn(async move { store.continuously_delete_expired(period).await });
            }
            Self::Postgres(store) => {
                tokio::spawn(async move { store.continuously_delete_expired(period).await });
            }
            Self::Redis(_) => {}
        }
    }
}

#[async_trait]
impl SessionStore for Store {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(s) => s.create(record).await,
            Self::Postgres(s) => s.create(record).await,
            Self::Redis(s) => s.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(s) => s.save(record).await,
            Self::Postgres(s) => s.save(record).await,
            Self::Redis(s) => s.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Self::Sqlite(s) => s.load(id).await,
            Self::Postgres(s) => s.load(id).await,
            Self::Redis(s) => s.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Self::Sqlite(s) => s.delete(id).await,
            Self::Postgres(s) => s.delete(id).await,
            Self::Redis(s) => s.delete(id).await,
        }
    }
}
