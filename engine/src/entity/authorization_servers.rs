use sea_orm::entity::prelude::*;

/// An authorization server a tenant added beside its built-in one.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "authorization_servers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    /// `rfc7591` or `manual`.
    pub kind: String,
    pub issuer: String,
    /// Sealed (`platform::sealed`, for this row).
    pub initial_access_token: Option<String>,
    pub is_default: bool,
    /// What discovery found, as JSON.
    pub discovery: Option<String>,
    /// `ok`, `unreachable`, `invalid` or `unchecked`.
    pub status: String,
    pub status_detail: Option<String>,
    pub checked_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
