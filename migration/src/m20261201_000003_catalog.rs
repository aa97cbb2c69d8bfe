//! The public catalog's search index: one entry per published app (with
//! the summary a listing shows, so a search reads nothing else), its
//! facets (category, FHIR version, launch type, audience) and a full-text
//! index — FTS5 on SQLite, a weighted `tsvector` with a GIN index on
//! PostgreSQL. Entries are written by the engine when a version is
//! approved; the full-text side follows the entries by trigger (SQLite) or
//! as a generated column (PostgreSQL).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000003_catalog"
    }
}

const ENTRIES: &str = "
CREATE TABLE catalog_entries (
    {KEY} REFERENCES apps (id) ON DELETE CASCADE,
    version_id VARCHAR(40) NOT NULL REFERENCES app_versions (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    sort_name TEXT NOT NULL,
    tagline TEXT NOT NULL,
    description TEXT NOT NULL,
    publisher_name TEXT NOT NULL,
    published_at {TIMESTAMP} NOT NULL,
    summary TEXT NOT NULL
    {SEARCH}
);
CREATE INDEX idx_catalog_entries_sort_name ON catalog_entries (sort_name, app_id);
CREATE INDEX idx_catalog_entries_published_at ON catalog_entries (published_at, app_id);
CREATE TABLE catalog_facets (
    kind VARCHAR(16) NOT NULL,
    value VARCHAR(64) NOT NULL,
    app_id VARCHAR(40) NOT NULL REFERENCES catalog_entries (app_id) ON DELETE CASCADE,
    PRIMARY KEY (kind, value, app_id)
);
CREATE INDEX idx_catalog_facets_app ON catalog_facets (app_id);
";

/// Every search is a prefix search: the prefix indexes let `ca` or `car`
/// read one index entry instead of every term that starts so.
const SQLITE_SEARCH: &str = "
CREATE VIRTUAL TABLE catalog_search USING fts5(
    app_id UNINDEXED, name, tagline, description, publisher_name,
    tokenize = 'porter unicode61 remove_diacritics 2',
    prefix = '2 3'
);
CREATE TRIGGER catalog_entries_ai AFTER INSERT ON catalog_entries BEGIN
    INSERT INTO catalog_search (rowid, app_id, name, tagline, description, publisher_name)
    VALUES (new.rowid, new.app_id, new.name, new.tagline, new.description, new.publisher_name);
END;
CREATE TRIGGER catalog_entries_ad AFTER DELETE ON catalog_entries BEGIN
    DELETE FROM catalog_search WHERE rowid = old.rowid;
END;
CREATE TRIGGER catalog_entries_au AFTER UPDATE ON catalog_entries BEGIN
    DELETE FROM catalog_search WHERE rowid = old.rowid;
    INSERT INTO catalog_search (rowid, app_id, name, tagline, description, publisher_name)
    VALUES (new.rowid, new.app_id, new.name, new.tagline, new.description, new.publisher_name);
END;
";

const POSTGRES_SEARCH: &str = ",
    search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', name), 'A')
        || setweight(to_tsvector('english', tagline), 'B')
        || setweight(to_tsvector('english', publisher_name), 'B')
        || setweight(to_tsvector('english', description), 'C')
    ) STORED";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match m.get_database_backend() {
            DatabaseBackend::Postgres => {
                let sql = ENTRIES
                    .replace("{KEY}", "app_id VARCHAR(40) NOT NULL PRIMARY KEY")
                    .replace("{TIMESTAMP}", "TIMESTAMPTZ")
                    .replace("{SEARCH}", POSTGRES_SEARCH);
                db.execute_unprepared(&sql).await?;
                db.execute_unprepared(
                    "CREATE INDEX idx_catalog_entries_search ON catalog_entries USING GIN (search);",
                )
                .await?;
            }
            _ => {
                // The triggers find an entry's search row by rowid; only a
                // declared INTEGER PRIMARY KEY keeps rowids across VACUUM.
                let sql = ENTRIES
                    .replace(
                        "{KEY}",
                        "seq INTEGER PRIMARY KEY, app_id VARCHAR(40) NOT NULL UNIQUE",
                    )
                    .replace("{TIMESTAMP}", "TEXT")
                    .replace("{SEARCH}", "");
                db.execute_unprepared(&sql).await?;
                db.execute_unprepared(SQLITE_SEARCH).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        if m.get_database_backend() == DatabaseBackend::Sqlite {
            db.execute_unprepared("DROP TABLE IF EXISTS catalog_search;")
                .await?;
        }
        db.execute_unprepared("DROP TABLE catalog_facets; DROP TABLE catalog_entries;")
            .await?;
        Ok(())
    }
}
