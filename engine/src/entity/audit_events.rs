use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub at: DateTimeUtc,
    pub actor_id: Option<String>,
    /// The actor's address at the time, kept when the account is gone.
    pub actor_email: Option<String>,
    pub tenant_id: Option<String>,
    pub publisher_id: Option<String>,
    /// What happened, as `noun.verb`: `version.approved`.
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    /// Particulars as a JSON object.
    pub detail: String,
    /// The client address the change was asked from.
    pub origin: Option<String>,
    /// For actions by a tenant API key, the key's name at the time.
    pub actor_key_name: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
