//! What the authorization-code flow keeps between requests: EHR launch
//! contexts (`POST /api/v1/launches`), authorizations on their way from
//! the authorize endpoint to a code and a token, and refresh tokens.
//! Secrets handed out (launch values, interaction handles, codes, refresh
//! tokens) are stored only as their SHA-256.

use sea_orm_migration::prelude::*;

use crate::columns::{at, at_null, reference};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000011_authorization"
    }
}

/// A SHA-256 in hex, as a primary key.
fn hash_key(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name)
        .string_len(64)
        .not_null()
        .primary_key()
        .to_owned()
}

fn client_id(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).string_len(64).not_null().to_owned()
}

fn tenant_key(
    table: impl IntoIden + 'static,
    column: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Tenants::Table, Tenants::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Launches::Table)
                .col(hash_key(Launches::Id))
                .col(reference(Launches::TenantId))
                .col(client_id(Launches::ClientId))
                // JSON: patient, encounter, fhirUser, need_patient_banner,
                // smart_style_url, fhirContext.
                .col(ColumnDef::new(Launches::Context).text().not_null())
                .col(at(Launches::ExpiresAt))
                .col(at_null(Launches::UsedAt))
                .col(at(Launches::CreatedAt))
                .foreign_key(&mut tenant_key(Launches::Table, Launches::TenantId))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Authorizations::Table)
                // The hash of the interaction handle the login and consent
                // pages carry.
                .col(hash_key(Authorizations::Id))
                .col(reference(Authorizations::TenantId))
                .col(client_id(Authorizations::ClientId))
                // JSON: the checked authorization request.
                .col(ColumnDef::new(Authorizations::Request).text().not_null())
                // The end user, once logged in.
                .col(ColumnDef::new(Authorizations::UserId).string_len(40).null())
                // JSON: what was consented to (scope, launch context).
                .col(ColumnDef::new(Authorizations::Grant).text().null())
                // The hash of the code, once consented.
                .col(
                    ColumnDef::new(Authorizations::CodeHash)
                        .string_len(64)
                        .null()
                        .unique_key(),
                )
                // Of the interaction, then of the code (60 s).
                .col(at(Authorizations::ExpiresAt))
                // When the code was exchanged.
                .col(at_null(Authorizations::UsedAt))
                // JSON: the access token (`jti`, `exp`) and refresh family
                // the code was exchanged for, to revoke on a second use.
                .col(ColumnDef::new(Authorizations::Issued).text().null())
                .col(at(Authorizations::CreatedAt))
                .foreign_key(&mut tenant_key(
                    Authorizations::Table,
                    Authorizations::TenantId,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("authorizations_expiry")
                .table(Authorizations::Table)
                .col(Authorizations::ExpiresAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RefreshTokens::Table)
                .col(hash_key(RefreshTokens::Id))
                // Every token rotated from one code shares the family.
                .col(reference(RefreshTokens::FamilyId))
                .col(reference(RefreshTokens::TenantId))
                .col(client_id(RefreshTokens::ClientId))
                // JSON: scope, end user, launch context.
                .col(ColumnDef::new(RefreshTokens::Grant).text().not_null())
                // The access token issued beside it.
                .col(
                    ColumnDef::new(RefreshTokens::AccessJti)
                        .string_len(64)
                        .not_null(),
                )
                .col(at(RefreshTokens::AccessExpiresAt))
                .col(at(RefreshTokens::ExpiresAt))
                // Set when it was exchanged for the next one.
                .col(at_null(RefreshTokens::UsedAt))
                // Set on the whole family when a used one came back.
                .col(at_null(RefreshTokens::RevokedAt))
                .col(at(RefreshTokens::CreatedAt))
                .foreign_key(&mut tenant_key(
                    RefreshTokens::Table,
                    RefreshTokens::TenantId,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("refresh_tokens_family")
                .table(RefreshTokens::Table)
                .col(RefreshTokens::FamilyId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RefreshTokens::Table.into_iden(),
            Authorizations::Table.into_iden(),
            Launches::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone)]
enum Launches {
    Table,
    Id,
    TenantId,
    ClientId,
    Context,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden, Clone)]
enum Authorizations {
    Table,
    Id,
    TenantId,
    ClientId,
    Request,
    UserId,
    Grant,
    CodeHash,
    ExpiresAt,
    UsedAt,
    Issued,
    CreatedAt,
}

#[derive(DeriveIden, Clone)]
enum RefreshTokens {
    Table,
    Id,
    FamilyId,
    TenantId,
    ClientId,
    Grant,
    AccessJti,
    AccessExpiresAt,
    ExpiresAt,
    UsedAt,
    RevokedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}
