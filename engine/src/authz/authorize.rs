//! The authorize endpoint (RFC 6749 §4.1 with PKCE, SMART App Launch 2.2):
//! an app sends the person here; they sign in as one of the tenant's end
//! users, see what the app asks for in plain words, and allow or deny it.
//! Allowing sends a code (good once, for 60 seconds) to the app's
//! registered redirect URI.
//!
//! Until the redirect URI is known to be one the app registered, nothing
//! is sent to the app: the person sees a page saying why. After that,
//! every refusal goes back to the app as an `error` on its redirect URI,
//! with `state` and `iss` (RFC 9207).
//!
//! A request lives in the `authorizations` table from the first step to
//! the code's exchange; the pages carry only an opaque handle to it.

use chrono::Duration;
use domain::{ScopeContext, ScopeSet, SmartScope};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::client::Client;
use super::launch::{is_fhir_id, LaunchContext};
use super::Issuer;
use crate::entity::{authorizations, tenant_users};
use crate::secret::{random_token, token_hash};
use crate::throttle::{ACCOUNT_POLICY, ADDRESS_POLICY};
use crate::{audit, password, Engine, EngineError, EngineResult};

/// How long a person has to sign in and decide.
const INTERACTION_LIFE: Duration = Duration::minutes(10);
/// How long a code is good for.
pub const CODE_LIFE_SECS: i64 = 60;

/// The parameters of an authorization request, from the query (GET) or
/// the form body (POST).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct AuthorizeParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub aud: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub launch: Option<String>,
    pub nonce: Option<String>,
}

/// What a step of the flow leads to.
#[derive(Debug)]
pub enum Outcome {
    /// A page for the person: signing in or consenting.
    Show(Box<Interaction>),
    /// Back to the app, at this URL (a code, or an error).
    Redirect(String),
    /// A dead end that must not go to the app: the person reads why.
    Refused(String),
}

/// What the sign-in and consent pages show.
#[derive(Debug)]
pub struct Interaction {
    /// The opaque handle the page posts back.
    pub handle: String,
    pub tenant_name: String,
    pub client_name: String,
    /// Where the app's redirect URI is (pages must allow forms to lead there).
    pub redirect_origin: String,
    /// The scopes asked for and granted by the tenant: the scope, and
    /// what it lets the app do in plain words.
    pub scopes: Vec<(String, String)>,
    pub step: Step,
}

impl Interaction {
    fn new(
        issuer: &Issuer,
        handle: &str,
        client: &Client,
        pending: &Pending,
        step: Step,
    ) -> Box<Self> {
        Box::new(Self {
            handle: handle.to_owned(),
            tenant_name: issuer.name.clone(),
            client_name: client.client_name.clone(),
            redirect_origin: origin(&pending.redirect_uri),
            scopes: ScopeSet::parse(&pending.scope)
                .map(|s| describe(&s))
                .unwrap_or_default(),
            step,
        })
    }
}

#[derive(Debug)]
pub enum Step {
    SignIn {
        username: String,
        error: Option<String>,
    },
    Consent {
        username: String,
        fhir_user: String,
        /// When the person (not a patient themselves) must say which
        /// patient the app is for.
        patient_choice: Option<PatientChoice>,
    },
}

/// A practitioner choosing the patient for a standalone launch.
#[derive(Debug, Default)]
pub struct PatientChoice {
    /// The tenant's patient end users: FHIR id and username.
    pub known: Vec<(String, String)>,
    pub value: String,
    pub error: Option<String>,
}

/// A checked authorization request, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Pending {
    pub redirect_uri: String,
    state: Option<String>,
    /// What was asked for, cut to what the install grants.
    scope: String,
    pub code_challenge: String,
    nonce: Option<String>,
    /// The launch this is for (its stored id), used up at consent.
    launch: Option<String>,
    context: LaunchContext,
    /// When the end user signed in (seconds), for the id token's
    /// `auth_time`.
    #[serde(default)]
    signed_in_at: Option<i64>,
}

/// What the person consented to, carried by the code and then by the
/// refresh tokens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Grant {
    pub scope: String,
    pub user_id: String,
    pub fhir_user: String,
    pub context: LaunchContext,
    pub nonce: Option<String>,
    pub auth_time: i64,
}

/// An OAuth error for the app's redirect URI.
struct RedirectError {
    error: &'static str,
    description: String,
}

fn to_app(error: &'static str, description: impl Into<String>) -> RedirectError {
    RedirectError {
        error,
        description: description.into(),
    }
}

