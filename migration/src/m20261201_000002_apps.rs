//! Apps and their versions: a draft per app, frozen submissions, the
//! published version.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000002_apps"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Apps::Table)
                .col(
                    ColumnDef::new(Apps::Id)
                        .string_len(40)
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(Apps::PublisherId).string_len(40).not_null())
                .col(
                    ColumnDef::new(Apps::Slug)
                        .string_len(48)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(Apps::Status).string_len(16).not_null())
                .col(ColumnDef::new(Apps::DraftManifest).text().not_null())
                .col(
                    ColumnDef::new(Apps::PublishedVersionId)
                        .string_len(40)
                        .null(),
                )
                .col(
                    ColumnDef::new(Apps::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Apps::UpdatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Apps::Table, Apps::PublisherId)
                        .to(Publishers::Table, Publishers::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AppVersions::Table)
                .col(
                    ColumnDef::new(AppVersions::Id)
                        .string_len(40)
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(AppVersions::AppId).string_len(40).not_null())
                .col(ColumnDef::new(AppVersions::Number).integer().not_null())
                .col(ColumnDef::new(AppVersions::Manifest).text().not_null())
                .col(ColumnDef::new(AppVersions::State).string_len(16).not_null())
                .col(
                    ColumnDef::new(AppVersions::SubmittedBy)
                        .string_len(40)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(AppVersions::SubmittedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ColumnDef::new(AppVersions::DecidedBy).string_len(40).null())
                .col(
                    ColumnDef::new(AppVersions::DecidedAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(ColumnDef::new(AppVersions::RejectionReason).text().null())
                .foreign_key(
                    ForeignKey::create()
                        .from(AppVersions::Table, AppVersions::AppId)
                        .to(Apps::Table, Apps::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_app_versions_number")
                .table(AppVersions::Table)
                .col(AppVersions::AppId)
                .col(AppVersions::Number)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_app_versions_state")
                .table(AppVersions::Table)
                .col(AppVersions::State)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(AppVersions::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Apps::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Publishers {
    Table,
    Id,
}
#[derive(DeriveIden)]
enum Apps {
    Table,
    Id,
    PublisherId,
    Slug,
    Status,
    DraftManifest,
    PublishedVersionId,
    CreatedAt,
    UpdatedAt,
}
#[derive(DeriveIden)]
enum AppVersions {
    Table,
    Id,
    AppId,
    Number,
    Manifest,
    State,
    SubmittedBy,
    SubmittedAt,
    DecidedBy,
    DecidedAt,
    RejectionReason,
}
