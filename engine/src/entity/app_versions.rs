use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "app_versions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub app_id: String,
    pub number: i32,
    /// The checked manifest as JSON, frozen at submission.
    pub manifest: String,
    /// `submitted`, `published`, `rejected` or `superseded`.
    pub state: String,
    pub submitted_by: String,
    pub submitted_at: DateTimeUtc,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTimeUtc>,
    pub rejection_reason: Option<String>,
    /// The uploaded logo, frozen with the version (a `media` id).
    pub logo_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
