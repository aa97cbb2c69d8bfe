//! The authorization servers a tenant adds beside its built-in one: where
//! its installs can be provisioned (RFC 7591/7592, or by hand).

use sea_orm_migration::prelude::*;

use crate::columns::{at, at_null, id, reference};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000001_authorization_servers"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Servers::Table)
                .col(id(Servers::Id))
                .col(reference(Servers::TenantId))
                .col(ColumnDef::new(Servers::Name).string_len(120).not_null())
                // `rfc7591` or `manual`; the built-in server has no row.
                .col(ColumnDef::new(Servers::Kind).string_len(20).not_null())
                .col(ColumnDef::new(Servers::Issuer).string_len(2000).not_null())
                // Sealed under the master key; never shown again.
                .col(ColumnDef::new(Servers::InitialAccessToken).text().null())
                .col(ColumnDef::new(Servers::IsDefault).boolean().not_null())
                // What discovery found, as JSON.
                .col(ColumnDef::new(Servers::Discovery).text().null())
                .col(ColumnDef::new(Servers::Status).string_len(20).not_null())
                .col(ColumnDef::new(Servers::StatusDetail).text().null())
                .col(at_null(Servers::CheckedAt))
                .col(at(Servers::CreatedAt))
                .col(at(Servers::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Servers::Table, Servers::TenantId)
                        .to(Tenants::Table, Tenants::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_authorization_servers_name")
                .table(Servers::Table)
                .col(Servers::TenantId)
                .col(Servers::Name)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Servers::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}
#[derive(DeriveIden)]
enum Servers {
    #[sea_orm(iden = "authorization_servers")]
    Table,
    Id,
    TenantId,
    Name,
    Kind,
    Issuer,
    InitialAccessToken,
    IsDefault,
    Discovery,
    Status,
    StatusDetail,
    CheckedAt,
    CreatedAt,
    UpdatedAt,
}
