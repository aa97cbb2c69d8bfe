//! Clients at a tenant's own authorization server that Sidecar no longer
//! uses and deletes there once it may: the old client after an install
//! moved to another server (when the new one is in place), and the old
//! client after a secret rotation that needed a new registration (when the
//! grace period ends).

use sea_orm_migration::prelude::*;

use crate::columns::{at, at_null, id, reference};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_000002_retiring_clients"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(RetiringClients::Table)
                .col(id(RetiringClients::Id))
                .col(reference(RetiringClients::InstallId))
                .col(reference(RetiringClients::TenantId))
                .col(reference(RetiringClients::ServerId))
                .col(
                    ColumnDef::new(RetiringClients::ClientId)
                        .string_len(255)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RetiringClients::RegistrationClientUri)
                        .text()
                        .null(),
                )
                // Sealed, bound to the install id; never shown.
                .col(
                    ColumnDef::new(RetiringClients::RegistrationAccessToken)
                        .text()
                        .null(),
                )
                // `moved` or `rotated`.
                .col(
                    ColumnDef::new(RetiringClients::Reason)
                        .string_len(20)
                        .not_null(),
                )
                // Not deleted before this (the end of a rotation's grace).
                .col(at(RetiringClients::RetireAfter))
                .col(
                    ColumnDef::new(RetiringClients::Attempts)
                        .integer()
                        .not_null(),
                )
                .col(at(RetiringClients::NextAttemptAt))
                .col(at_null(RetiringClients::LeaseUntil))
                .col(ColumnDef::new(RetiringClients::LastError).text().null())
                .col(at(RetiringClients::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(RetiringClients::Table, RetiringClients::InstallId)
                        .to(Installs::Table, Installs::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(RetiringClients::Table, RetiringClients::ServerId)
                        .to(Servers::Table, Servers::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_retiring_clients_due")
                .table(RetiringClients::Table)
                .col(RetiringClients::NextAttemptAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(RetiringClients::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Installs {
    Table,
    Id,
}
#[derive(DeriveIden)]
enum Servers {
    #[sea_orm(iden = "authorization_servers")]
    Table,
    Id,
}
#[derive(DeriveIden)]
enum RetiringClients {
    Table,
    Id,
    InstallId,
    TenantId,
    ServerId,
    ClientId,
    RegistrationClientUri,
    RegistrationAccessToken,
    Reason,
    RetireAfter,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    LastError,
    CreatedAt,
}
