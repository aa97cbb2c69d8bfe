//! The catalog index: one entry (and its facets) per published app,
//! written when a version is approved and repaired by reconciling.

use domain::AppManifest;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, Statement,
};

use super::CatalogSummary;
use crate::entity::{app_versions, apps, catalog_entries, catalog_facets, publishers};
use crate::publishing::versions::version_view;
use crate::{Engine, EngineError, EngineResult};

/// Writes (or replaces) the catalog entry of `app` for its published
/// `version`; run in the approval's transaction. Only active apps have an
/// entry, so searches need not look at the apps table.
pub(crate) async fn index_published(
    conn: &impl ConnectionTrait,
    app: &apps::Model,
    publisher: &publishers::Model,
    version: &app_versions::Model,
    manifest: &AppManifest,
) -> EngineResult<()> {
    catalog_facets::Entity::delete_many()
        .filter(catalog_facets::Column::AppId.eq(app.id.clone()))
        .exec(conn)
        .await?;
    catalog_entries::Entity::delete_by_id(app.id.clone())
        .exec(conn)
        .await?;
    let published_at = version.decided_at.unwrap_or(version.submitted_at);
    let summary = CatalogSummary {
        slug: app.slug.clone(),
        name: manifest.client_name.clone(),
        tagline: manifest.tagline.clone(),
        publisher: publisher.slug.clone(),
        publisher_name: publisher.name.clone(),
        categories: manifest.categories.clone(),
        launch_types: manifest.launch_types.clone(),
        fhir_versions: manifest.fhir_versions.clone(),
        audience: manifest.audience.clone(),
        logo_url: match &version.logo_id {
            Some(id) => Some(format!("/media/{id}")),
            None => manifest.logo_uri.as_ref().map(|u| u.to_string()),
        },
        version: version.number,
        published_at,
    };
    let summary = serde_json::to_string(&summary)
        .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("catalog summary: {e}")))?;
    catalog_entries::ActiveModel {
        app_id: Set(app.id.clone()),
        version_id: Set(version.id.clone()),
        name: Set(manifest.client_name.clone()),
        sort_name: Set(manifest.client_name.to_lowercase()),
        tagline: Set(manifest.tagline.clone()),
        description: Set(manifest.description.clone()),
        publisher_name: Set(publisher.name.clone()),
        published_at: Set(published_at),
        summary: Set(summary),
    }
    .insert(conn)
    .await?;
    let facets = [
        ("category", &manifest.categories),
        ("fhir_version", &manifest.fhir_versions),
        ("launch", &manifest.launch_types),
        ("audience", &manifest.audience),
    ]
    .into_iter()
    .flat_map(|(kind, values)| {
        values.iter().map(move |value| catalog_facets::ActiveModel {
            kind: Set(kind.to_owned()),
            value: Set(value.clone()),
            app_id: Set(app.id.clone()),
        })
    })
    .collect::<Vec<_>>();
    if !facets.is_empty() {
        catalog_facets::Entity::insert_many(facets)
            .exec(conn)
            .await?;
    }
    Ok(())
}

impl Engine {
    /// Writes the catalog entries that are missing or stale (a database
    /// from before the catalog index, or one restored in part). Returns how
    /// many it wrote.
    pub async fn reconcile_catalog(&self) -> EngineResult<usize> {
        let stale = self
            .db()
            .query_all(Statement::from_string(
                self.db().get_database_backend(),
                "SELECT a.id AS id FROM apps a \
                 LEFT JOIN catalog_entries e ON e.app_id = a.id \
                 WHERE a.published_version_id IS NOT NULL \
                 AND (e.app_id IS NULL OR e.version_id <> a.published_version_id)",
            ))
            .await?;
        let mut written = 0;
        for row in stale {
            let id: String = row.try_get("", "id")?;
            let Some(app) = apps::Entity::find_by_id(id).one(self.db()).await? else {
                continue;
            };
            let (Some(publisher), Some(version)) = (
                publishers::Entity::find_by_id(app.publisher_id.clone())
                    .one(self.db())
                    .await?,
                match &app.published_version_id {
                    Some(v) => {
                        app_versions::Entity::find_by_id(v.clone())
                            .one(self.db())
                            .await?
                    }
                    None => None,
                },
            ) else {
                continue;
            };
            let manifest = version_view(version.clone())?.manifest;
            let txn = self.begin_write().await?;
            index_published(&txn, &app, &publisher, &version, &manifest).await?;
            txn.commit().await?;
            self.catalog_cache().clear();
            written += 1;
        }
        Ok(written)
    }
}
