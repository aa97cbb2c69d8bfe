//! Column shapes every table uses.

use sea_orm_migration::prelude::*;

/// A text primary key (`usr_…` ids).
pub fn id(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name)
        .string_len(40)
        .not_null()
        .primary_key()
        .to_owned()
}

/// A required id of another row.
pub fn reference(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).string_len(40).not_null().to_owned()
}

pub fn at(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

pub fn at_null(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}
