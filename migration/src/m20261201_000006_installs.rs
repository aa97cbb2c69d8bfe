//! Installs of apps in tenants (with the scopes the tenant granted and the
//! client id its authorization server knows the app by), client secrets
//! (keyed hashes only) and tenant API keys for the EHR.

use sea_orm_migration::prelude::*;

use crate::columns::{at, at_null, id, reference};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000006_installs"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Installs::Table)
                .col(id(Installs::Id))
                .col(reference(Installs::TenantId))
                .col(reference(Installs::AppId))
                .col(reference(Installs::VersionId))
                // A published version that adds scopes or redirect URIs waits
                // here for the tenant's approval.
                .col(
                    ColumnDef::new(Installs::PendingVersionId)
                        .string_len(40)
                        .null(),
                )
                .col(
                    ColumnDef::new(Installs::ClientId)
                        .string_len(64)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(Installs::State).string_len(16).not_null())
                .col(ColumnDef::new(Installs::GrantedScope).text().not_null())
                .col(reference(Installs::CreatedBy))
                .col(at(Installs::CreatedAt))
                .col(at(Installs::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Installs::Table, Installs::TenantId)
                        .to(Tenants::Table, Tenants::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Installs::Table, Installs::AppId)
                        .to(Apps::Table, Apps::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Installs::Table, Installs::VersionId)
                        .to(AppVersions::Table, AppVersions::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_installs_tenant_app")
                .table(Installs::Table)
                .col(Installs::TenantId)
                .col(Installs::AppId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_installs_tenant_updated")
                .table(Installs::Table)
                .col(Installs::TenantId)
                .col(Installs::UpdatedAt)
                .col(Installs::Id)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ClientSecrets::Table)
                .col(id(ClientSecrets::Id))
                .col(reference(ClientSecrets::InstallId))
                .col(
                    ColumnDef::new(ClientSecrets::SecretHash)
                        .string_len(64)
                        .not_null(),
                )
                .col(at(ClientSecrets::CreatedAt))
                // Set when a newer secret replaces it: valid until then.
                .col(at_null(ClientSecrets::ExpiresAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(ClientSecrets::Table, ClientSecrets::InstallId)
                        .to(Installs::Table, Installs::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_client_secrets_install")
                .table(ClientSecrets::Table)
                .col(ClientSecrets::InstallId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(TenantKeys::Table)
                .col(id(TenantKeys::Id))
                .col(reference(TenantKeys::TenantId))
                .col(ColumnDef::new(TenantKeys::Name).string_len(100).not_null())
                .col(
                    ColumnDef::new(TenantKeys::TokenHash)
                        .string_len(64)
                        .not_null()
                        .unique_key(),
                )
                .col(
                    ColumnDef::new(TenantKeys::Scopes)
                        .string_len(200)
                        .not_null(),
                )
                .col(reference(TenantKeys::CreatedBy))
                .col(at(TenantKeys::CreatedAt))
                .col(at_null(TenantKeys::LastUsedAt))
                .col(at_null(TenantKeys::RevokedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(TenantKeys::Table, TenantKeys::TenantId)
                        .to(Tenants::Table, Tenants::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            TenantKeys::Table.into_iden(),
            ClientSecrets::Table.into_iden(),
            Installs::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}
#[derive(DeriveIden)]
enum Apps {
    Table,
    Id,
}
#[derive(DeriveIden)]
enum AppVersions {
    Table,
    Id,
}
#[derive(DeriveIden)]
enum Installs {
    Table,
    Id,
    TenantId,
    AppId,
    VersionId,
    PendingVersionId,
    ClientId,
    State,
    GrantedScope,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}
#[derive(DeriveIden)]
enum ClientSecrets {
    Table,
    Id,
    InstallId,
    SecretHash,
    CreatedAt,
    ExpiresAt,
}
#[derive(DeriveIden)]
enum TenantKeys {
    Table,
    Id,
    TenantId,
    Name,
    TokenHash,
    Scopes,
    CreatedBy,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}
