//! A webhook per tenant and the outbox of its deliveries.

use sea_orm_migration::prelude::*;

use crate::columns::{at, at_null, id, reference};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000007_webhooks"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Webhooks::Table)
                .col(id(Webhooks::Id))
                .col(
                    ColumnDef::new(Webhooks::TenantId)
                        .string_len(40)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(Webhooks::Url).string_len(2000).not_null())
                // The signing secret is derived from the master key and
                // this nonce; the secret itself is stored nowhere.
                .col(ColumnDef::new(Webhooks::Nonce).string_len(64).not_null())
                .col(at(Webhooks::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Webhooks::Table, Webhooks::TenantId)
                        .to(Tenants::Table, Tenants::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Deliveries::Table)
                .col(id(Deliveries::Id))
                .col(reference(Deliveries::WebhookId))
                .col(ColumnDef::new(Deliveries::Event).string_len(40).not_null())
                .col(ColumnDef::new(Deliveries::Payload).text().not_null())
                .col(ColumnDef::new(Deliveries::Attempts).integer().not_null())
                .col(at(Deliveries::NextAttemptAt))
                .col(at_null(Deliveries::DeliveredAt))
                .col(ColumnDef::new(Deliveries::LastStatus).integer().null())
                .col(ColumnDef::new(Deliveries::LastError).text().null())
                .col(at(Deliveries::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Deliveries::Table, Deliveries::WebhookId)
                        .to(Webhooks::Table, Webhooks::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_webhook_deliveries_due")
                .table(Deliveries::Table)
                .col(Deliveries::DeliveredAt)
                .col(Deliveries::NextAttemptAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Deliveries::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Webhooks::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}
#[derive(DeriveIden)]
enum Webhooks {
    Table,
    Id,
    TenantId,
    Url,
    Nonce,
    CreatedAt,
}
#[derive(DeriveIden)]
enum Deliveries {
    #[sea_orm(iden = "webhook_deliveries")]
    Table,
    Id,
    WebhookId,
    Event,
    Payload,
    Attempts,
    NextAttemptAt,
    DeliveredAt,
    LastStatus,
    LastError,
    CreatedAt,
}
