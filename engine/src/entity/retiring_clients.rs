use sea_orm::entity::prelude::*;

/// A client at a tenant's own authorization server that Sidecar no longer
/// uses and deletes there once it may (see `provisioning::retiring`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "retiring_clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub install_id: String,
    pub tenant_id: String,
    pub server_id: String,
    pub client_id: String,
    pub registration_client_uri: Option<String>,
    /// Sealed (`platform::sealed`, bound to the install id).
    pub registration_access_token: Option<String>,
    /// `moved` or `rotated`.
    pub reason: String,
    pub retire_after: DateTimeUtc,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub lease_until: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
