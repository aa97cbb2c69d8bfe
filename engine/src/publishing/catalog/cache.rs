//! The cache of catalog pages.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::CatalogSummary;

/// Catalog pages already answered, for the searches many visitors send
/// alike (the gallery's first page, a category, a popular word). They stay
/// until the catalog changes: an approval in this process empties the cache
/// at once; a change made by another process serving the same database is
/// noticed within [`CACHE_CHECK`], when the newest publication time moves.
#[derive(Default)]
pub(crate) struct CatalogCache {
    pages: Mutex<HashMap<String, CachedPage>>,
    /// When the catalog's version was last read, and what it was.
    seen: Mutex<Option<(Instant, Option<String>)>>,
}

pub(super) type CachedPage = Arc<(Vec<CatalogSummary>, bool)>;

/// How often the cache asks the database whether the catalog changed.
pub const CACHE_CHECK: Duration = Duration::from_secs(1);
const CACHE_CAPACITY: usize = 4096;

impl CatalogCache {
    pub(super) fn get(&self, key: &str) -> Option<CachedPage> {
        let pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        pages.get(key).cloned()
    }

    pub(super) fn put(&self, key: String, page: CachedPage) {
        let mut pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        if pages.len() >= CACHE_CAPACITY {
            pages.clear();
        }
        pages.insert(key, page);
    }

    pub(crate) fn clear(&self) {
        self.pages.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    pub(super) fn due(&self) -> bool {
        let seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.as_ref()
            .is_none_or(|(at, _)| at.elapsed() >= CACHE_CHECK)
    }

    /// Records the catalog's version; a different one empties the cache.
    pub(super) fn saw(&self, version: Option<String>) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.as_ref().is_some_and(|(_, v)| *v != version) {
            self.clear();
        }
        *seen = Some((Instant::now(), version));
    }
}
