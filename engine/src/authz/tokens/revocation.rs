//! Reading access tokens back: introspection (RFC 7662), revocation
//! (RFC 7009), and the revoked and verified tokens kept in memory.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use jsonwebtoken::Validation;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::AccessClaims;
use crate::authz::keys::ACCESS_ALG;
use crate::authz::{Issuer, OAuthError, OAuthResult};
use crate::entity::revoked_tokens;
use crate::{Engine, EngineResult};

/// Bounds the verified-token memory; it is emptied when full.
const VERIFIED_CAPACITY: usize = 100_000;

/// A tenant's revoked access tokens: `jti` → expiry.
pub(super) type Revoked = HashMap<String, i64>;

impl Engine {
    pub(crate) async fn revoke_jti(
        &self,
        tenant_id: &str,
        jti: &str,
        expires_at: i64,
    ) -> EngineResult<()> {
        let at = DateTime::<Utc>::from_timestamp(expires_at, 0).unwrap_or_default();
        let backend = self.db().get_database_backend();
        let mut sql = crate::platform::sql::Sql::new(backend);
        sql.push("INSERT INTO revoked_tokens (jti, tenant_id, expires_at) VALUES (")
            .bind(jti.to_owned())
            .push(", ")
            .bind(tenant_id.to_owned())
            .push(", ")
            .bind(at)
            .push(") ON CONFLICT (jti) DO NOTHING");
        self.db().execute(sql.build()).await?;
        crate::tenancy::watch::bump(self.db(), tenant_id).await?;
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
        crate::platform::audit::record(
            self.db(),
            self.now(),
            crate::platform::audit::Event::in_tenant(
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