/// `redirect_uri` with `params` added to its query.
fn redirect(redirect_uri: &str, params: &[(&str, &str)]) -> String {
    match url::Url::parse(redirect_uri) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(params);
            url.to_string()
        }
        // Registered URIs are absolute URLs; this is not reached.
        Err(_) => redirect_uri.to_owned(),
    }
}

fn error_redirect(
    issuer: &Issuer,
    pending_uri: &str,
    state: Option<&str>,
    e: RedirectError,
) -> String {
    let mut params = vec![
        ("error", e.error),
        ("error_description", e.description.as_str()),
    ];
    if let Some(state) = state {
        params.push(("state", state));
    }
    params.push(("iss", issuer.url.as_str()));
    redirect(pending_uri, &params)
}

/// What a page's `form-action` must allow for the redirect to `uri`: its
/// origin, or for a native app's private-use scheme the scheme.
fn origin(uri: &str) -> String {
    match url::Url::parse(uri) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u.origin().ascii_serialization(),
        Ok(u) => format!("{}:", u.scheme()),
        Err(_) => String::new(),
    }
}

/// A PKCE S256 challenge: 43 base64url characters (a SHA-256).
fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
}

fn same_url(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// Does the grant need a patient in context: `launch/patient`, or a
/// `patient/` resource scope?
fn wants_patient(scope: &ScopeSet) -> bool {
    scope.scopes().iter().any(|s| match s {
        SmartScope::LaunchPatient => true,
        SmartScope::Clinical(c) => c.context == ScopeContext::Patient,
        _ => false,
    })
}

/// May this user choose the patient of a standalone launch? Clinicians
/// only: a patient is their own context, and a related person's links to
/// patients are not known here.
fn chooses_patient(fhir_user: &str) -> bool {
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

fn describe(scope: &ScopeSet) -> Vec<(String, String)> {
    scope
        .scopes()
        .iter()
        .map(|s| (s.to_string(), s.describe()))
        .collect()
}

/// The request's checks that end in a refusal sent to the app.
fn check_request(
    issuer: &Issuer,
    client: &Client,
    params: &AuthorizeParams,
) -> Result<ScopeSet, RedirectError> {
    match params.response_type.as_deref() {
        Some("code") => {}
        Some(other) => {
            return Err(to_app(
                "unsupported_response_type",
                format!("`response_type={other}` is not supported: use the authorization code flow (`response_type=code`)."),
            ))
        }
        None => return Err(to_app("invalid_request", "`response_type` is missing (use `code`).")),
    }
    if !client.grant_types.iter().any(|g| g == "authorization_code") {
        return Err(to_app(
            "unauthorized_client",
            "This app is not registered for the authorization code grant.",
        ));
    }
    match params.code_challenge_method.as_deref() {
        Some("S256") => {}
        Some("plain") => {
            return Err(to_app(
                "invalid_request",
                "PKCE `plain` is not accepted: send `code_challenge_method=S256`.",
            ))
        }
        Some(other) => {
            return Err(to_app(
                "invalid_request",
                format!("`code_challenge_method={other}` is not supported: use `S256`."),
            ))
        }
        None => {
            return Err(to_app(
                "invalid_request",
                "PKCE is required: send `code_challenge` and `code_challenge_method=S256`.",
            ))
        }
    }
    if !params
        .code_challenge
        .as_deref()
        .is_some_and(is_s256_challenge)
    {
        return Err(to_app(
            "invalid_request",
            "`code_challenge` must be the base64url SHA-256 of the code verifier (43 characters).",
        ));
    }
    match params.aud.as_deref().filter(|a| !a.is_empty()) {
        None => {
            return Err(to_app(
                "invalid_request",
                "`aud` is missing: name the FHIR server the app will call.",
            ))
        }
        Some(aud) => {
            let known =
                issuer.audiences.iter().any(|a| same_url(a, aud)) || same_url(&issuer.url, aud);
            if !known {
                return Err(to_app(
                    "invalid_request",
                    format!(
                        "`aud` must be this tenant's FHIR server ({}), not `{aud}`.",
                        issuer.audiences.join(", ")
                    ),
                ));
            }
        }
    }
    if params.state.as_deref().is_none_or(str::is_empty) {
        return Err(to_app(
            "invalid_request",
            "`state` is missing: send a fresh random value and check it when the answer comes back.",
        ));
    }
    if params.state.as_deref().is_some_and(|s| s.len() > 1024)
        || params.nonce.as_deref().is_some_and(|n| n.len() > 255)
    {
        return Err(to_app("invalid_request", "`state` or `nonce` is too long."));
    }
    let requested = params
        .scope
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            to_app(
                "invalid_scope",
                "`scope` is missing: ask for the scopes the app needs.",
            )
        })?;
    let requested =
        ScopeSet::parse(requested).map_err(|e| to_app("invalid_scope", e.to_string()))?;
    let launch_asked = requested.scopes().contains(&SmartScope::Launch);
    if launch_asked && params.launch.as_deref().is_none_or(str::is_empty) {
        return Err(to_app(
            "invalid_request",
            "The `launch` scope asks for an EHR launch, but no `launch` parameter came: pass on the one the EHR gave.",
        ));
    }
    let granted = requested.intersect(&client.granted);
    if granted.is_empty() {
        return Err(to_app(
            "invalid_scope",
            format!(
                "The tenant granted none of the requested scopes (granted: {}).",
                client.granted
            ),
        ));
    }
    Ok(granted)
}

