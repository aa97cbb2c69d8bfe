use sea_orm::entity::prelude::*;

/// One event for a webhook, delivered (or retried) by the webhook worker.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub webhook_id: String,
    /// `registration.created`, `.updated`, `.suspended` or `.revoked`.
    pub event: String,
    /// The JSON body, exactly as signed and sent.
    pub payload: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub delivered_at: Option<DateTimeUtc>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
