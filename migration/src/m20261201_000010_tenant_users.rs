//! The end users of each tenant's authorization server: who logs in at its
//! authorize endpoint (a clinician or a patient), with the FHIR resource
//! they are (`fhirUser`).

use sea_orm_migration::prelude::*;

use crate::columns::{at, id, reference};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000010_tenant_users"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(TenantUsers::Table)
                .col(id(TenantUsers::Id))
                .col(reference(TenantUsers::TenantId))
                // Lower-case; unique within the tenant.
                .col(
                    ColumnDef::new(TenantUsers::Username)
                        .string_len(64)
                        .not_null(),
                )
                // argon2id.
                .col(ColumnDef::new(TenantUsers::PasswordHash).text().not_null())
                // `Practitioner/123`, `Patient/456`, …
                .col(
                    ColumnDef::new(TenantUsers::FhirUser)
                        .string_len(200)
                        .not_null(),
                )
                .col(at(TenantUsers::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(TenantUsers::Table, TenantUsers::TenantId)
                        .to(Tenants::Table, Tenants::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("tenant_users_username")
                .table(TenantUsers::Table)
                .col(TenantUsers::TenantId)
                .col(TenantUsers::Username)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(TenantUsers::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum TenantUsers {
    Table,
    Id,
    TenantId,
    Username,
    PasswordHash,
    FhirUser,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}
