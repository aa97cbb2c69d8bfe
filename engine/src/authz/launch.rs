//! EHR launch contexts: the tenant's EHR says who and what an app is
//! opened for (`POST /api/v1/launches`), and gets back an opaque `launch`
//! value to put in the app's launch URL. The value is good once, for five
//! minutes, and only for the client it was made for; the authorize
//! endpoint turns it into the token's context.

use chrono::Duration;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::users::parse_fhir_user;
use crate::entity::launches;
use crate::platform::secret::{random_token, token_hash};
use crate::tenancy::TenantPrincipal;
use crate::{Engine, EngineError, EngineResult};

/// How long a `launch` value is good for.
pub const LAUNCH_LIFE_SECS: i64 = 300;

/// The most `fhirContext` entries one launch may carry.
const MAX_FHIR_CONTEXT: usize = 20;

/// What a launch tells the app (SMART App Launch 2.2 §"Launch context").
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LaunchContext {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encounter: Option<String>,
    /// The user the EHR launched for (`Practitioner/123`); only that end
    /// user may sign in to this launch.
    #[serde(default, rename = "fhirUser", skip_serializing_if = "Option::is_none")]
    pub fhir_user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub need_patient_banner: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smart_style_url: Option<String>,
    #[serde(
        default,
        rename = "fhirContext",
        skip_serializing_if = "Option::is_none"
    )]
    pub fhir_context: Option<Vec<Value>>,
}

/// What an EHR asks for: the client it launches and the context.
#[derive(Debug, Clone, Default)]
pub struct NewLaunch {
    pub client_id: Option<String>,
    pub context: LaunchContext,
}

/// A launch made: the value for the app's launch URL.
#[derive(Debug, Clone)]
pub struct LaunchCreated {
    pub launch: String,
    pub expires_in: i64,
}

/// A FHIR resource id: 1–64 letters, digits, `-` or `.`.
pub fn is_fhir_id(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'))
}

fn fhir_id(field: &'static str, what: &str, value: Option<String>) -> EngineResult<Option<String>> {
    match value.map(|v| v.trim().to_owned()) {
        None => Ok(None),
        Some(id) if is_fhir_id(&id) => Ok(Some(id)),
        Some(_) => Err(EngineError::invalid(
            field,
            format!("The {what} is a FHIR id: 1–64 letters, digits, `-` or `.` (e.g. `123`, not `Patient/123`)."),
        )),
    }
}

/// One `fhirContext` entry: an object with a `reference` (`Type/id`), a
/// `canonical` URL or an `identifier`, and optionally `type` and `role`.
fn fhir_context_entry(entry: &Value) -> Result<(), String> {
    let Some(object) = entry.as_object() else {
        return Err("each entry is an object, e.g. {\"reference\": \"Observation/7\"}".into());
    };
    for (name, value) in object {
        let fine = match name.as_str() {
            "reference" => value.as_str().is_some_and(|r| {
                r.split_once('/').is_some_and(|(t, id)| {
                    !t.is_empty() && t.chars().all(|c| c.is_ascii_alphabetic()) && is_fhir_id(id)
                })
            }),
            "canonical" => value
                .as_str()
                .is_some_and(|c| url::Url::parse(c).is_ok() && c.len() <= 500),
            "identifier" => value.is_object(),
            "type" | "role" => value.as_str().is_some_and(|s| !s.is_empty() && s.len() <= 200),
            _ => return Err(format!("`{name}` is not a fhirContext field (reference, canonical, identifier, type, role)")),
        };
        if !fine {
            return Err(format!("`{name}` has a value it cannot have"));
        }
    }
    if !["reference", "canonical", "identifier"]
        .iter()
        .any(|k| object.contains_key(*k))
    {
        return Err("each entry names a `reference`, `canonical` or `identifier`".into());
    }
    Ok(())
}

impl LaunchContext {
    /// The context as an EHR may give it, checked field by field.
    fn checked(self) -> EngineResult<Self> {
        let fhir_user = match self.fhir_user {
            None => None,
            Some(user) => Some(
                parse_fhir_user(&user)
                    .map_err(|e| EngineError::invalid("fhirUser", e.to_string()))?,
            ),
        };
        let smart_style_url = match self.smart_style_url {
            None => None,
            Some(text) => {
                let ok = url::Url::parse(&text)
                    .is_ok_and(|u| matches!(u.scheme(), "https" | "http") && text.len() <= 500);
                if !ok {
                    return Err(EngineError::invalid(
                        "smart_style_url",
                        "`smart_style_url` is an absolute http(s) URL of the EHR's style document.",
                    ));
                }
                Some(text)
            }
        };
        let fhir_context = match self.fhir_context {
            None => None,
            Some(entries) => {
                if entries.len() > MAX_FHIR_CONTEXT {
                    return Err(EngineError::invalid(
                        "fhirContext",
                        format!("At most {MAX_FHIR_CONTEXT} `fhirContext` entries."),
                    ));
                }
                for (i, entry) in entries.iter().enumerate() {
                    fhir_context_entry(entry).map_err(|why| {
                        EngineError::invalid("fhirContext", format!("`fhirContext[{i}]`: {why}."))
                    })?;
                }
                Some(entries)
            }
        };
        Ok(Self {
            patient: fhir_id("patient", "patient", self.patient)?,
            encounter: fhir_id("encounter", "encounter", self.encounter)?,
            fhir_user,
            need_patient_banner: self.need_patient_banner,
            smart_style_url,
            fhir_context,
        })
    }
}

