//! Access tokens: issued by the token endpoint (`client_credentials` for
//! backend services here; the user grants in `grants`), read back by
//! introspection (RFC 7662) and cut short by revocation (RFC 7009).
//!
//! Access tokens are JWTs (RFC 9068) signed with the tenant's ES256 key;
//! issuing one to a backend service reads nothing from the database and
//! waits for no write.
//! The client assertion's `jti` is checked against the ones this process
//! saw and recorded in the database behind the answer, in batches; a
//! `jti` another process (or this one before a restart) already used is
//! caught there, and the token issued on it is revoked at once.

mod assertions;
mod backend;
mod revocation;

use assertions::UsedAssertion;
use revocation::Revoked;

use std::collections::HashMap;
use std::sync::atomic::AtomicI64;
use std::sync::{Arc, Mutex, OnceLock};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::authz::{Issuer, OAuthError, OAuthResult};
use crate::Engine;

/// How long a backend service's access token lives (SMART: at most five
/// minutes).
pub const BACKEND_TOKEN_LIFE: i64 = 300;

/// What a token request carries (form fields, RFC 6749 §4.4 and SMART
/// Backend Services).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub scope: Option<String>,
    pub client_assertion_type: Option<String>,
    pub client_assertion: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// `authorization_code`: the code, where it was sent, and the PKCE
    /// verifier.
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub refresh_token: Option<String>,
    /// Where the request came from (the client's address), so that failed
    /// authentications from one place do not lock the client out
    /// everywhere.
    #[serde(skip)]
    pub from: Option<String>,
}

/// The token endpoint's answer (RFC 6749 §5.1).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// The launch context (SMART App Launch 2.2): patient, encounter,
    /// need_patient_banner, smart_style_url, fhirContext.
    #[serde(flatten)]
    pub context: TokenContext,
}

/// The launch context a token response carries.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct TokenContext {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encounter: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub need_patient_banner: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smart_style_url: Option<String>,
    #[serde(rename = "fhirContext", skip_serializing_if = "Option::is_none")]
    pub fhir_context: Option<Vec<Value>>,
}

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AccessClaims {
    pub iss: String,
    /// The end user's id, or (backend services) the client id.
    pub sub: String,
    pub aud: Value,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub client_id: String,
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encounter: Option<String>,
    #[serde(default, rename = "fhirUser", skip_serializing_if = "Option::is_none")]
    pub fhir_user: Option<String>,
}

/// Assertion `jti`s used in this process (by hash, with their `exp`), and
/// the queue that records them in the database.
#[derive(Default)]
pub(crate) struct TokenState {
    used: Mutex<HashMap<String, i64>>,
    recorder: OnceLock<mpsc::UnboundedSender<UsedAssertion>>,
    /// Revoked access tokens by tenant, with the registry generation they
    /// were read under.
    revoked: Mutex<HashMap<String, (u64, Arc<Revoked>)>>,
    /// Tokens whose signature checked out, by SHA-256 of the token: a
    /// resource server asks about the same token on every call it serves.
    verified: Mutex<HashMap<[u8; 32], Arc<AccessClaims>>>,
    /// When expired assertions were last deleted (seconds).
    swept_at: AtomicI64,
    /// When expired authorizations were last deleted (seconds).
    pub(super) authorizations_swept_at: AtomicI64,
}

/// The client a token request says it is from, before anything is
/// checked: the assertion's `sub`, else `client_id`.
fn claimed_client(request: &TokenRequest) -> Option<String> {
    #[derive(Deserialize)]
    struct Sub {
        sub: Option<String>,
    }
    request
        .client_assertion
        .as_deref()
        .and_then(|a| jsonwebtoken::dangerous::insecure_decode::<Sub>(a).ok())
        .and_then(|d| d.claims.sub)
        .or_else(|| request.client_id.clone())
        .filter(|id| !id.is_empty() && id.len() <= 100)
}

pub(crate) fn audience(issuer: &Issuer) -> Value {
    match issuer.audiences.as_slice() {
        [one] => json!(one),
        many => json!(many),
    }
}

impl Engine {
    /// `POST /t/{tenant}/oauth/token`. Failed client authentications are
    /// throttled per client; refusals of a known client are audited.
    pub async fn token(
        &self,
        issuer: &Issuer,
        request: &TokenRequest,
    ) -> OAuthResult<TokenResponse> {
        let claimed = claimed_client(request);
        let result = self
            .throttled(
                issuer,
                request,
                claimed.as_deref(),
                self.grant(issuer, request),
            )
            .await;
        if let Err(refusal) = &result {
            if refusal.status < 500 {
                if let Some(client_id) = &claimed {
                    self.audit_refusal(issuer, client_id, refusal).await;
                }
            }
        }
        result
    }

    /// Runs `attempt` unless the claimed client has failed to authenticate
    /// from this address too often; an `invalid_client` counts against it.
    async fn throttled<T>(
        &self,
        issuer: &Issuer,
        request: &TokenRequest,
        claimed: Option<&str>,
        attempt: impl std::future::Future<Output = OAuthResult<T>>,
    ) -> OAuthResult<T> {
        let key = claimed.map(|id| {
            format!(
                "{}/{id}/{}",
                issuer.tenant_id,
                request.from.as_deref().unwrap_or("")
            )
        });
        if let Some(key) = &key {
            self.client_throttle()
                .check(key, std::time::Instant::now())?;
        }
        let result = attempt.await;
        if let (Err(refusal), Some(key)) = (&result, &key) {
            if refusal.error == "invalid_client" {
                self.client_throttle()
                    .failed(key, std::time::Instant::now());
            }
        }
        result
    }

    /// The client revoking a token (RFC 7009), authenticated as at the
    /// token endpoint and throttled the same way.
    pub async fn authenticate_revoking_client(
        &self,
        issuer: &Issuer,
        request: &TokenRequest,
    ) -> OAuthResult<Arc<crate::authz::client::Client>> {
        let claimed = claimed_client(request);
        self.throttled(
            issuer,
            request,
            claimed.as_deref(),
            self.authenticate_token_client(issuer, request),
        )
        .await
    }

    /// Records a refused token request of one of the tenant's clients (a
    /// made-up client id records nothing: it is no one's to read).
    async fn audit_refusal(&self, issuer: &Issuer, client_id: &str, refusal: &OAuthError) {
        let Ok(client) = self.client(issuer, client_id).await else {
            return;
        };
        let recorded = crate::platform::audit::record(
            self.db(),
            self.now(),
            crate::platform::audit::Event::in_tenant(
                None,
                &issuer.tenant_id,
                "token.refused",
                ("install", &client.install_id),
                json!({ "client_id": client.client_id, "error": refusal.error, "reason": refusal.description }),
            ),
        )
        .await;
        if let Err(e) = recorded {
            tracing::error!(error = %e, "could not audit a refused token request");
        }
    }

    async fn grant(&self, issuer: &Issuer, request: &TokenRequest) -> OAuthResult<TokenResponse> {
        match request.grant_type.as_deref() {
            Some("client_credentials") => self.client_credentials(issuer, request).await,
            Some("authorization_code") => self.authorization_code(issuer, request).await,
            Some("refresh_token") => self.refresh(issuer, request).await,
            Some("password") => Err(OAuthError::unsupported_grant_type(
                "The password grant is not supported: it would hand the user's password to the app.",
            )),
            Some(other) => Err(OAuthError::unsupported_grant_type(format!(
                "`{other}` is not a grant type this server supports (authorization_code, refresh_token, client_credentials)."
            ))),
            None => Err(OAuthError::invalid_request("`grant_type` is missing.")),
        }
    }
}
