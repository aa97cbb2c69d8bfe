use sea_orm::entity::prelude::*;

/// One published app in the catalog's search index (written at approval).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "catalog_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub app_id: String,
    pub version_id: String,
    pub name: String,
    /// The name lowercased, for sorting.
    pub sort_name: String,
    pub tagline: String,
    pub description: String,
    pub publisher_name: String,
    pub published_at: DateTimeUtc,
    /// The listing's view of the app ([`crate::publishing::catalog::CatalogSummary`]) as JSON.
    pub summary: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
