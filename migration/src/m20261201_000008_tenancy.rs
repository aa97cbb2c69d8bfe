//! What a tenant is beyond its name: its FHIR base URLs, the sandbox of a
//! publisher, applications from health systems, and where audited actions
//! came from.

use sea_orm_migration::prelude::*;

use crate::columns::{at, at_null, id, reference};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000008_tenancy"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column at a time.
        m.alter_table(
            Table::alter()
                .table(Tenants::Table)
                // A JSON array of absolute URLs: the FHIR servers the
                // tenant's tokens are for (the `aud` of SMART App Launch).
                .add_column(
                    ColumnDef::new(Tenants::FhirBaseUrls)
                        .text()
                        .not_null()
                        .default("[]"),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Tenants::Table)
                .add_column(
                    ColumnDef::new(Tenants::SandboxPublisherId)
                        .string_len(40)
                        .null(),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Tenants::Table)
                // Moves with every change of the tenant's registrations
                // and keys, so that caches notice them.
                .add_column(
                    ColumnDef::new(Tenants::RegistryVersion)
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("tenants_sandbox_publisher")
                .table(Tenants::Table)
                .col(Tenants::SandboxPublisherId)
                .unique()
                .to_owned(),
        )
        .await?;
        // Every publisher that exists already gets its sandbox.
        m.get_connection()
            .execute_unprepared(
                "INSERT INTO tenants (id, slug, name, created_at, fhir_base_urls, sandbox_publisher_id) \
                 SELECT 'ten_sbx_' || p.id, 'sandbox-' || p.slug, p.name || ' sandbox', p.created_at, '[]', p.id \
                 FROM publishers p \
                 WHERE NOT EXISTS (SELECT 1 FROM tenants t WHERE t.sandbox_publisher_id = p.id)",
            )
            .await?;

        m.alter_table(
            Table::alter()
                .table(AuditEvents::Table)
                // The client address the change was asked from.
                .add_column(ColumnDef::new(AuditEvents::Origin).string_len(64).null())
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(AuditEvents::Table)
                // For actions by a tenant API key: its name at the time.
                .add_column(
                    ColumnDef::new(AuditEvents::ActorKeyName)
                        .string_len(80)
                        .null(),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(TenantApplications::Table)
                .col(id(TenantApplications::Id))
                .col(reference(TenantApplications::UserId))
                .col(
                    ColumnDef::new(TenantApplications::Slug)
                        .string_len(40)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(TenantApplications::Name)
                        .string_len(120)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(TenantApplications::FhirBaseUrls)
                        .text()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(TenantApplications::Message)
                        .text()
                        .not_null(),
                )
                // pending, approved or rejected.
                .col(
                    ColumnDef::new(TenantApplications::State)
                        .string_len(16)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(TenantApplications::DecidedBy)
                        .string_len(40)
                        .null(),
                )
                .col(at_null(TenantApplications::DecidedAt))
                .col(ColumnDef::new(TenantApplications::Reason).text().null())
                .col(at(TenantApplications::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(TenantApplications::Table, TenantApplications::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("tenant_applications_state")
                .table(TenantApplications::Table)
                .col(TenantApplications::State)
                .col(TenantApplications::CreatedAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(TenantApplications::Table).to_owned())
            .await?;
        m.get_connection()
            .execute_unprepared("DELETE FROM tenants WHERE sandbox_publisher_id IS NOT NULL")
            .await?;
        m.drop_index(
            Index::drop()
                .name("tenants_sandbox_publisher")
                .table(Tenants::Table)
                .to_owned(),
        )
        .await?;
        for column in [
            Tenants::RegistryVersion,
            Tenants::SandboxPublisherId,
            Tenants::FhirBaseUrls,
        ] {
            m.alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
        }
        for column in [AuditEvents::Origin, AuditEvents::ActorKeyName] {
            m.alter_table(
                Table::alter()
                    .table(AuditEvents::Table)
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    FhirBaseUrls,
    SandboxPublisherId,
    RegistryVersion,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Origin,
    ActorKeyName,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum TenantApplications {
    Table,
    Id,
    UserId,
    Slug,
    Name,
    FhirBaseUrls,
    Message,
    State,
    DecidedBy,
    DecidedAt,
    Reason,
    CreatedAt,
}
