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

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Utc};
use domain::ScopeSet;
use jsonwebtoken::{Header, Validation};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::client::Authenticated;
use super::keys::ACCESS_ALG;
use super::{Issuer, OAuthError, OAuthResult};
use crate::entity::revoked_tokens;
use crate::secret::random_token;
use crate::{Engine, EngineResult};

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

/// Bounds the verified-token memory; it is emptied when full.
const VERIFIED_CAPACITY: usize = 100_000;

/// A tenant's revoked access tokens: `jti` → expiry.
type Revoked = HashMap<String, i64>;

/// A used assertion on its way to the database, with the token issued on
/// it (to be revoked if the database knew the assertion already).
struct UsedAssertion {
    id: String,
    expires_at: i64,
    tenant_id: String,
    /// The token issued on it: its `jti` and expiry.
    token: Option<(String, i64)>,
}

/// How many used assertions one insert records.
const BATCH: usize = 500;
/// How long the recorder waits for more used assertions before it writes.
const GATHER: std::time::Duration = std::time::Duration::from_millis(20);

fn assertion_key(client_id: &str, jti: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(client_id.as_bytes());
    hash.update([0]);
    hash.update(jti.as_bytes());
    hex::encode(hash.finalize())
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
    ) -> OAuthResult<Arc<super::client::Client>> {
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
        let recorded = crate::audit::record(
            self.db(),
            self.now(),
            crate::audit::Event::in_tenant(
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

    async fn client_credentials(
        &self,
        issuer: &Issuer,
        request: &TokenRequest,
    ) -> OAuthResult<TokenResponse> {
        if request.client_secret.is_some() {
            return Err(OAuthError::invalid_client(
                "Backend services authenticate with a signed JWT (`private_key_jwt`), not a client secret.",
            ));
        }
        let Authenticated {
            client,
            jti,
            expires_at,
        } = self
            .authenticate_assertion(
                issuer,
                request.client_assertion_type.as_deref(),
                request.client_assertion.as_deref(),
            )
            .await?;
        if request
            .client_id
            .as_deref()
            .is_some_and(|id| id != client.client_id)
        {
            return Err(OAuthError::invalid_client(
                "`client_id` is not the client the assertion is from.",
            ));
        }
        if !client.grant_types.iter().any(|g| g == "client_credentials") {
            return Err(OAuthError::unauthorized_client(
                "This client is not registered for the client_credentials grant.",
            ));
        }
        let requested = request
            .scope
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                OAuthError::invalid_scope(
                    "Ask for the `scope` you need, e.g. `system/Observation.rs`.",
                )
            })?;
        let requested =
            ScopeSet::parse(requested).map_err(|e| OAuthError::invalid_scope(e.to_string()))?;
        let granted = requested.intersect(&client.granted);
        if granted.is_empty() {
            return Err(OAuthError::invalid_scope(format!(
                "None of the requested scopes is granted to this client (granted: {}).",
                client.granted
            )));
        }

        let key = self.first_use(&client.client_id, &jti, expires_at)?;
        let now = self.now().timestamp();
        let token_jti = random_token();
        let exp = now + BACKEND_TOKEN_LIFE;
        let claims = AccessClaims {
            iss: issuer.url.clone(),
            sub: client.client_id.clone(),
            aud: audience(issuer),
            exp,
            iat: now,
            jti: token_jti.clone(),
            client_id: client.client_id.clone(),
            scope: granted.to_string(),
            patient: None,
            encounter: None,
            fhir_user: None,
        };
        let access_token = self.sign_access(issuer, &claims).await?;
        self.record_assertion(UsedAssertion {
            id: key,
            expires_at,
            tenant_id: issuer.tenant_id.clone(),
            token: Some((token_jti, exp)),
        });
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: BACKEND_TOKEN_LIFE,
            scope: claims.scope,
            refresh_token: None,
            id_token: None,
            context: TokenContext::default(),
        })
    }

    /// An access token with these claims, signed by the tenant's key.
    pub(crate) async fn sign_access(
        &self,
        issuer: &Issuer,
        claims: &AccessClaims,
    ) -> OAuthResult<String> {
        let keys = self.tenant_signing_keys(&issuer.tenant_id).await?;
        let header = Header {
            typ: Some("at+jwt".into()),
            ..Header::default()
        };
        Ok(keys.access.sign(header, claims)?)
    }

    /// A client authenticated by a signed JWT that it may not use again
    /// (for endpoints other than the token endpoint, e.g. revocation).
    pub async fn authenticate_client(
        &self,
        issuer: &Issuer,
        assertion_type: Option<&str>,
        assertion: Option<&str>,
    ) -> OAuthResult<Arc<super::client::Client>> {
        let Authenticated {
            client,
            jti,
            expires_at,
        } = self
            .authenticate_assertion(issuer, assertion_type, assertion)
            .await?;
        let key = self.first_use(&client.client_id, &jti, expires_at)?;
        self.record_assertion(UsedAssertion {
            id: key,
            expires_at,
            tenant_id: issuer.tenant_id.clone(),
            token: None,
        });
        Ok(client)
    }

    /// The assertion's key, the first time this process sees it; a replay
    /// is refused.
    fn first_use(&self, client_id: &str, jti: &str, expires_at: i64) -> OAuthResult<String> {
        let key = assertion_key(client_id, jti);
        let now = self.now().timestamp();
        let mut used = self
            .token_state()
            .used
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if used.len() > 100_000 {
            used.retain(|_, exp| *exp + 60 >= now);
        }
        if used.contains_key(&key) {
            return Err(OAuthError::invalid_client(
                "This client assertion was used before: make a new one, with a new `jti`, for each request.",
            ));
        }
        used.insert(key.clone(), expires_at);
        Ok(key)
    }

    /// Queues a used assertion for the database (see the module docs).
    fn record_assertion(&self, used: UsedAssertion) {
        let sender = self.token_state().recorder.get_or_init(|| {
            let (sender, receiver) = mpsc::unbounded_channel();
            tokio::spawn(self.clone().assertion_recorder(receiver));
            sender
        });
        if sender.send(used).is_err() {
            tracing::error!("the assertion recorder has stopped");
        }
    }

    async fn assertion_recorder(self, mut receiver: mpsc::UnboundedReceiver<UsedAssertion>) {
        let mut batch = Vec::with_capacity(BATCH);
        while receiver.recv_many(&mut batch, BATCH).await > 0 {
            // What arrives in the next moment joins the batch: under load
            // the database then sees a few large inserts a second, not
            // one small one (and its commit) per handful of tokens.
            let until = tokio::time::Instant::now() + GATHER;
            while batch.len() < BATCH {
                let room = BATCH - batch.len();
                let more = receiver.recv_many(&mut batch, room);
                match tokio::time::timeout_at(until, more).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
            if let Err(e) = self.store_assertions(&batch).await {
                tracing::error!(error = %format!("{e:#}"), "recording used client assertions failed");
            }
            batch.clear();
        }
    }

    /// Inserts the batch; an assertion the database already had was a
    /// replay, and the token issued on it is revoked.
    async fn store_assertions(&self, batch: &[UsedAssertion]) -> EngineResult<()> {
        let backend = self.db().get_database_backend();
        let mut sql = crate::sql::Sql::new(backend);
        sql.push("INSERT INTO used_assertions (id, expires_at) VALUES ");
        for (i, used) in batch.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            let at = DateTime::<Utc>::from_timestamp(used.expires_at, 0).unwrap_or_default();
            sql.push("(")
                .bind(used.id.clone())
                .push(", ")
                .bind(at)
                .push(")");
        }
        sql.push(" ON CONFLICT (id) DO NOTHING RETURNING id");
        let stored: std::collections::HashSet<String> = self
            .db()
            .query_all(sql.build())
            .await?
            .iter()
            .map(|row| row.try_get::<String>("", "id"))
            .collect::<Result<_, _>>()?;
        for replay in batch.iter().filter(|u| !stored.contains(&u.id)) {
            tracing::warn!(tenant = %replay.tenant_id, "a client assertion was used twice; what it got the second time is revoked");
            if let Some((jti, exp)) = &replay.token {
                self.revoke_jti(&replay.tenant_id, jti, *exp).await?;
            }
        }
        // Expired assertions can go, once a minute.
        let now = self.now();
        let swept = &self.token_state().swept_at;
        if now.timestamp() - swept.load(Ordering::Relaxed) >= 60 {
            swept.store(now.timestamp(), Ordering::Relaxed);
            crate::entity::used_assertions::Entity::delete_many()
                .filter(
                    crate::entity::used_assertions::Column::ExpiresAt
                        .lt(now - chrono::Duration::minutes(2)),
                )
                .exec(self.db())
                .await?;
        }
        Ok(())
    }

    pub(crate) async fn revoke_jti(
        &self,
        tenant_id: &str,
        jti: &str,
        expires_at: i64,
    ) -> EngineResult<()> {
        let at = DateTime::<Utc>::from_timestamp(expires_at, 0).unwrap_or_default();
        let backend = self.db().get_database_backend();
        let mut sql = crate::sql::Sql::new(backend);
        sql.push("INSERT INTO revoked_tokens (jti, tenant_id, expires_at) VALUES (")
            .bind(jti.to_owned())
            .push(", ")
            .bind(tenant_id.to_owned())
            .push(", ")
            .bind(at)
            .push(") ON CONFLICT (jti) DO NOTHING");
        self.db().execute(sql.build()).await?;
        crate::registry_watch::bump(self.db(), tenant_id).await?;
        self.registry_changed();
        Ok(())
    }

    /// The tenant's revoked access tokens that have not expired yet.
    async fn revoked(&self, tenant_id: &str) -> EngineResult<Arc<Revoked>> {
        let generation = self.registry_generation().await?;
        if let Some((g, set)) = self
            .token_state()
            .revoked
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(tenant_id)
        {
            if *g == generation {
                return Ok(set.clone());
            }
        }
        let rows = revoked_tokens::Entity::find()
            .filter(revoked_tokens::Column::TenantId.eq(tenant_id))
            .filter(revoked_tokens::Column::ExpiresAt.gt(self.now()))
            .all(self.db())
            .await?;
        let set = Arc::new(
            rows.into_iter()
                .map(|r| (r.jti, r.expires_at.timestamp()))
                .collect::<HashMap<_, _>>(),
        );
        self.token_state()
            .revoked
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(tenant_id.to_owned(), (generation, set.clone()));
        Ok(set)
    }

    /// The claims of one of `issuer`'s access tokens that is live now:
    /// signed by its key, not expired, not revoked, its install active.
    async fn live_token(
        &self,
        issuer: &Issuer,
        token: &str,
    ) -> EngineResult<Option<Arc<AccessClaims>>> {
        let Some(claims) = self.verified_token(issuer, token).await? else {
            return Ok(None);
        };
        if claims.exp <= self.now().timestamp() {
            return Ok(None);
        }
        if self
            .revoked(&issuer.tenant_id)
            .await?
            .contains_key(&claims.jti)
        {
            return Ok(None);
        }
        match self.client(issuer, &claims.client_id).await {
            Ok(client) if client.is_active() => Ok(Some(claims)),
            Ok(_) | Err(crate::EngineError::NotFound(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// The claims of a token signed by one of `issuer`'s access-token keys,
    /// its signature checked once.
    async fn verified_token(
        &self,
        issuer: &Issuer,
        token: &str,
    ) -> EngineResult<Option<Arc<AccessClaims>>> {
        let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let state = self.token_state();
        if let Some(claims) = state
            .verified
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&hash)
        {
            // A token names its issuer; another tenant's is no token here.
            return Ok((claims.iss == issuer.url).then(|| claims.clone()));
        }
        let Ok(header) = jsonwebtoken::decode_header(token) else {
            return Ok(None);
        };
        if header.alg != ACCESS_ALG {
            return Ok(None);
        }
        let keys = self.tenant_signing_keys(&issuer.tenant_id).await?;
        let Some((alg, key)) = header.kid.as_deref().and_then(|kid| keys.verifier(kid)) else {
            return Ok(None);
        };
        if alg != ACCESS_ALG {
            return Ok(None);
        }
        let mut validation = Validation::new(ACCESS_ALG);
        validation.set_issuer(&[issuer.url.as_str()]);
        validation.validate_aud = false;
        // Against the engine's clock, below.
        validation.validate_exp = false;
        let Ok(data) = jsonwebtoken::decode::<AccessClaims>(token, key, &validation) else {
            return Ok(None);
        };
        let claims = Arc::new(data.claims);
        let mut verified = state.verified.lock().unwrap_or_else(|p| p.into_inner());
        if verified.len() >= VERIFIED_CAPACITY {
            verified.clear();
        }
        verified.insert(hash, claims.clone());
        Ok(Some(claims))
    }

    /// RFC 7662: what a token is, or exactly `{"active": false}`.
    pub async fn introspect(&self, issuer: &Issuer, token: &str) -> EngineResult<Value> {
        Ok(match self.live_token(issuer, token).await? {
            Some(c) => {
                let mut answer = json!({
                    "active": true,
                    "scope": c.scope,
                    "client_id": c.client_id,
                    "token_type": "Bearer",
                    "exp": c.exp,
                    "iat": c.iat,
                    "iss": c.iss,
                    "sub": c.sub,
                    "aud": c.aud,
                    "jti": c.jti,
                });
                for (name, value) in [
                    ("patient", &c.patient),
                    ("encounter", &c.encounter),
                    ("fhirUser", &c.fhir_user),
                ] {
                    if let Some(value) = value {
                        answer[name] = json!(value);
                    }
                }
                answer
            }
            None => json!({ "active": false }),
        })
    }

    /// RFC 7009: revokes one of the client's (or, for `client_id: None`, the
    /// tenant's) live access tokens. Anything else is ignored, as the RFC
    /// asks; a token of another client is refused.
    pub async fn revoke_token(
        &self,
        issuer: &Issuer,
        client_id: Option<&str>,
        token: &str,
    ) -> OAuthResult<()> {
        let Some(claims) = self.live_token(issuer, token).await? else {
            // Not an access token: perhaps a refresh token.
            return self.revoke_refresh_token(issuer, client_id, token).await;
        };
        if client_id.is_some_and(|id| id != claims.client_id) {
            return Err(OAuthError::invalid_request(
                "The token was not issued to this client.",
            ));
        }
        self.revoke_jti(&issuer.tenant_id, &claims.jti, claims.exp)
            .await?;
        let client = self.client(issuer, &claims.client_id).await?;
        crate::audit::record(
            self.db(),
            self.now(),
            crate::audit::Event::in_tenant(
                None,
                &issuer.tenant_id,
                "token.revoked",
                ("install", &client.install_id),
                json!({ "client_id": claims.client_id, "by": if client_id.is_some() { "client" } else { "API key" } }),
            ),
        )
        .await?;
        Ok(())
    }
}
