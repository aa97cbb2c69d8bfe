//! Knowing cheaply whether the EHR registry changed, so that EHRs polling
//! it cost next to nothing: a generation number that moves whenever a
//! registration or a tenant key may have changed, and the tenant keys
//! already checked under the current generation.
//!
//! A change made through this engine moves the generation at once. One
//! made by another process serving the same database is noticed within
//! [`WATCH_CHECK`]: every such change moves its tenant's
//! `registry_version` in its own transaction ([`bump`]), at most once per
//! check the engine reads their sum, and a different answer moves the
//! generation. So a revoked key stops working at once in the process that
//! revoked it and within a second everywhere else.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement};

use crate::entity::tenants;
use crate::tenancy::TenantPrincipal;
use crate::{Engine, EngineResult};

/// How often the engine asks the database whether the registry changed.
pub const WATCH_CHECK: Duration = Duration::from_secs(1);

/// Keys are few; this only bounds memory against a flood of junk keys
/// (which are never cached: only keys that authenticated are).
const KEY_CAPACITY: usize = 10_000;

/// What the database says about the registry, as one comparable text:
/// every change of a registration or a key moves its tenant's counter.
const VERSION_SQL: &str = "SELECT \
     CAST(SUM(registry_version) AS TEXT) AS changes, \
     CAST(COUNT(*) AS TEXT) AS tenants \
     FROM tenants";

/// Records, in the change's transaction, that the registrations or keys
/// of `tenant_id` changed.
pub(crate) async fn bump(conn: &impl ConnectionTrait, tenant_id: &str) -> EngineResult<()> {
    tenants::Entity::update_many()
        .col_expr(
            tenants::Column::RegistryVersion,
            Expr::col(tenants::Column::RegistryVersion).add(1),
        )
        .filter(tenants::Column::Id.eq(tenant_id))
        .exec(conn)
        .await?;
    Ok(())
}

#[derive(Default)]
pub(crate) struct RegistryWatch {
    generation: AtomicU64,
    /// When the database's version was last read, and what it was.
    seen: Mutex<Option<(Instant, String)>>,
    /// Authenticated keys by token hash, with the generation they were
    /// checked under.
    keys: Mutex<HashMap<String, (u64, CachedKey)>>,
}

#[derive(Clone)]
pub(crate) struct CachedKey {
    /// Shared, so that a request takes a reference count, not a copy.
    pub principal: std::sync::Arc<TenantPrincipal>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl RegistryWatch {
    /// Something in the registry changed: every cached answer is stale.
    pub(crate) fn changed(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.keys.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    fn current(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Is a check due? The first caller to see it due takes it (the time
    /// is moved on at once), so that concurrent requests do not all ask
    /// the database; they go on with the current generation meanwhile.
    fn claim_check(&self) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        match seen.as_mut() {
            None => true,
            Some((at, _)) if at.elapsed() >= WATCH_CHECK => {
                *at = Instant::now();
                true
            }
            Some(_) => false,
        }
    }

    fn saw(&self, version: String) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let moved = seen.as_ref().is_some_and(|(_, v)| *v != version);
        *seen = Some((Instant::now(), version));
        drop(seen);
        if moved {
            self.changed();
        }
    }

    pub(crate) fn key(&self, hash: &str) -> Option<CachedKey> {
        let generation = self.current();
        let keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        keys.get(hash)
            .filter(|(g, _)| *g == generation)
            .map(|(_, key)| key.clone())
    }

    pub(crate) fn remember_key(&self, hash: String, key: CachedKey, generation: u64) {
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        if keys.len() >= KEY_CAPACITY {
            keys.clear();
        }
        keys.insert(hash, (generation, key));
    }
}

impl Engine {
    /// A number that moves whenever the registry may have changed (see the
    /// module documentation): answers cached under one generation are good
    /// while it stays.
    pub async fn registry_generation(&self) -> EngineResult<u64> {
        let watch = self.registry_watch();
        if watch.claim_check() {
            let row = self
                .db()
                .query_one(Statement::from_string(
                    self.db().get_database_backend(),
                    VERSION_SQL,
                ))
                .await?;
            let mut version = String::new();
            if let Some(row) = row {
                for column in ["changes", "tenants"] {
                    let part = row.try_get::<Option<String>>("", column)?;
                    version.push_str(part.as_deref().unwrap_or("-"));
                    version.push('|');
                }
            }
            watch.saw(version);
        }
        Ok(watch.current())
    }

    /// The registry changed here: drop what was cached and tell the
    /// webhook worker there are events.
    pub(crate) fn registry_changed(&self) {
        self.registry_watch().changed();
        self.wake_webhook_worker();
    }
}
