//! The public catalog: published apps, searched and filtered in the
//! database.
//!
//! Approval writes a catalog entry (name, tagline, description, publisher)
//! and its facets; search runs on SQLite's FTS5 or PostgreSQL's `tsvector`
//! (see the `catalog` migration), so a search costs one indexed query
//! whatever the size of the catalog.

mod cache;
mod index;

pub(crate) use cache::CatalogCache;
pub use cache::CACHE_CHECK;
pub(crate) use index::index_published;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::ManifestDiff;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, Statement,
};
use serde::{Deserialize, Serialize};

use crate::entity::app_versions;
use crate::platform::sql::Sql;
use crate::publishing::versions::{version_view, VersionView};
use crate::{Engine, EngineError, EngineResult};

/// A published app, as everyone sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogApp {
    pub slug: String,
    pub publisher_slug: String,
    pub publisher_name: String,
    pub version: VersionView,
}

/// A published app as a listing shows it: what the gallery's cards and the
/// catalog API's lists carry. The whole manifest is on the app's own page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CatalogSummary {
    pub slug: String,
    pub name: String,
    pub tagline: String,
    /// The publisher's slug.
    pub publisher: String,
    pub publisher_name: String,
    pub categories: Vec<String>,
    pub launch_types: Vec<String>,
    pub fhir_versions: Vec<String>,
    pub audience: Vec<String>,
    /// The uploaded logo (on this site), else the publisher's `logo_uri`.
    pub logo_url: Option<String>,
    pub version: i32,
    pub published_at: DateTime<Utc>,
}

/// A published app with the versions it has had, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogAppDetails {
    pub app: CatalogApp,
    pub history: Vec<PublishedVersion>,
}

/// One version that was (or is) live, and what it changed.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedVersion {
    pub number: i32,
    pub published_at: Option<DateTime<Utc>>,
    /// Against the version published before it; `None` for the first.
    pub changes: Option<ManifestDiff>,
}

/// The order of catalog results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CatalogSort {
    /// Best match first when searching; by name otherwise.
    #[default]
    Relevance,
    Name,
    Newest,
}

impl CatalogSort {
    pub const ALL: [CatalogSort; 3] = [Self::Relevance, Self::Name, Self::Newest];

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Relevance => "relevance",
            Self::Name => "name",
            Self::Newest => "newest",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct CatalogQuery {
    pub q: Option<String>,
    pub category: Option<String>,
    pub fhir_version: Option<String>,
    pub launch: Option<String>,
    pub audience: Option<String>,
    pub sort: CatalogSort,
    /// From 0.
    pub page: u32,
    pub per_page: u32,
}

impl CatalogQuery {
    fn facets(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("category", &self.category),
            ("fhir_version", &self.fhir_version),
            ("launch", &self.launch),
            ("audience", &self.audience),
        ]
        .into_iter()
        .filter_map(|(kind, value)| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                // `R4` finds the apps that name 4.0.1.
                .map(|v| match kind {
                    "fhir_version" => (kind, domain::fhir::fhir_version_number(v).unwrap_or(v)),
                    _ => (kind, v),
                })
        })
    }
}

/// The words of a search, lowercased: letters and digits only, so that
/// nothing a visitor types is read as query syntax. At most eight.
fn search_terms(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .take(8)
        .collect()
}

fn catalog_row(
    row: &sea_orm::QueryResult,
) -> EngineResult<(String, String, String, app_versions::Model)> {
    let version = app_versions::Model::from_query_result(row, "")?;
    Ok((
        row.try_get::<String>("", "app_slug")?,
        row.try_get::<String>("", "publisher_slug")?,
        row.try_get::<String>("", "publisher_name")?,
        version,
    ))
}

