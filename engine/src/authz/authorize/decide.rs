//! The consent step: what the app asks for in plain words, the patient
//! chosen where one is needed, and the person's decision — a code for the
//! app, or a refusal on its redirect URI.

use chrono::Duration;
use domain::{ScopeContext, ScopeSet, SmartScope};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde_json::json;

use super::sign_in::chooses_patient;
use super::{
    error_redirect, expired, redirect, to_app, to_json, Grant, Interaction, Outcome, PatientChoice,
    Pending, RedirectError, Step, CODE_LIFE_SECS,
};
use crate::authz::client::Client;
use crate::authz::launch::is_fhir_id;
use crate::authz::Issuer;
use crate::entity::{authorizations, tenant_users};
use crate::platform::secret::{random_token, token_hash};
use crate::{platform::audit, Engine, EngineError, EngineResult};

/// Does the grant need a patient in context: `launch/patient`, or a
/// `patient/` resource scope?
pub(super) fn wants_patient(scope: &ScopeSet) -> bool {
    scope.scopes().iter().any(|s| match s {
        SmartScope::LaunchPatient => true,
        SmartScope::Clinical(c) => c.context == ScopeContext::Patient,
        _ => false,
    })
}

pub(super) fn describe(scope: &ScopeSet) -> Vec<(String, String)> {
    scope
        .scopes()
        .iter()
        .map(|s| (s.to_string(), s.describe()))
        .collect()
}

