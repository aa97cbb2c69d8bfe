//! Checking a client's signed JWT assertion (`private_key_jwt`, RFC 7523,
//! SMART Backend Services) against the app's keys, registered or fetched
//! from its `jwks_uri` and kept as long as the answer allows.

use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::Algorithm;
use serde::Deserialize;

use super::{
    Client, ClientKeys, ASSERTION_TYPE, CLIENT_CAPACITY, CLOCK_SKEW, DEFAULT_KEYS_LIFE,
    MAX_ASSERTION_LIFE, MAX_KEYS_LIFE, REFETCH_AFTER,
};
use crate::authz::jws::Compact;
use crate::authz::{Issuer, OAuthError, OAuthResult};
use crate::Engine;

/// What a client assertion says, before it is checked.
#[derive(Debug, Deserialize)]
struct AssertionClaims {
    iss: Option<String>,
    sub: Option<String>,
    /// One audience or several.
    aud: Option<serde_json::Value>,
    jti: Option<String>,
    exp: Option<i64>,
    nbf: Option<i64>,
}

/// A checked assertion: the client, and the `jti` and `exp` to record so
/// it cannot be used twice.
pub struct Authenticated {
    pub client: Arc<Client>,
    pub jti: String,
    pub expires_at: i64,
}

/// How long fetched keys may be kept, by the answer's Cache-Control:
/// `None` when not at all.
fn keys_life(cache_control: Option<&str>) -> Option<Duration> {
    let Some(value) = cache_control else {
        return Some(DEFAULT_KEYS_LIFE);
    };
    let mut life = DEFAULT_KEYS_LIFE;
    for directive in value.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return None;
        }
        if let Some(secs) = lower.strip_prefix("max-age=") {
            match secs.trim_matches('"').parse::<u64>() {
                Ok(0) => return None,
                Ok(secs) => life = Duration::from_secs(secs).min(MAX_KEYS_LIFE),
                Err(_) => {}
            }
        }
    }
    Some(life)
}

