use sea_orm::entity::prelude::*;

/// A client secret of an install, as a keyed hash (HMAC-SHA-256 under the
/// master key); the secret itself is shown once.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "client_secrets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub install_id: String,
    pub secret_hash: String,
    pub created_at: DateTimeUtc,
    /// Set when a newer secret replaced it; valid until then.
    pub expires_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
