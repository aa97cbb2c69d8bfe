//! The audit log: who did what to which record, and when. Entries are only
//! ever added.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000004_audit"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AuditEvents::Table)
                .col(
                    ColumnDef::new(AuditEvents::Id)
                        .string_len(40)
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(AuditEvents::At)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ColumnDef::new(AuditEvents::ActorId).string_len(40).null())
                .col(
                    ColumnDef::new(AuditEvents::ActorEmail)
                        .string_len(254)
                        .null(),
                )
                .col(ColumnDef::new(AuditEvents::TenantId).string_len(40).null())
                .col(
                    ColumnDef::new(AuditEvents::PublisherId)
                        .string_len(40)
                        .null(),
                )
                .col(
                    ColumnDef::new(AuditEvents::Action)
                        .string_len(64)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(AuditEvents::TargetType)
                        .string_len(32)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(AuditEvents::TargetId)
                        .string_len(40)
                        .not_null(),
                )
                .col(ColumnDef::new(AuditEvents::Detail).text().not_null())
                .to_owned(),
        )
        .await?;
        for (name, column) in [
            ("idx_audit_events_tenant", AuditEvents::TenantId),
            ("idx_audit_events_publisher", AuditEvents::PublisherId),
            ("idx_audit_events_target", AuditEvents::TargetId),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(AuditEvents::Table)
                    .col(column)
                    .col(AuditEvents::At)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(AuditEvents::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditEvents {
    Table,
    Id,
    At,
    ActorId,
    ActorEmail,
    TenantId,
    PublisherId,
    Action,
    TargetType,
    TargetId,
    Detail,
}
