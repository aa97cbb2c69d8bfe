//! The built-in authorization server's keys and token bookkeeping: each
//! tenant's signing keys (sealed under the master key), the access tokens
//! revoked before they expire, and the client assertions already used.

use sea_orm_migration::prelude::*;

use crate::columns::{at, at_null, id, reference};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000009_signing"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SigningKeys::Table)
                // The `kid`.
                .col(id(SigningKeys::Id))
                .col(reference(SigningKeys::TenantId))
                // ES256 (access tokens) or RS256 (id tokens).
                .col(ColumnDef::new(SigningKeys::Alg).string_len(8).not_null())
                // PKCS#8, sealed (AES-256-GCM) under a key derived from the
                // master key, base64.
                .col(ColumnDef::new(SigningKeys::PrivateKey).text().not_null())
                // The public JWK as JWKS serves it.
                .col(ColumnDef::new(SigningKeys::PublicJwk).text().not_null())
                .col(at(SigningKeys::CreatedAt))
                // Set when a newer key took over: this one signs no more and
                // is published until its last token has expired.
                .col(at_null(SigningKeys::RetiredAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(SigningKeys::Table, SigningKeys::TenantId)
                        .to(Tenants::Table, Tenants::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("signing_keys_tenant")
                .table(SigningKeys::Table)
                .col(SigningKeys::TenantId)
                .col(SigningKeys::CreatedAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RevokedTokens::Table)
                // The token's `jti`.
                .col(
                    ColumnDef::new(RevokedTokens::Jti)
                        .string_len(64)
                        .not_null()
                        .primary_key(),
                )
                .col(reference(RevokedTokens::TenantId))
                // When the token would have expired; the row can go then.
                .col(at(RevokedTokens::ExpiresAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(RevokedTokens::Table, RevokedTokens::TenantId)
                        .to(Tenants::Table, Tenants::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(UsedAssertions::Table)
                // SHA-256 of client id and the assertion's `jti`, hex.
                .col(
                    ColumnDef::new(UsedAssertions::Id)
                        .string_len(64)
                        .not_null()
                        .primary_key(),
                )
                // The assertion's `exp`: replays after it fail anyway.
                .col(at(UsedAssertions::ExpiresAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("used_assertions_expiry")
                .table(UsedAssertions::Table)
                .col(UsedAssertions::ExpiresAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            UsedAssertions::Table.into_iden(),
            RevokedTokens::Table.into_iden(),
            SigningKeys::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum SigningKeys {
    Table,
    Id,
    TenantId,
    Alg,
    PrivateKey,
    PublicJwk,
    CreatedAt,
    RetiredAt,
}

#[derive(DeriveIden)]
enum RevokedTokens {
    Table,
    Jti,
    TenantId,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum UsedAssertions {
    Table,
    Id,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}
