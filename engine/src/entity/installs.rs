use sea_orm::entity::prelude::*;

/// An app installed in a tenant.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "installs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub tenant_id: String,
    pub app_id: String,
    /// The app version the tenant approved.
    pub version_id: String,
    /// A newer published version that waits for the tenant's approval
    /// because it adds scopes or redirect URIs.
    pub pending_version_id: Option<String>,
    /// What the tenant's authorization server knows the app by.
    pub client_id: String,
    /// `active`, `suspended` or `revoked`.
    pub state: String,
    /// The scopes the tenant granted: a subset of what the version asks.
    pub granted_scope: String,
    /// Where the app is provisioned; `None`: the tenant's built-in server.
    pub authorization_server_id: Option<String>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
