//! `client_credentials` for backend services (SMART Backend Services):
//! the client's signed assertion checked, an access token signed, nothing
//! read from the database and no write waited for.

use std::sync::Arc;

use domain::ScopeSet;
use jsonwebtoken::Header;

use super::{
    audience, AccessClaims, TokenContext, TokenRequest, TokenResponse, UsedAssertion,
    BACKEND_TOKEN_LIFE,
};
use crate::authz::client::Authenticated;
use crate::authz::{Issuer, OAuthError, OAuthResult};
use crate::platform::secret::random_token;
use crate::Engine;

impl Engine {
    pub(super) async fn client_credentials(
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
    ) -> OAuthResult<Arc<crate::authz::client::Client>> {
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
}