impl Engine {
    /// The first step: checks the request and shows the sign-in page.
    pub async fn begin_authorization(
        &self,
        issuer: &Issuer,
        params: &AuthorizeParams,
    ) -> EngineResult<Outcome> {
        let Some(client_id) = params.client_id.as_deref().filter(|c| !c.is_empty()) else {
            return Ok(Outcome::Refused(
                "The app did not say which app it is (`client_id` is missing).".into(),
            ));
        };
        let client = match self.client(issuer, client_id).await {
            Ok(client) => client,
            Err(EngineError::NotFound(_)) => {
                return Ok(Outcome::Refused(format!(
                    "This app is not installed at {}. Ask its administrators to install it.",
                    issuer.name
                )))
            }
            Err(other) => return Err(other),
        };
        if !client.is_active() {
            return Ok(Outcome::Refused(format!(
                "{} is {} at {}: it cannot be used now.",
                client.client_name, client.status, issuer.name
            )));
        }
        let Some(redirect_uri) = params.redirect_uri.as_deref().filter(|r| !r.is_empty()) else {
            return Ok(Outcome::Refused(
                "The app did not say where to return (`redirect_uri` is missing).".into(),
            ));
        };
        if !client.redirect_uris.iter().any(|r| r == redirect_uri) {
            return Ok(Outcome::Refused(format!(
                "The app asked to return to {redirect_uri}, which is not one of its registered redirect URIs. Nothing was sent to it."
            )));
        }
        let state = params.state.as_deref();
        let refuse = |e: RedirectError| -> EngineResult<Outcome> {
            Ok(Outcome::Redirect(error_redirect(
                issuer,
                redirect_uri,
                state,
                e,
            )))
        };
        let scope = match check_request(issuer, &client, params) {
            Ok(scope) => scope,
            Err(e) => return refuse(e),
        };
        let (launch, context) = match params.launch.as_deref().filter(|l| !l.is_empty()) {
            None => (None, LaunchContext::default()),
            Some(launch) => match self.launch_for(&issuer.tenant_id, &client.client_id, launch).await? {
                Some((id, context)) => (Some(id), context),
                None => {
                    return refuse(to_app(
                        "invalid_request",
                        "The `launch` is unknown, was used already, has expired or was made for another app.",
                    ))
                }
            },
        };
        let pending = Pending {
            redirect_uri: redirect_uri.to_owned(),
            state: state.map(str::to_owned),
            scope: scope.to_string(),
            code_challenge: params.code_challenge.clone().unwrap_or_default(),
            nonce: params.nonce.clone(),
            launch,
            context,
            signed_in_at: None,
        };
        let handle = random_token();
        let now = self.now();
        authorizations::ActiveModel {
            id: Set(token_hash(&handle)),
            tenant_id: Set(issuer.tenant_id.clone()),
            client_id: Set(client.client_id.clone()),
            request: Set(to_json(&pending)?),
            user_id: Set(None),
            grant: Set(None),
            code_hash: Set(None),
            expires_at: Set(now + INTERACTION_LIFE),
            used_at: Set(None),
            issued: Set(None),
            created_at: Set(now),
        }
        .insert(self.db())
        .await?;
        self.sweep_authorizations().await;
        Ok(Outcome::Show(Interaction::new(
            issuer,
            &handle,
            &client,
            &pending,
            Step::SignIn {
                username: String::new(),
                error: None,
            },
        )))
    }

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

