//! The end users of a tenant's authorization server: the clinicians and
//! patients who log in at its authorize endpoint. Each has a username
//! (unique in the tenant), a password (argon2id) and the FHIR resource they
//! are (`fhirUser`, e.g. `Practitioner/123` or `Patient/456`), which tokens
//! and id tokens carry.

use chrono::{DateTime, Utc};
use domain::NewPassword;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde_json::json;

use crate::entity::tenant_users;
use crate::platform::secret::new_id;
use crate::tenancy::Tenant;
use crate::{platform::audit, platform::password, Engine, EngineError, EngineResult};

/// The resource types a `fhirUser` may name (SMART App Launch).
pub const FHIR_USER_TYPES: &[&str] = &[
    "Practitioner",
    "PractitionerRole",
    "Patient",
    "RelatedPerson",
    "Person",
];

/// An end user as listed (never the password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantUser {
    pub id: String,
    pub username: String,
    pub fhir_user: String,
    pub created_at: DateTime<Utc>,
}

impl From<tenant_users::Model> for TenantUser {
    fn from(row: tenant_users::Model) -> Self {
        Self {
            id: row.id,
            username: row.username,
            fhir_user: row.fhir_user,
            created_at: row.created_at,
        }
    }
}

/// A username: 1–64 letters, digits, `.`, `_` or `-`, kept lower-case.
fn parse_username(input: &str) -> EngineResult<String> {
    let name = input.trim().to_lowercase();
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if valid {
        Ok(name)
    } else {
        Err(EngineError::invalid(
            "username",
            "Use 1–64 letters, digits, dots, underscores or hyphens.",
        ))
    }
}

/// A `fhirUser`: `Type/id` with a type from [`FHIR_USER_TYPES`] and a
/// FHIR id (1–64 letters, digits, `-` or `.`).
pub fn parse_fhir_user(input: &str) -> EngineResult<String> {
    let text = input.trim();
    let refuse = || {
        EngineError::invalid(
            "fhir_user",
            format!(
                "`{text}` is not a FHIR user reference: write Type/id, with the type one of {}, e.g. Practitioner/123.",
                FHIR_USER_TYPES.join(", ")
            ),
        )
    };
    let (kind, id) = text.split_once('/').ok_or_else(refuse)?;
    let id_ok = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'));
    if FHIR_USER_TYPES.contains(&kind) && id_ok {
        Ok(text.to_owned())
    } else {
        Err(refuse())
    }
}

impl Engine {
    /// The tenant's end users, by username.
    pub async fn tenant_users(&self, tenant: &Tenant) -> EngineResult<Vec<TenantUser>> {
        Ok(tenant_users::Entity::find()
            .filter(tenant_users::Column::TenantId.eq(tenant.id()))
            .order_by_asc(tenant_users::Column::Username)
            .all(self.db())
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Adds an end user (admins; not API keys). A taken username is a
    /// conflict; a weak password or a bad `fhirUser` is refused by field.
    pub async fn create_tenant_user(
        &self,
        tenant: &Tenant,
        username: &str,
        password: &str,
        fhir_user: &str,
    ) -> EngineResult<TenantUser> {
        tenant.require_member_admin()?;
        let username = parse_username(username)?;
        let fhir_user = parse_fhir_user(fhir_user)?;
        let secret = NewPassword::parse(password)
            .map_err(|e| EngineError::invalid("password", e.to_string()))?;
        password::check_not_common(&secret, &[username.as_str(), tenant.slug()])
            .map_err(|e| EngineError::invalid("password", e.to_string()))?;
        let taken = || {
            EngineError::conflict(
                "username",
                format!("The tenant has a user `{username}` already."),
            )
        };
        if tenant_users::Entity::find()
            .filter(tenant_users::Column::TenantId.eq(tenant.id()))
            .filter(tenant_users::Column::Username.eq(username.as_str()))
            .one(self.db())
            .await?
            .is_some()
        {
            return Err(taken());
        }
        let hash = password::hash(secret.expose()).await?;
        let now = self.now();
        let txn = self.db().begin().await?;
        let row = tenant_users::ActiveModel {
            id: Set(new_id("eu")),
            tenant_id: Set(tenant.id().to_owned()),
            username: Set(username.clone()),
            password_hash: Set(hash),
            fhir_user: Set(fhir_user.clone()),
            created_at: Set(now),
        }
        .insert(&txn)
        .await
        // Two admins adding the same name at once: the index decides.
        .map_err(|_| taken())?;
        audit::record(
            &txn,
            now,
            audit::Event::by(
                tenant,
                "user.created",
                ("user", &row.id),
                json!({ "username": username, "fhir_user": fhir_user }),
            ),
        )
        .await?;
        txn.commit().await?;
        Ok(row.into())
    }

    /// Removes an end user; another tenant's is not found.
    pub async fn remove_tenant_user(&self, tenant: &Tenant, id: &str) -> EngineResult<()> {
        tenant.require_member_admin()?;
        let row = tenant_users::Entity::find_by_id(id.to_owned())
            .filter(tenant_users::Column::TenantId.eq(tenant.id()))
            .one(self.db())
            .await?
            .ok_or_else(|| EngineError::not_found("The tenant has no such user."))?;
        let txn = self.db().begin().await?;
        tenant_users::Entity::delete_by_id(row.id.clone())
            .exec(&txn)
            .await?;
        audit::record(
            &txn,
            self.now(),
            audit::Event::by(
                tenant,
                "user.removed",
                ("user", &row.id),
                json!({ "username": row.username }),
            ),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_and_fhir_users_are_checked() {
        assert_eq!(parse_username(" Dr.Chen ").unwrap(), "dr.chen");
        for bad in ["", "a b", "ümlaut", &"x".repeat(65)] {
            assert!(parse_username(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_fhir_user("Practitioner/123").unwrap(),
            "Practitioner/123"
        );
        assert_eq!(
            parse_fhir_user(" Patient/abc-1.2 ").unwrap(),
            "Patient/abc-1.2"
        );
        for bad in [
            "Patient",
            "Observation/1",
            "Patient/",
            "Patient/a b",
            "patient/1",
        ] {
            let err = parse_fhir_user(bad).unwrap_err();
            assert_eq!(err.field(), Some("fhir_user"), "{bad}");
        }
    }
}
