//! Sidecar's engine: the use cases, over sea-orm, with no HTTP framework.
//!
//! The server's HTML pages, its REST API and its command line all call the
//! same methods on [`Engine`]; rules are written here once.

//! Its folders are its contexts, each importing only those below it:
//!
//! | context | holds |
//! |---|---|
//! | [`provisioning`] | the tenants' own authorization servers |
//! | [`authz`] | each tenant's built-in SMART authorization server |
//! | [`tenancy`] | tenants, installs, credentials, the registry, webhooks |
//! | [`publishing`] | apps, versions, review, logos, the catalog |
//! | [`people`] | accounts, personal tokens, publishers and their members |
//! | [`platform`] | clock, database, errors, secrets, fetch, mail, audit |
//!
//! [`entity`] (the tables) lies under all of them. A lower context moves a
//! higher one only by announcing an event ([`events`]); [`seed`] stands on
//! top and makes demo data through the same use cases.

pub mod authz;
pub mod entity;
pub(crate) mod events;
pub mod people;
pub mod platform;
pub mod provisioning;
pub mod publishing;
pub mod seed;
pub mod tenancy;

use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, TransactionTrait};
use url::Url;

pub use platform::clock::{Clock, ManualClock, SystemClock};
pub use platform::error::{EngineError, EngineResult};
pub use platform::mail::{MailConfig, MailWorker};
use platform::{fetch, secret};
use publishing::catalog;
use tenancy::watch as registry_watch;

/// Settings the engine needs from the server's configuration.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Where people reach Sidecar; links in mail point here.
    pub public_url: Url,
    pub mail: MailConfig,
    /// How server-side fetches of developer-supplied URLs behave.
    pub fetch: fetch::FetchConfig,
    /// Protects client secrets at rest.
    pub master_key: secret::MasterKey,
    /// How long a replaced client secret keeps working.
    pub secret_grace: chrono::Duration,
    /// Timings of provisioning into tenants' own authorization servers.
    pub provisioning: provisioning::ProvisioningConfig,
}

/// The engine: a database, a clock and settings. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
    config: Arc<EngineConfig>,
    mail_ready: Arc<tokio::sync::Notify>,
    catalog_cache: Arc<catalog::CatalogCache>,
    registry_watch: Arc<registry_watch::RegistryWatch>,
    webhooks_ready: Arc<tokio::sync::Notify>,
    authz: Arc<AuthzState>,
    provisioning: Arc<provisioning::jobs::WorkerState>,
}

/// What the authorization servers keep in memory (see [`authz`]).
#[derive(Default)]
struct AuthzState {
    issuers: authz::IssuerCache,
    keys: authz::keys::KeyCache,
    clients: authz::client::ClientCache,
    tokens: authz::tokens::TokenState,
    throttle: authz::throttle::ClientThrottle,
}

impl Engine {
    pub fn new(db: DatabaseConnection, clock: Arc<dyn Clock>, config: EngineConfig) -> Self {
        Self {
            db,
            clock,
            config: Arc::new(config),
            mail_ready: Arc::new(tokio::sync::Notify::new()),
            catalog_cache: Arc::default(),
            registry_watch: Arc::default(),
            webhooks_ready: Arc::new(tokio::sync::Notify::new()),
            authz: Arc::default(),
            provisioning: Arc::default(),
        }
    }

    pub(crate) fn issuer_cache(&self) -> &authz::IssuerCache {
        &self.authz.issuers
    }

    pub(crate) fn key_cache(&self) -> &authz::keys::KeyCache {
        &self.authz.keys
    }

    pub(crate) fn client_cache(&self) -> &authz::client::ClientCache {
        &self.authz.clients
    }

    pub(crate) fn token_state(&self) -> &authz::tokens::TokenState {
        &self.authz.tokens
    }

    pub(crate) fn provisioning_state(&self) -> &provisioning::jobs::WorkerState {
        &self.provisioning
    }

    pub(crate) fn client_throttle(&self) -> &authz::throttle::ClientThrottle {
        &self.authz.throttle
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The time, to the microsecond: what both databases store, so that a
    /// time read back compares equal to the one written (cursors, filters).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::SubsecRound::trunc_subsecs(self.clock.now(), 6)
    }

    /// Tells the webhook worker there are events, so it need not wait.
    pub fn wake_webhook_worker(&self) {
        self.webhooks_ready.notify_one();
    }

    pub(crate) fn catalog_cache(&self) -> &catalog::CatalogCache {
        &self.catalog_cache
    }

    pub(crate) fn registry_watch(&self) -> &registry_watch::RegistryWatch {
        &self.registry_watch
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// A transaction that writes. On SQLite it takes the write lock first
    /// (a no-op UPDATE), so that a concurrent writer makes it wait for the
    /// busy timeout instead of failing with `SQLITE_BUSY_SNAPSHOT` when a
    /// read-then-write transaction upgrades. PostgreSQL needs nothing.
    pub(crate) async fn begin_write(&self) -> EngineResult<DatabaseTransaction> {
        let txn = self.db.begin().await?;
        if txn.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
            txn.execute_unprepared("UPDATE seaql_migrations SET version = version WHERE 0")
                .await?;
        }
        Ok(txn)
    }

    /// A link under `PUBLIC_URL`, for mail.
    pub fn link(&self, path_and_query: &str) -> String {
        let base = self.config.public_url.as_str().trim_end_matches('/');
        format!("{base}{path_and_query}")
    }
}
