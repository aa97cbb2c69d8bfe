//! Provisioning: which authorization server each install lives at, and —
//! for a server other than the built-in one — the client Sidecar keeps
//! there. A `provisionings` row is both the client's record and its job
//! (an outbox row): a change to the install raises `desired_generation` in
//! the change's own transaction, and a worker brings the server in step
//! until `applied_generation` catches up. One row per install, so one job
//! in flight per install and the newest desired state always wins.

use sea_orm_migration::prelude::*;

use crate::columns::{at, at_null, reference};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_000001_provisioning"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Null: the tenant's built-in server.
        m.alter_table(
            Table::alter()
                .table(Installs::Table)
                .add_column(
                    ColumnDef::new(Installs::AuthorizationServerId)
                        .string_len(40)
                        .null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Provisionings::Table)
                .col(
                    ColumnDef::new(Provisionings::InstallId)
                        .string_len(40)
                        .not_null()
                        .primary_key(),
                )
                .col(reference(Provisionings::TenantId))
                .col(reference(Provisionings::ServerId))
                .col(
                    ColumnDef::new(Provisionings::State)
                        .string_len(20)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Provisionings::DesiredGeneration)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Provisionings::AppliedGeneration)
                        .big_integer()
                        .not_null(),
                )
                // What the server calls the client, and how to manage it.
                .col(
                    ColumnDef::new(Provisionings::ClientId)
                        .string_len(255)
                        .null(),
                )
                .col(
                    ColumnDef::new(Provisionings::RegistrationClientUri)
                        .text()
                        .null(),
                )
                // Sealed; never shown.
                .col(
                    ColumnDef::new(Provisionings::RegistrationAccessToken)
                        .text()
                        .null(),
                )
                // Sealed until the developer reveals it once, then gone.
                .col(ColumnDef::new(Provisionings::ClientSecret).text().null())
                // Marks the registration at the server (a client_name suffix).
                .col(ColumnDef::new(Provisionings::Tag).string_len(40).not_null())
                // Written before a call whose answer must be kept; cleared
                // with the answer. Set at a claim: the last answer was lost.
                .col(ColumnDef::new(Provisionings::Intent).string_len(20).null())
                .col(ColumnDef::new(Provisionings::Attempts).integer().not_null())
                .col(at(Provisionings::NextAttemptAt))
                .col(at_null(Provisionings::LeaseUntil))
                .col(ColumnDef::new(Provisionings::LastError).text().null())
                .col(
                    ColumnDef::new(Provisionings::ErrorCode)
                        .string_len(80)
                        .null(),
                )
                // Registrations whose answers were lost: what to delete, as JSON.
                .col(ColumnDef::new(Provisionings::PossibleOrphans).text().null())
                .col(at_null(Provisionings::CheckedAt))
                .col(at(Provisionings::CreatedAt))
                .col(at(Provisionings::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Provisionings::Table, Provisionings::InstallId)
                        .to(Installs::Table, Installs::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Provisionings::Table, Provisionings::ServerId)
                        .to(Servers::Table, Servers::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_provisionings_due")
                .table(Provisionings::Table)
                .col(Provisionings::NextAttemptAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_provisionings_server_client")
                .table(Provisionings::Table)
                .col(Provisionings::ServerId)
                .col(Provisionings::ClientId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_provisionings_client")
                .table(Provisionings::Table)
                .col(Provisionings::ClientId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Provisionings::Table).to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table(Installs::Table)
                .drop_column(Installs::AuthorizationServerId)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum Installs {
    Table,
    Id,
    AuthorizationServerId,
}
#[derive(DeriveIden)]
enum Servers {
    #[sea_orm(iden = "authorization_servers")]
    Table,
    Id,
}
#[derive(DeriveIden)]
enum Provisionings {
    Table,
    InstallId,
    TenantId,
    ServerId,
    State,
    DesiredGeneration,
    AppliedGeneration,
    ClientId,
    RegistrationClientUri,
    RegistrationAccessToken,
    ClientSecret,
    Tag,
    Intent,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    LastError,
    ErrorCode,
    PossibleOrphans,
    CheckedAt,
    CreatedAt,
    UpdatedAt,
}