impl Engine {
    /// The consent step: allow (with the patient, where one is chosen) or
    /// deny. Allowing issues the code.
    pub async fn authorization_decide(
        &self,
        issuer: &Issuer,
        handle: &str,
        allow: bool,
        patient: Option<&str>,
    ) -> EngineResult<Outcome> {
        let Some((row, pending, client)) = self.interaction(issuer, handle).await? else {
            return Ok(expired());
        };
        let Some(user) = self.end_user(&row).await? else {
            return Ok(Outcome::Refused("Sign in first.".into()));
        };
        let state = pending.state.as_deref();
        let back = |e: RedirectError| {
            Outcome::Redirect(error_redirect(issuer, &pending.redirect_uri, state, e))
        };
        let detail = |scope: &str| json!({ "client_id": client.client_id, "user": user.username, "scope": scope });
        if !allow {
            authorizations::Entity::delete_by_id(row.id.clone())
                .exec(self.db())
                .await?;
            audit::record(
                self.db(),
                self.now(),
                audit::Event::in_tenant(
                    None,
                    &issuer.tenant_id,
                    "consent.denied",
                    ("install", &client.install_id),
                    detail(&pending.scope),
                ),
            )
            .await?;
            return Ok(back(to_app(
                "access_denied",
                "The user did not allow the app access.",
            )));
        }

        let mut scope = ScopeSet::parse(&pending.scope)
            .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("a stored scope: {e}")))?;
        let mut context = pending.context.clone();
        if context.patient.is_none() && wants_patient(&scope) {
            match user.fhir_user.strip_prefix("Patient/") {
                Some(own) => context.patient = Some(own.to_owned()),
                None => {
                    let chosen = patient.map(str::trim).unwrap_or_default();
                    if !is_fhir_id(chosen) {
                        let error = if chosen.is_empty() {
                            "Choose the patient the app is for."
                        } else {
                            "A patient id is 1–64 letters, digits, `-` or `.`."
                        };
                        let choice = PatientChoice {
                            value: chosen.to_owned(),
                            error: Some(error.into()),
                            ..Default::default()
                        };
                        return Ok(Outcome::Show(
                            self.consent_page(
                                issuer,
                                handle,
                                &client,
                                &pending,
                                &user,
                                Some(choice),
                            )
                            .await?,
                        ));
                    }
                    context.patient = Some(chosen.to_owned());
                }
            }
        }
        // A context the server could not give is not claimed.
        scope = ScopeSet::parse(
            &scope
                .scopes()
                .iter()
                .filter(|s| match s {
                    SmartScope::LaunchPatient => context.patient.is_some(),
                    SmartScope::LaunchEncounter => context.encounter.is_some(),
                    _ => true,
                })
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(" "),
        )
        .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("a scope: {e}")))?;
        if scope.is_empty() {
            return Ok(back(to_app(
                "invalid_scope",
                "The app asked only for a launch context there is none of.",
            )));
        }
        let grant = Grant {
            scope: scope.to_string(),
            user_id: user.id.clone(),
            fhir_user: user.fhir_user.clone(),
            context,
            nonce: pending.nonce.clone(),
            auth_time: pending
                .signed_in_at
                .unwrap_or_else(|| self.now().timestamp()),
        };
        let code = random_token();
        let now = self.now();
        let txn = self.db().begin().await?;
        if let Some(launch) = &pending.launch {
            if !self.use_launch(&txn, launch).await? {
                drop(txn);
                return Ok(back(to_app(
                    "invalid_request",
                    "The `launch` was used already or has expired: launch the app again from the EHR.",
                )));
            }
        }
        let decided = authorizations::Entity::update_many()
            .col_expr(
                authorizations::Column::CodeHash,
                Expr::value(token_hash(&code)),
            )
            .col_expr(authorizations::Column::Grant, Expr::value(to_json(&grant)?))
            .col_expr(
                authorizations::Column::ExpiresAt,
                Expr::value(now + Duration::seconds(CODE_LIFE_SECS)),
            )
            .filter(authorizations::Column::Id.eq(row.id.clone()))
            .filter(authorizations::Column::CodeHash.is_null())
            .exec(&txn)
            .await?;
        if decided.rows_affected != 1 {
            return Ok(Outcome::Refused("This request was decided already.".into()));
        }
        audit::record(
            &txn,
            now,
            audit::Event::in_tenant(
                None,
                &issuer.tenant_id,
                "consent.granted",
                ("install", &client.install_id),
                detail(&grant.scope),
            ),
        )
        .await?;
        txn.commit().await?;
        let mut params = vec![("code", code.as_str())];
        if let Some(state) = state {
            params.push(("state", state));
        }
        params.push(("iss", issuer.url.as_str()));
        Ok(Outcome::Redirect(redirect(&pending.redirect_uri, &params)))
    }

    pub(super) async fn consent_page(
        &self,
        issuer: &Issuer,
        handle: &str,
        client: &Client,
        pending: &Pending,
        user: &tenant_users::Model,
        choice: Option<PatientChoice>,
    ) -> EngineResult<Box<Interaction>> {
        let scope = ScopeSet::parse(&pending.scope)
            .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("a stored scope: {e}")))?;
        let needs_choice = pending.context.patient.is_none() && wants_patient(&scope);
        let patient_choice = if needs_choice && chooses_patient(&user.fhir_user) {
            let mut choice = choice.unwrap_or_default();
            choice.known = tenant_users::Entity::find()
                .filter(tenant_users::Column::TenantId.eq(issuer.tenant_id.as_str()))
                .filter(tenant_users::Column::FhirUser.starts_with("Patient/"))
                .all(self.db())
                .await?
                .into_iter()
                .filter_map(|u| {
                    u.fhir_user
                        .strip_prefix("Patient/")
                        .map(|id| (id.to_owned(), u.username.clone()))
                })
                .collect();
            Some(choice)
        } else {
            None
        };
        Ok(Interaction::new(
            issuer,
            handle,
            client,
            pending,
            Step::Consent {
                username: user.username.clone(),
                fhir_user: user.fhir_user.clone(),
                patient_choice,
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patient_context_is_wanted_for_patient_scopes() {
        let set = |s: &str| ScopeSet::parse(s).unwrap();
        assert!(wants_patient(&set("launch/patient openid")));
        assert!(wants_patient(&set("patient/Observation.rs")));
        assert!(!wants_patient(&set("user/Observation.rs openid fhirUser")));
    }
}