impl Engine {
    /// `POST /api/v1/launches`: a launch context for one of the tenant's
    /// active installs (key scope `launch:write`).
    pub async fn create_launch(
        &self,
        key: &TenantPrincipal,
        request: NewLaunch,
    ) -> EngineResult<LaunchCreated> {
        key.require(domain::TokenScope::LaunchWrite)?;
        let client_id = request
            .client_id
            .filter(|c| !c.trim().is_empty())
            .ok_or_else(|| {
                EngineError::invalid("client_id", "Name the `client_id` of the app to launch.")
            })?;
        let context = request.context.checked()?;
        let issuer = self.issuer(&key.tenant_slug).await?;
        let client = self
            .client(&issuer, &client_id)
            .await
            .map_err(|e| match e {
                EngineError::NotFound(_) => {
                    EngineError::not_found("The tenant has no install with that client id.")
                }
                other => other,
            })?;
        if !client.is_active() {
            return Err(EngineError::conflict(
                "client_id",
                format!(
                    "The install of this app is {}: it cannot be launched.",
                    client.status
                ),
            ));
        }
        let launch = random_token();
        let now = self.now();
        let context = serde_json::to_string(&context)
            .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("a launch context: {e}")))?;
        launches::ActiveModel {
            id: Set(token_hash(&launch)),
            tenant_id: Set(key.tenant_id.clone()),
            client_id: Set(client.client_id.clone()),
            context: Set(context),
            expires_at: Set(now + Duration::seconds(LAUNCH_LIFE_SECS)),
            used_at: Set(None),
            created_at: Set(now),
        }
        .insert(self.db())
        .await?;
        Ok(LaunchCreated {
            launch,
            expires_in: LAUNCH_LIFE_SECS,
        })
    }

    /// The context of a `launch` value that is good for `client_id` now
    /// (not used, not expired), and its stored id; it stays unused.
    pub(crate) async fn launch_for(
        &self,
        tenant_id: &str,
        client_id: &str,
        launch: &str,
    ) -> EngineResult<Option<(String, LaunchContext)>> {
        let id = token_hash(launch);
        let Some(row) = launches::Entity::find_by_id(id.clone())
            .filter(launches::Column::TenantId.eq(tenant_id))
            .filter(launches::Column::ClientId.eq(client_id))
            .one(self.db())
            .await?
        else {
            return Ok(None);
        };
        if row.used_at.is_some() || row.expires_at <= self.now() {
            return Ok(None);
        }
        let context = serde_json::from_str(&row.context)
            .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("a stored launch: {e}")))?;
        Ok(Some((id, context)))
    }

    /// Uses the launch up: `false` when it was used (or ran out) already.
    pub(crate) async fn use_launch<C: sea_orm::ConnectionTrait>(
        &self,
        db: &C,
        id: &str,
    ) -> EngineResult<bool> {
        let now = self.now();
        let done = launches::Entity::update_many()
            .col_expr(
                launches::Column::UsedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(launches::Column::Id.eq(id))
            .filter(launches::Column::UsedAt.is_null())
            .filter(launches::Column::ExpiresAt.gt(now))
            .exec(db)
            .await?;
        Ok(done.rows_affected == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn launch_contexts_are_checked() {
        let good: LaunchContext = serde_json::from_value(json!({
            "patient": "123", "encounter": "e-1", "fhirUser": "Practitioner/9",
            "need_patient_banner": false, "smart_style_url": "https://ehr.example/style.json",
            "fhirContext": [{"reference": "Observation/7"}, {"canonical": "https://x.example/Q", "role": "launch"}]
        }))
        .unwrap();
        assert_eq!(good.clone().checked().unwrap(), good);
        let refused = |value: Value| {
            serde_json::from_value::<LaunchContext>(value)
                .unwrap()
                .checked()
                .unwrap_err()
                .field()
        };
        assert_eq!(refused(json!({"patient": "Patient/123"})), Some("patient"));
        assert_eq!(refused(json!({"encounter": "a b"})), Some("encounter"));
        assert_eq!(
            refused(json!({"fhirUser": "Observation/1"})),
            Some("fhirUser")
        );
        assert_eq!(
            refused(json!({"smart_style_url": "ftp://x"})),
            Some("smart_style_url")
        );
        for bad in [
            json!([1]),
            json!([{"type": "Observation"}]),
            json!([{"reference": "Observation"}]),
            json!([{"reference": "Observation/7", "extra": 1}]),
        ] {
            assert_eq!(refused(json!({ "fhirContext": bad })), Some("fhirContext"));
        }
    }
}
