use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub slug: String,
    pub name: String,
    pub created_at: DateTimeUtc,
    /// A JSON array of the tenant's FHIR base URLs.
    pub fhir_base_urls: String,
    /// Set for the sandbox tenant of a publisher organisation.
    pub sandbox_publisher_id: Option<String>,
    /// Moves with every change of the tenant's registrations and keys.
    pub registry_version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
