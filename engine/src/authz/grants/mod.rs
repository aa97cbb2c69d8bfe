//! The token endpoint's user grants: `authorization_code` (with PKCE) and
//! `refresh_token`, and how their clients authenticate — public clients
//! by `client_id` alone, symmetric ones by their secret (HTTP Basic or the
//! form; the previous secret too, in its grace period), asymmetric ones
//! by a signed JWT.
//!
//! A code is good once: a second exchange revokes the access token and
//! every refresh token the first one got. Refresh tokens rotate on every
//! use; an old one coming back revokes its whole family. A refresh can
//! keep or narrow the scope, never widen it, and never beyond what the
//! install grants now.

mod code;
mod refresh;

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use domain::{ScopeSet, SmartScope};
use jsonwebtoken::Header;
use sea_orm::{ActiveModelTrait, Set};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::authz::authorize::Grant;
use crate::authz::client::Client;
use crate::authz::tokens::{audience, AccessClaims, TokenContext, TokenRequest, TokenResponse};
use crate::authz::{Issuer, OAuthError, OAuthResult};
use crate::entity::refresh_tokens;
use crate::platform::secret::{random_token, token_hash};
use crate::{Engine, EngineError};

/// How long a user's access token lives.
pub const ACCESS_TOKEN_LIFE: i64 = 3600;
/// How long a refresh token for `offline_access` lives (from its issue).
const OFFLINE_LIFE: Duration = Duration::days(90);
/// How long the refresh tokens of `online_access` live, counted from the
/// sign-in (rotation does not extend it).
const ONLINE_LIFE: Duration = Duration::hours(8);

const CODE_REUSED: &str =
    "The code was used before: the tokens it was exchanged for are revoked now.";
const REFRESH_REUSED: &str =
    "The refresh token was used before: every token of its grant is revoked now. Sign in again.";

/// What a code was exchanged for, to revoke if it comes again.
#[derive(Debug, Serialize, Deserialize)]
struct Issued {
    jti: String,
    exp: i64,
    family: Option<String>,
}

/// A PKCE code verifier: 43–128 characters of `[A-Za-z0-9-._~]` (RFC 7636 §4.1).
fn is_code_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~'))
}

fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn unexpected(what: &str, e: impl std::fmt::Display) -> OAuthError {
    EngineError::Unexpected(anyhow::anyhow!("{what}: {e}")).into()
}

fn when(timestamp: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(timestamp, 0).unwrap_or_default()
}

/// The claims of an id token (OpenID Connect Core §2, SMART's `fhirUser`).
#[derive(Serialize)]
struct IdClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: i64,
    iat: i64,
    auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    #[serde(rename = "fhirUser", skip_serializing_if = "Option::is_none")]
    fhir_user: Option<&'a str>,
}

/// The `fhirUser` URL of an end user: absolute, under the tenant's first
/// FHIR server.
fn fhir_user_url(issuer: &Issuer, fhir_user: &str) -> String {
    match issuer.audiences.first() {
        Some(base) => format!("{}/{fhir_user}", base.trim_end_matches('/')),
        None => fhir_user.to_owned(),
    }
}

impl Engine {
    /// The client of a code or refresh request, authenticated by the means
    /// it registered.
    pub async fn authenticate_token_client(
        &self,
        issuer: &Issuer,
        request: &TokenRequest,
    ) -> OAuthResult<Arc<Client>> {
        if request.client_assertion.is_some() || request.client_assertion_type.is_some() {
            let client = self
                .authenticate_client(
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
            return Ok(client);
        }
        let client_id = request
            .client_id
            .as_deref()
            .filter(|id| !id.is_empty())
            .ok_or_else(|| {
                OAuthError::invalid_client(
                    "Say which client you are: `client_id` (public clients), HTTP Basic or `client_secret_post` (with a secret), or a signed JWT.",
                )
            })?;
        let client = self.active_client(issuer, client_id).await?;
        match client.auth_method.as_str() {
            "none" => {
                if request.client_secret.is_some() {
                    return Err(OAuthError::invalid_client(
                        "This is a public client: it has no secret to send.",
                    ));
                }
            }
            "client_secret_basic" | "client_secret_post" => {
                let secret = request
                    .client_secret
                    .as_deref()
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| {
                        OAuthError::invalid_client(
                            "This client authenticates with its secret: HTTP Basic or `client_secret`.",
                        )
                    })?;
                if !self.verify_client_secret(&client.client_id, secret).await? {
                    return Err(OAuthError::invalid_client("The client secret is wrong."));
                }
            }
            _ => {
                return Err(OAuthError::invalid_client(
                    "This client authenticates with a signed JWT (`private_key_jwt`).",
                ))
            }
        }
        Ok(client)
    }

    /// `scope` cut to what the install grants now; nothing left is refused.
    fn current_scope(&self, client: &Client, scope: &str) -> OAuthResult<ScopeSet> {
        let scope = ScopeSet::parse(scope)
            .map_err(|e| OAuthError::invalid_scope(e.to_string()))?
            .intersect(&client.granted);
        if scope.is_empty() {
            return Err(OAuthError::invalid_scope(
                "The tenant no longer grants any of these scopes.",
            ));
        }
        Ok(scope)
    }

