//! Accounts, one-time email tokens, login throttling, the mail outbox,
//! publisher organisations, tenants, memberships and personal access tokens.

use sea_orm_migration::prelude::*;

use crate::columns::{at, at_null, id, reference};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000001_accounts"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(id(Users::Id))
                .col(
                    ColumnDef::new(Users::Email)
                        .string_len(254)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(Users::PasswordHash).string().not_null())
                .col(at_null(Users::EmailVerifiedAt))
                .col(ColumnDef::new(Users::PlatformRole).string_len(16).null())
                // Bumped when the password changes: sessions from before end.
                .col(
                    ColumnDef::new(Users::SessionEpoch)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(at(Users::CreatedAt))
                .col(at(Users::UpdatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(EmailTokens::Table)
                .col(id(EmailTokens::Id))
                .col(reference(EmailTokens::UserId))
                .col(
                    ColumnDef::new(EmailTokens::Purpose)
                        .string_len(16)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(EmailTokens::TokenHash)
                        .string_len(64)
                        .not_null()
                        .unique_key(),
                )
                .col(at(EmailTokens::ExpiresAt))
                .col(at_null(EmailTokens::UsedAt))
                .col(at(EmailTokens::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(EmailTokens::Table, EmailTokens::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(LoginThrottle::Table)
                .col(
                    ColumnDef::new(LoginThrottle::Key)
                        .string_len(300)
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(LoginThrottle::Failures).integer().not_null())
                .col(at(LoginThrottle::WindowStartedAt))
                .col(at(LoginThrottle::LastFailureAt))
                .col(at_null(LoginThrottle::BlockedUntil))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(MailOutbox::Table)
                .col(id(MailOutbox::Id))
                .col(
                    ColumnDef::new(MailOutbox::ToAddress)
                        .string_len(254)
                        .not_null(),
                )
                .col(ColumnDef::new(MailOutbox::Subject).string().not_null())
                .col(ColumnDef::new(MailOutbox::BodyText).text().not_null())
                .col(ColumnDef::new(MailOutbox::Attempts).integer().not_null())
                .col(at(MailOutbox::NextAttemptAt))
                .col(at_null(MailOutbox::LockedUntil))
                .col(at_null(MailOutbox::SentAt))
                .col(ColumnDef::new(MailOutbox::LastError).text().null())
                .col(at(MailOutbox::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_mail_outbox_due")
                .table(MailOutbox::Table)
                .col(MailOutbox::SentAt)
                .col(MailOutbox::NextAttemptAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Publishers::Table)
                .col(id(Publishers::Id))
                .col(
                    ColumnDef::new(Publishers::Slug)
                        .string_len(48)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(Publishers::Name).string_len(120).not_null())
                .col(at(Publishers::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PublisherMembers::Table)
                .col(reference(PublisherMembers::PublisherId))
                .col(reference(PublisherMembers::UserId))
                .col(
                    ColumnDef::new(PublisherMembers::Role)
                        .string_len(16)
                        .not_null(),
                )
                .col(at(PublisherMembers::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(PublisherMembers::PublisherId)
                        .col(PublisherMembers::UserId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(PublisherMembers::Table, PublisherMembers::PublisherId)
                        .to(Publishers::Table, Publishers::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(PublisherMembers::Table, PublisherMembers::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Tenants::Table)
                .col(id(Tenants::Id))
                .col(
                    ColumnDef::new(Tenants::Slug)
                        .string_len(48)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(Tenants::Name).string_len(120).not_null())
                .col(at(Tenants::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(TenantMembers::Table)
                .col(reference(TenantMembers::TenantId))
                .col(reference(TenantMembers::UserId))
                .col(
                    ColumnDef::new(TenantMembers::Role)
                        .string_len(16)
                        .not_null(),
                )
                .col(at(TenantMembers::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(TenantMembers::TenantId)
                        .col(TenantMembers::UserId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(TenantMembers::Table, TenantMembers::TenantId)
                        .to(Tenants::Table, Tenants::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(TenantMembers::Table, TenantMembers::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Invitations::Table)
                .col(id(Invitations::Id))
                .col(ColumnDef::new(Invitations::Kind).string_len(16).not_null())
                .col(reference(Invitations::TargetId))
                .col(
                    ColumnDef::new(Invitations::Email)
                        .string_len(254)
                        .not_null(),
                )
                .col(ColumnDef::new(Invitations::Role).string_len(16).not_null())
                .col(at(Invitations::CreatedAt))
                .col(at_null(Invitations::AcceptedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_invitations_email")
                .table(Invitations::Table)
                .col(Invitations::Email)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ApiTokens::Table)
                .col(id(ApiTokens::Id))
                .col(reference(ApiTokens::UserId))
                .col(ColumnDef::new(ApiTokens::Name).string_len(100).not_null())
                .col(
                    ColumnDef::new(ApiTokens::TokenHash)
                        .string_len(64)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(ApiTokens::Scopes).string().not_null())
                .col(at(ApiTokens::CreatedAt))
                .col(at_null(ApiTokens::ExpiresAt))
                .col(at_null(ApiTokens::LastUsedAt))
                .col(at_null(ApiTokens::RevokedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(ApiTokens::Table, ApiTokens::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ApiTokens::Table.into_iden(),
            Invitations::Table.into_iden(),
            TenantMembers::Table.into_iden(),
            Tenants::Table.into_iden(),
            PublisherMembers::Table.into_iden(),
            Publishers::Table.into_iden(),
            MailOutbox::Table.into_iden(),
            LoginThrottle::Table.into_iden(),
            EmailTokens::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    PasswordHash,
    EmailVerifiedAt,
    PlatformRole,
    SessionEpoch,
    CreatedAt,
    UpdatedAt,
}
#[derive(DeriveIden)]
enum EmailTokens {
    Table,
    Id,
    UserId,
    Purpose,
    TokenHash,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}
#[derive(DeriveIden)]
enum LoginThrottle {
    Table,
    Key,
    Failures,
    WindowStartedAt,
    LastFailureAt,
    BlockedUntil,
}
#[derive(DeriveIden)]
enum MailOutbox {
    Table,
    Id,
    ToAddress,
    Subject,
    BodyText,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    SentAt,
    LastError,
    CreatedAt,
}
#[derive(DeriveIden)]
enum Publishers {
    Table,
    Id,
    Slug,
    Name,
    CreatedAt,
}
#[derive(DeriveIden)]
enum PublisherMembers {
    Table,
    PublisherId,
    UserId,
    Role,
    CreatedAt,
}
#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    Slug,
    Name,
    CreatedAt,
}
#[derive(DeriveIden)]
enum TenantMembers {
    Table,
    TenantId,
    UserId,
    Role,
    CreatedAt,
}
#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
    Kind,
    TargetId,
    Email,
    Role,
    CreatedAt,
    AcceptedAt,
}
#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    UserId,
    Name,
    TokenHash,
    Scopes,
    CreatedAt,
    ExpiresAt,
    LastUsedAt,
    RevokedAt,
}
