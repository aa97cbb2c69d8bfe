use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "apps")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub publisher_id: String,
    pub slug: String,
    pub status: String,
    /// The draft manifest as JSON (the wire form, possibly incomplete).
    pub draft_manifest: String,
    pub published_version_id: Option<String>,
    /// The uploaded logo of the draft (a `media` id).
    pub draft_logo_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