impl Engine {
    /// Checks a `private_key_jwt` client assertion made for `issuer`'s
    /// token endpoint: signed by a key of the app, `iss` = `sub` = the
    /// client id, `aud` the token endpoint (or the issuer), alive for at most five minutes,
    /// with a `jti`. Whether the `jti` was used before is the caller's to
    /// check (see [`Authenticated`]).
    pub async fn authenticate_assertion(
        &self,
        issuer: &Issuer,
        assertion_type: Option<&str>,
        assertion: Option<&str>,
    ) -> OAuthResult<Authenticated> {
        match assertion_type {
            Some(ASSERTION_TYPE) => {}
            Some(other) => {
                return Err(OAuthError::invalid_client(format!(
                    "`client_assertion_type` must be `{ASSERTION_TYPE}`, not `{other}`."
                )))
            }
            None => {
                return Err(OAuthError::invalid_client(format!(
                    "Authenticate with a signed JWT: send `client_assertion` and `client_assertion_type={ASSERTION_TYPE}`."
                )))
            }
        }
        let assertion = assertion
            .filter(|a| !a.is_empty())
            .ok_or_else(|| OAuthError::invalid_client("`client_assertion` is missing."))?;
        let jws = Compact::parse(assertion)
            .ok_or_else(|| OAuthError::invalid_client("`client_assertion` is not a JWT."))?;
        let header = &jws.header;
        if !matches!(header.alg, Algorithm::RS384 | Algorithm::ES384) {
            return Err(OAuthError::invalid_client(format!(
                "Sign the client assertion with RS384 or ES384, not {:?}.",
                header.alg
            )));
        }
        let claims: AssertionClaims = jws.claims().ok_or_else(|| {
            OAuthError::invalid_client("The client assertion's claims are not JSON.")
        })?;
        let client_id = claims
            .sub
            .clone()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                OAuthError::invalid_client("The client assertion has no `sub` (the client id).")
            })?;
        if claims.iss.as_deref() != Some(client_id.as_str()) {
            return Err(OAuthError::invalid_client(
                "The client assertion's `iss` and `sub` must both be the client id.",
            ));
        }
        let client = self.active_client(issuer, &client_id).await?;
        if client.auth_method != "private_key_jwt" {
            return Err(OAuthError::invalid_client(format!(
                "This client is registered to authenticate with `{}`, not a signed JWT.",
                client.auth_method
            )));
        }
        if let Some(jku) = &header.jku {
            if client.jwks_uri.as_deref() != Some(jku.as_str()) {
                return Err(OAuthError::invalid_client(
                    "The assertion's `jku` is not the client's registered `jwks_uri`.",
                ));
            }
        }

        let verify = |keys: &ClientKeys| -> Option<bool> {
            let mut candidates = keys
                .candidates(header.kid.as_deref(), header.alg)
                .peekable();
            candidates.peek()?;
            Some(candidates.any(|key| jws.verifies_with(key)))
        };
        let verified = match (&client.jwks, &client.jwks_uri) {
            (Some(keys), _) => verify(keys),
            (None, Some(uri)) => {
                let keys = self.remote_keys(uri, false).await?;
                match verify(&keys) {
                    None => {
                        // A key the app added since the last fetch.
                        let keys = self.remote_keys(uri, true).await?;
                        verify(&keys)
                    }
                    found => found,
                }
            }
            (None, None) => None,
        };
        match verified {
            Some(true) => {}
            Some(false) => {
                return Err(OAuthError::invalid_client(
                    "The client assertion's signature does not verify with the client's keys.",
                ))
            }
            None => return Err(OAuthError::invalid_client(
                "None of the client's registered keys matches the assertion's `kid` and algorithm.",
            )),
        }
        let Some(exp) = claims.exp else {
            return Err(OAuthError::invalid_client(
                "The client assertion needs an `exp` claim.",
            ));
        };
        let Some(aud) = &claims.aud else {
            return Err(OAuthError::invalid_client(
                "The client assertion needs an `aud` claim.",
            ));
        };
        // SMART names the token endpoint; RFC 7523 (and newer clients)
        // the issuer.
        let token_endpoint = issuer.token_endpoint();
        let ours = |a: &serde_json::Value| {
            a.as_str()
                .is_some_and(|a| a == token_endpoint || a == issuer.url)
        };
        let addressed = match aud {
            serde_json::Value::Array(auds) => auds.iter().any(ours),
            one => ours(one),
        };
        if !addressed {
            return Err(OAuthError::invalid_client(
                "The client assertion's `aud` must be this token endpoint's URL (or the issuer).",
            ));
        }

        let now = self.now().timestamp();
        if exp + CLOCK_SKEW < now {
            return Err(OAuthError::invalid_client(
                "The client assertion has expired.",
            ));
        }
        if claims.nbf.is_some_and(|nbf| nbf > now + CLOCK_SKEW) {
            return Err(OAuthError::invalid_client(
                "The client assertion is not valid yet (`nbf`).",
            ));
        }
        if exp - now > MAX_ASSERTION_LIFE {
            return Err(OAuthError::invalid_client(
                "The client assertion lives too long: `exp` may be at most five minutes away.",
            ));
        }
        let jti = claims
            .jti
            .filter(|j| !j.is_empty() && j.len() <= 255)
            .ok_or_else(|| OAuthError::invalid_client("The client assertion needs a `jti`."))?;
        Ok(Authenticated {
            client,
            jti,
            expires_at: exp,
        })
    }

    /// The keys at `uri`, fetched under the server-side fetch rules and
    /// kept as its Cache-Control allows; `again` fetches anew unless the
    /// last fetch was moments ago.
    async fn remote_keys(&self, uri: &str, again: bool) -> OAuthResult<Arc<ClientKeys>> {
        let cache = self.client_cache();
        if let Some((fetched, until, keys)) = cache
            .remote
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(uri)
        {
            let fresh = Instant::now() < *until;
            if fresh && (!again || fetched.elapsed() < REFETCH_AFTER) {
                return Ok(keys.clone());
            }
        }
        let url = url::Url::parse(uri)
            .map_err(|_| OAuthError::invalid_client("The client's `jwks_uri` is not a URL."))?;
        let fetched = crate::platform::fetch::fetch_with_cache_control(&self.config().fetch, &url)
            .await
            .map_err(|e| {
                OAuthError::invalid_client(format!(
                    "The client's keys could not be fetched from its `jwks_uri`: {e}"
                ))
            })?;
        let keys: JwkSet = serde_json::from_slice(&fetched.body).map_err(|_| {
            OAuthError::invalid_client("The client's `jwks_uri` does not answer a JWK set.")
        })?;
        let keys = Arc::new(ClientKeys::new(keys));
        let now = Instant::now();
        let mut remote = cache.remote.lock().unwrap_or_else(|p| p.into_inner());
        match keys_life(fetched.cache_control.as_deref()) {
            Some(life) => {
                if remote.len() >= CLIENT_CAPACITY {
                    remote.clear();
                }
                remote.insert(uri.to_owned(), (now, now + life, keys.clone()));
            }
            None => {
                remote.remove(uri);
            }
        }
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetched_keys_live_as_cache_control_says() {
        assert_eq!(keys_life(None), Some(DEFAULT_KEYS_LIFE));
        assert_eq!(
            keys_life(Some("public, max-age=60")),
            Some(Duration::from_secs(60))
        );
        assert_eq!(keys_life(Some("max-age=999999999")), Some(MAX_KEYS_LIFE));
        assert_eq!(keys_life(Some("no-store")), None);
        assert_eq!(keys_life(Some("max-age=0")), None);
        assert_eq!(keys_life(Some("private")), Some(DEFAULT_KEYS_LIFE));
    }
}