/// The sort keys as columns of the entry `e`: `sort_name, app_id` →
/// `e.sort_name, e.app_id`; `rank` is the search's own output column.
fn qualified(order: &str) -> String {
    order
        .split(", ")
        .map(|key| {
            if key.starts_with("rank") {
                key.to_owned()
            } else {
                format!("e.{key}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

const SELECT_ONE: &str = "SELECT v.*, a.slug AS app_slug, p.slug AS publisher_slug, \
     p.name AS publisher_name \
     FROM catalog_entries e \
     JOIN apps a ON a.id = e.app_id \
     JOIN publishers p ON p.id = a.publisher_id \
     JOIN app_versions v ON v.id = e.version_id";

impl Engine {
    /// Published apps matching `query`; the flag says whether a further
    /// page exists. Pages answered before come from memory until the
    /// catalog changes.
    pub async fn catalog(&self, query: &CatalogQuery) -> EngineResult<(Vec<CatalogSummary>, bool)> {
        let terms = query.q.as_deref().map(search_terms).unwrap_or_default();
        let facets: Vec<String> = query.facets().map(|(k, v)| format!("{k}={v}")).collect();
        let key = format!(
            "{}|{}|{}|{}|{}",
            terms.join(" "),
            facets.join("&"),
            query.sort.as_str(),
            query.page,
            query.per_page
        );
        if self.catalog_cache().due() {
            let version = self
                .db()
                .query_one(Statement::from_string(
                    self.db().get_database_backend(),
                    "SELECT CAST(MAX(published_at) AS TEXT) AS version FROM catalog_entries",
                ))
                .await?
                .map(|row| row.try_get::<Option<String>>("", "version"))
                .transpose()?
                .flatten();
            self.catalog_cache().saw(version);
        }
        if let Some(page) = self.catalog_cache().get(&key) {
            return Ok((*page).clone());
        }
        let page = self.search_catalog(query, &terms).await?;
        self.catalog_cache().put(key, Arc::new(page.clone()));
        Ok(page)
    }

    /// One query over the index tables alone (entries, facets, full text):
    /// each entry carries its summary.
    async fn search_catalog(
        &self,
        query: &CatalogQuery,
        terms: &[String],
    ) -> EngineResult<(Vec<CatalogSummary>, bool)> {
        let backend = self.db().get_database_backend();
        let searching = !terms.is_empty();
        let postgres = backend == DatabaseBackend::Postgres;
        let mut sql = Sql::new(backend);
        sql.push("SELECT e.summary");
        match (searching, postgres) {
            (false, _) => sql.push(" FROM catalog_entries e"),
            (true, true) => {
                let tsquery = terms
                    .iter()
                    .map(|t| format!("{t}:*"))
                    .collect::<Vec<_>>()
                    .join(" & ");
                sql.push(", ts_rank(e.search, query) AS rank FROM catalog_entries e")
                    .push(" CROSS JOIN to_tsquery('english', ")
                    .bind(tsquery)
                    .push(") AS query")
            }
            (true, false) => {
                let fts = terms
                    .iter()
                    .map(|t| format!("\"{t}\"*"))
                    .collect::<Vec<_>>()
                    .join(" ");
                // The full-text match drives the join, by rowid (the entry's
                // `seq`); the weights are name, tagline, description, publisher.
                sql.push(
                    ", s.rank FROM (SELECT rowid, \
                     bm25(catalog_search, 0.0, 10.0, 4.0, 1.0, 2.0) AS rank \
                     FROM catalog_search WHERE catalog_search MATCH ",
                )
                .bind(fts)
                .push(") s JOIN catalog_entries e ON e.seq = s.rowid")
            }
        };
        let mut glue = " WHERE ";
        if searching && postgres {
            sql.push(glue).push("e.search @@ query");
            glue = " AND ";
        }
        for (kind, value) in query.facets() {
            sql.push(glue)
                .push("e.app_id IN (SELECT app_id FROM catalog_facets WHERE kind = ")
                .bind(kind)
                .push(" AND value = ")
                .bind(value.to_owned())
                .push(")");
            glue = " AND ";
        }
        let order = match (query.sort, searching, postgres) {
            (CatalogSort::Newest, _, _) => "published_at DESC, app_id",
            (CatalogSort::Relevance, true, true) => "rank DESC, sort_name, app_id",
            (CatalogSort::Relevance, true, false) => "rank, sort_name, app_id",
            _ => "sort_name, app_id",
        };
        let per_page = query.per_page.clamp(1, 100);
        sql.push(" ORDER BY ")
            .push(&qualified(order))
            .push(" LIMIT ")
            .bind(i64::from(per_page) + 1)
            .push(" OFFSET ")
            .bind(i64::from(query.page) * i64::from(per_page));
        let rows = self.db().query_all(sql.build()).await?;
        let more = rows.len() > per_page as usize;
        let apps = rows
            .iter()
            .take(per_page as usize)
            .map(|row| {
                let json: String = row.try_get("", "summary")?;
                serde_json::from_str(&json).map_err(|e| {
                    EngineError::Unexpected(anyhow::anyhow!("stored catalog summary: {e}"))
                })
            })
            .collect::<EngineResult<Vec<_>>>()?;
        Ok((apps, more))
    }

    /// A published app by slug with its version history; unpublished or
    /// unknown apps are not found.
    pub async fn catalog_app(&self, slug: &str) -> EngineResult<CatalogAppDetails> {
        let backend = self.db().get_database_backend();
        let mut sql = Sql::new(backend);
        sql.push(SELECT_ONE)
            .push(" WHERE a.status = 'active' AND a.slug = ")
            .bind(slug.to_owned());
        let row = self
            .db()
            .query_one(sql.build())
            .await?
            .ok_or_else(|| EngineError::not_found(format!("No published app `{slug}`.")))?;
        let (slug, publisher_slug, publisher_name, version) = catalog_row(&row)?;
        let live = app_versions::Entity::find()
            .filter(app_versions::Column::AppId.eq(version.app_id.clone()))
            .filter(app_versions::Column::State.is_in(["published", "superseded"]))
            .order_by_asc(app_versions::Column::Number)
            .all(self.db())
            .await?
            .into_iter()
            .map(version_view)
            .collect::<EngineResult<Vec<_>>>()?;
        let mut history: Vec<PublishedVersion> = live
            .iter()
            .enumerate()
            .map(|(i, v)| PublishedVersion {
                number: v.number,
                published_at: v.decided_at,
                changes: i
                    .checked_sub(1)
                    .and_then(|prev| live.get(prev))
                    .map(|prev| ManifestDiff::between(&prev.manifest, &v.manifest)),
            })
            .collect();
        history.reverse();
        Ok(CatalogAppDetails {
            app: CatalogApp {
                slug,
                publisher_slug,
                publisher_name,
                version: version_view(version)?,
            },
            history,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_terms_drop_query_syntax() {
        assert_eq!(
            search_terms(r#"growth "charts" OR* -x NEAR(a)"#),
            vec!["growth", "charts", "or", "x", "near", "a"]
        );
        assert!(search_terms("  !!! ").is_empty());
        assert_eq!(search_terms("Déjà").len(), 1);
    }

    #[test]
    fn sorts_parse_from_their_names() {
        for sort in CatalogSort::ALL {
            assert_eq!(CatalogSort::parse(sort.as_str()), Some(sort));
        }
        assert_eq!(CatalogSort::parse("price"), None);
    }
}