    /// The answer of a user grant: a signed access token with the
    /// context, and whatever refresh and id token came with it.
    #[allow(clippy::too_many_arguments)]
    async fn user_tokens(
        &self,
        issuer: &Issuer,
        client: &Client,
        grant: &Grant,
        scope: &ScopeSet,
        (jti, exp): (String, i64),
        refresh_token: Option<String>,
        id_token: Option<String>,
    ) -> OAuthResult<TokenResponse> {
        let context = &grant.context;
        let claims = AccessClaims {
            iss: issuer.url.clone(),
            sub: grant.user_id.clone(),
            aud: audience(issuer),
            exp,
            iat: self.now().timestamp(),
            jti,
            client_id: client.client_id.clone(),
            scope: scope.to_string(),
            patient: context.patient.clone(),
            encounter: context.encounter.clone(),
            fhir_user: Some(fhir_user_url(issuer, &grant.fhir_user)),
        };
        let access_token = self.sign_access(issuer, &claims).await?;
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: ACCESS_TOKEN_LIFE,
            scope: claims.scope,
            refresh_token,
            id_token,
            context: TokenContext {
                patient: context.patient.clone(),
                encounter: context.encounter.clone(),
                need_patient_banner: context.need_patient_banner,
                smart_style_url: context.smart_style_url.clone(),
                fhir_context: context.fhir_context.clone(),
            },
        })
    }

    /// An RS256 id token (OpenID Connect), with `fhirUser` when the
    /// `fhirUser` scope was granted.
    async fn id_token(
        &self,
        issuer: &Issuer,
        client: &Client,
        grant: &Grant,
        scope: &ScopeSet,
    ) -> OAuthResult<String> {
        let keys = self.tenant_signing_keys(&issuer.tenant_id).await?;
        let now = self.now().timestamp();
        let fhir_user = scope
            .scopes()
            .contains(&SmartScope::FhirUser)
            .then(|| fhir_user_url(issuer, &grant.fhir_user));
        let claims = IdClaims {
            iss: &issuer.url,
            sub: &grant.user_id,
            aud: &client.client_id,
            exp: now + ACCESS_TOKEN_LIFE,
            iat: now,
            auth_time: grant.auth_time,
            nonce: grant.nonce.as_deref(),
            fhir_user: fhir_user.as_deref(),
        };
        Ok(keys.id_token.sign(Header::default(), &claims)?)
    }

    /// Stores a new refresh token of `family` and returns it.
    #[allow(clippy::too_many_arguments)]
    async fn store_refresh<C: sea_orm::ConnectionTrait>(
        &self,
        db: &C,
        issuer: &Issuer,
        client: &Client,
        family: &str,
        grant: &Grant,
        (access_jti, access_exp): (&str, i64),
        expires_at: DateTime<Utc>,
    ) -> OAuthResult<String> {
        let token = random_token();
        refresh_tokens::ActiveModel {
            id: Set(token_hash(&token)),
            family_id: Set(family.to_owned()),
            tenant_id: Set(issuer.tenant_id.clone()),
            client_id: Set(client.client_id.clone()),
            grant: Set(serde_json::to_string(grant).map_err(|e| unexpected("serialising", e))?),
            access_jti: Set(access_jti.to_owned()),
            access_expires_at: Set(when(access_exp)),
            expires_at: Set(expires_at),
            used_at: Set(None),
            revoked_at: Set(None),
            created_at: Set(self.now()),
        }
        .insert(db)
        .await?;
        Ok(token)
    }
}

/// Until when a refresh token issued now may be used, or `None` when the
/// grant has no refresh (neither `offline_access` nor `online_access`).
fn refresh_life(
    scope: &ScopeSet,
    now: DateTime<Utc>,
    signed_in: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let scopes = scope.scopes();
    if scopes.contains(&SmartScope::OfflineAccess) {
        Some(now + OFFLINE_LIFE)
    } else if scopes.contains(&SmartScope::OnlineAccess) {
        Some(signed_in + ONLINE_LIFE).filter(|until| *until > now)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_verifiers_and_s256() {
        // RFC 7636 appendix B.
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(is_code_verifier(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        ));
        assert!(!is_code_verifier("too-short"));
        assert!(!is_code_verifier(&"a".repeat(129)));
        assert!(!is_code_verifier(&format!("{}+", "a".repeat(43))));
    }

    #[test]
    fn refresh_follows_offline_and_online_access() {
        let now = Utc::now();
        let set = |s: &str| ScopeSet::parse(s).unwrap();
        assert_eq!(refresh_life(&set("openid"), now, now), None);
        assert_eq!(
            refresh_life(&set("offline_access"), now, now),
            Some(now + OFFLINE_LIFE)
        );
        assert_eq!(
            refresh_life(&set("online_access"), now, now),
            Some(now + ONLINE_LIFE)
        );
        assert_eq!(
            refresh_life(&set("online_access"), now, now - ONLINE_LIFE),
            None
        );
    }
}
