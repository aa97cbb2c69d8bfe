use sea_orm::entity::prelude::*;

/// An install's client at an authorization server other than the built-in
/// one, and the job that keeps it in step (see `provisioning::jobs`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "provisionings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub install_id: String,
    pub tenant_id: String,
    pub server_id: String,
    /// `pending`, `provisioning`, `active`, `awaiting_manual`, `retrying`,
    /// `failed`, `rejected`, `orphaned` or `deprovisioned`.
    pub state: String,
    /// Raised by every change to the install.
    pub desired_generation: i64,
    /// The generation the server was last brought to.
    pub applied_generation: i64,
    /// The server's client id (unique per server).
    pub client_id: Option<String>,
    pub registration_client_uri: Option<String>,
    /// Sealed (`platform::sealed`, bound to the install id).
    pub registration_access_token: Option<String>,
    /// Sealed until revealed once.
    pub client_secret: Option<String>,
    /// The mark in the client's name at the server.
    pub tag: String,
    /// A call under way whose answer must be kept (`register`, `update`).
    pub intent: Option<String>,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub lease_until: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    /// The server's `error` code, when it gave one.
    pub error_code: Option<String>,
    /// Registrations whose answers were lost, as JSON.
    pub possible_orphans: Option<String>,
    /// The last drift check.
    pub checked_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
