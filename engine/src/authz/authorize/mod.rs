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

mod decide;
mod request;
mod sign_in;

use decide::describe;

use chrono::Duration;
use domain::ScopeSet;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

use crate::authz::client::Client;
use crate::authz::launch::LaunchContext;
use crate::authz::Issuer;
use crate::entity::{authorizations, tenant_users};
use crate::platform::secret::token_hash;
use crate::{Engine, EngineError, EngineResult};

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

impl Engine {
    /// The live request behind a page's handle, with its client (still an
    /// active install).
    pub(super) async fn interaction(
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

    pub(super) async fn end_user(
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
    pub(super) async fn sweep_authorizations(&self) {
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
}
