//! Uploaded files (app logos), stored by the SHA-256 of their content, and
//! the logo of each app's draft and of each frozen version.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000005_media"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Media::Table)
                .col(
                    ColumnDef::new(Media::Id)
                        .string_len(64)
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(Media::ContentType).string_len(32).not_null())
                .col(ColumnDef::new(Media::Bytes).binary().not_null())
                .col(
                    ColumnDef::new(Media::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        // One column per statement: SQLite alters a table one column at a time.
        m.alter_table(
            Table::alter()
                .table(Apps::Table)
                .add_column(ColumnDef::new(Apps::DraftLogoId).string_len(64).null())
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(AppVersions::Table)
                .add_column(ColumnDef::new(AppVersions::LogoId).string_len(64).null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(AppVersions::Table)
                .drop_column(AppVersions::LogoId)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Apps::Table)
                .drop_column(Apps::DraftLogoId)
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table(Media::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Media {
    Table,
    Id,
    ContentType,
    Bytes,
    CreatedAt,
}
#[derive(DeriveIden)]
enum Apps {
    Table,
    DraftLogoId,
}
#[derive(DeriveIden)]
enum AppVersions {
    Table,
    LogoId,
}