    async fn consent_page(
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

    /// The live request behind a page's handle, with its client (still an
    /// active install).
    async fn interaction(
        &self,
        issuer: &Issuer,
        handle: &str,
    ) -> EngineResult<Option<(authorizations::Model, Pending, std::sync::Arc<Client>)>> {
        if handle.is_empty() || handle.len() > 100 {
            return Ok(None);
        }
        let Some(row) = authorizations::Entity::find_by_id(token_hash(handle))
            .filter(authorizations::Column::TenantId.eq(issuer.tenant_id.as_str()))
            .filter(authorizations::Column::CodeHash.is_null())
            .filter(authorizations::Column::ExpiresAt.gt(self.now()))
            .one(self.db())
            .await?
        else {
            return Ok(None);
        };
        let client = match self.client(issuer, &row.client_id).await {
            Ok(client) if client.is_active() => client,
            Ok(_) | Err(EngineError::NotFound(_)) => return Ok(None),
            Err(other) => return Err(other),
        };
        let pending: Pending = serde_json::from_str(&row.request)
            .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("a stored request: {e}")))?;
        Ok(Some((row, pending, client)))
    }

    async fn end_user(
        &self,
        row: &authorizations::Model,
    ) -> EngineResult<Option<tenant_users::Model>> {
        let Some(user_id) = &row.user_id else {
            return Ok(None);
        };
        Ok(tenant_users::Entity::find_by_id(user_id.clone())
            .filter(tenant_users::Column::TenantId.eq(row.tenant_id.as_str()))
            .one(self.db())
            .await?)
    }

    /// Deletes requests, codes, launches and refresh tokens that ran out a
    /// while ago (at most once a minute; a failure only waits for the next
    /// time).
    async fn sweep_authorizations(&self) {
        let now = self.now();
        let last = &self.token_state().authorizations_swept_at;
        if now.timestamp() - last.load(std::sync::atomic::Ordering::Relaxed) < 60 {
            return;
        }
        last.store(now.timestamp(), std::sync::atomic::Ordering::Relaxed);
        // Kept an hour past expiry, so that a code used twice is still
        // recognised (and what it issued revoked) meanwhile.
        let swept = authorizations::Entity::delete_many()
            .filter(authorizations::Column::ExpiresAt.lt(now - Duration::hours(1)))
            .exec(self.db())
            .await;
        if let Err(e) = swept {
            tracing::warn!(error = %e, "could not delete expired authorizations");
        }
        let launches = crate::entity::launches::Entity::delete_many()
            .filter(crate::entity::launches::Column::ExpiresAt.lt(now - Duration::hours(1)))
            .exec(self.db())
            .await;
        let refresh = crate::entity::refresh_tokens::Entity::delete_many()
            .filter(crate::entity::refresh_tokens::Column::ExpiresAt.lt(now - Duration::hours(1)))
            .exec(self.db())
            .await;
        if let Err(e) = launches.and(refresh) {
            tracing::warn!(error = %e, "could not delete expired launches and refresh tokens");
        }
    }
}

fn expired() -> Outcome {
    Outcome::Refused(
        "This sign-in has expired or was finished already. Go back to the app and start again."
            .into(),
    )
}

fn to_json<T: Serialize>(value: &T) -> EngineResult<String> {
    serde_json::to_string(value)
        .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("serialising: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_keep_the_registered_query_and_add_parameters() {
        assert_eq!(
            redirect(
                "https://app.example/cb?x=1",
                &[("code", "a b"), ("state", "s")]
            ),
            "https://app.example/cb?x=1&code=a+b&state=s"
        );
        assert_eq!(origin("http://127.0.0.1:9000/cb"), "http://127.0.0.1:9000");
        // A native app's private-use scheme: forms must be let lead there.
        assert_eq!(
            origin("com.example.medlist:/callback"),
            "com.example.medlist:"
        );
    }

    #[test]
    fn challenges_are_s256_shaped() {
        assert!(is_s256_challenge(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!is_s256_challenge("short"));
        assert!(!is_s256_challenge(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM"
        ));
    }

    #[test]
    fn patient_context_is_wanted_for_patient_scopes() {
        let set = |s: &str| ScopeSet::parse(s).unwrap();
        assert!(wants_patient(&set("launch/patient openid")));
        assert!(wants_patient(&set("patient/Observation.rs")));
        assert!(!wants_patient(&set("user/Observation.rs openid fhirUser")));
    }
}
