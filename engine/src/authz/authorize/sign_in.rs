//! The sign-in step: the tenant's end user and password, throttled, and
//! whether this user may go on with this request.

use domain::ScopeSet;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::decide::wants_patient;
use super::{expired, to_json, Interaction, Outcome, Pending, Step};
use crate::authz::Issuer;
use crate::entity::{authorizations, tenant_users};
use crate::platform::throttle::{ACCOUNT_POLICY, ADDRESS_POLICY};
use crate::{platform::password, Engine, EngineError, EngineResult};

/// May this user choose the patient of a standalone launch? Clinicians
/// only: a patient is their own context, and a related person's links to
/// patients are not known here.
pub(super) fn chooses_patient(fhir_user: &str) -> bool {
    fhir_user.starts_with("Practitioner/") || fhir_user.starts_with("PractitionerRole/")
}

/// Why this end user may not go on with the request, if they may not: a
/// launch made for someone else, a patient signing in to another
/// patient's launch, or a patient context nobody can give them.
fn who_may_not_sign_in(pending: &Pending, fhir_user: &str) -> Option<String> {
    let context = &pending.context;
    if let Some(wanted) = &context.fhir_user {
        if wanted != fhir_user {
            return Some(format!(
                "This launch was made for {wanted}. Sign in as that user."
            ));
        }
    }
    if let (Some(own), Some(patient)) = (fhir_user.strip_prefix("Patient/"), &context.patient) {
        if own != patient {
            return Some(
                "This launch is for another patient. Sign in as that patient, or as a clinician."
                    .into(),
            );
        }
    }
    let wants = ScopeSet::parse(&pending.scope).is_ok_and(|s| wants_patient(&s));
    if wants
        && context.patient.is_none()
        && !fhir_user.starts_with("Patient/")
        && !chooses_patient(fhir_user)
    {
        return Some(
            "This app needs a patient: sign in as the patient, or as a clinician who chooses one."
                .into(),
        );
    }
    None
}

impl Engine {
    /// The sign-in step: the tenant's end user and password. Failures are
    /// throttled per username and per client address (`from`).
    pub async fn authorization_sign_in(
        &self,
        issuer: &Issuer,
        handle: &str,
        username: &str,
        password_text: &str,
        from: &str,
    ) -> EngineResult<Outcome> {
        let Some((row, mut pending, client)) = self.interaction(issuer, handle).await? else {
            return Ok(expired());
        };
        let username = username.trim().to_lowercase();
        let again = |pending: &Pending, error: String| {
            Outcome::Show(Interaction::new(
                issuer,
                handle,
                &client,
                pending,
                Step::SignIn {
                    username: username.clone(),
                    error: Some(error),
                },
            ))
        };
        if username.is_empty() || password_text.is_empty() {
            return Ok(again(&pending, "Enter your username and password.".into()));
        }
        let user_key = format!(
            "end-user:{}:{}",
            issuer.tenant_id,
            username.chars().take(64).collect::<String>()
        );
        let address_key = format!("end-user-ip:{}:{from}", issuer.tenant_id);
        match self.check_throttle(&[&user_key, &address_key]).await {
            Ok(()) => {}
            Err(EngineError::Throttled { retry_after_secs }) => {
                return Ok(again(
                    &pending,
                    format!("Too many failed sign-ins. Try again in {retry_after_secs} seconds."),
                ))
            }
            Err(other) => return Err(other),
        }
        let user = tenant_users::Entity::find()
            .filter(tenant_users::Column::TenantId.eq(issuer.tenant_id.as_str()))
            .filter(tenant_users::Column::Username.eq(username.as_str()))
            .one(self.db())
            .await?;
        let matches = password::verify(
            password_text,
            user.as_ref().map(|u| u.password_hash.as_str()),
        )
        .await?;
        let user = match user {
            Some(user) if matches => user,
            _ => {
                self.record_failure(&user_key, ACCOUNT_POLICY).await?;
                self.record_failure(&address_key, ADDRESS_POLICY).await?;
                return Ok(again(&pending, "The username or password is wrong.".into()));
            }
        };
        self.clear_failures(&user_key).await?;
        if let Some(refusal) = who_may_not_sign_in(&pending, &user.fhir_user) {
            return Ok(again(&pending, refusal));
        }
        pending.signed_in_at = Some(self.now().timestamp());
        authorizations::Entity::update_many()
            .col_expr(authorizations::Column::UserId, Expr::value(user.id.clone()))
            .col_expr(
                authorizations::Column::Request,
                Expr::value(to_json(&pending)?),
            )
            .filter(authorizations::Column::Id.eq(row.id))
            .exec(self.db())
            .await?;
        Ok(Outcome::Show(
            self.consent_page(issuer, handle, &client, &pending, &user, None)
                .await?,
        ))
    }
}
