//! The clients of a tenant's authorization server (its installs), and how
//! they prove who they are: a signed JWT assertion (`private_key_jwt`,
//! SMART Backend Services) checked against the app's keys.

mod assertion;

pub use assertion::Authenticated;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use domain::ScopeSet;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::Algorithm;

use crate::authz::jws::PublicKey;
use crate::authz::{Issuer, OAuthError, OAuthResult};
use crate::{Engine, EngineError};

pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The longest an assertion may live: SMART Backend Services says five
/// minutes; a minute more for clock skew.
const MAX_ASSERTION_LIFE: i64 = 5 * 60 + CLOCK_SKEW;

/// How far apart the client's clock and ours may be, in seconds.
const CLOCK_SKEW: i64 = 60;

/// How long fetched keys are kept when the answer says nothing.
const DEFAULT_KEYS_LIFE: Duration = Duration::from_secs(300);
/// The longest fetched keys are kept, whatever the answer says.
const MAX_KEYS_LIFE: Duration = Duration::from_secs(24 * 3600);
/// A `kid` not among the fetched keys fetches them again, at most this often.
const REFETCH_AFTER: Duration = Duration::from_secs(10);

/// An install as its tenant's authorization server enforces it.
#[derive(Debug)]
pub struct Client {
    pub client_id: String,
    pub install_id: String,
    pub app_slug: String,
    pub client_name: String,
    /// Where codes may be sent, compared by exact string.
    pub redirect_uris: Vec<String>,
    /// `active`, `suspended` or `revoked`.
    pub status: String,
    /// What the tenant granted.
    pub granted: ScopeSet,
    pub auth_method: String,
    pub grant_types: Vec<String>,
    pub jwks_uri: Option<String>,
    jwks: Option<ClientKeys>,
}

/// A client's public keys, each parsed once.
pub(crate) struct ClientKeys(Vec<(Option<String>, PublicKey)>);

impl ClientKeys {
    /// The usable keys of a set (one that can check no assertion is left out).
    fn new(set: JwkSet) -> Self {
        Self(
            set.keys
                .iter()
                .filter_map(|jwk| {
                    PublicKey::from_jwk(jwk).map(|key| (jwk.common.key_id.clone(), key))
                })
                .collect(),
        )
    }

    /// The keys that may have signed: the one named by `kid`, else every
    /// key of the algorithm.
    fn candidates<'a>(
        &'a self,
        kid: Option<&'a str>,
        alg: Algorithm,
    ) -> impl Iterator<Item = &'a PublicKey> {
        self.0
            .iter()
            .filter(move |(id, key)| {
                let named = match (kid, id.as_deref()) {
                    (Some(wanted), Some(id)) => wanted == id,
                    (Some(_), None) => false,
                    (None, _) => true,
                };
                named && key.alg == alg
            })
            .map(|(_, key)| key)
    }
}

impl std::fmt::Debug for ClientKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ClientKeys({} keys)", self.0.len())
    }
}

impl Client {
    pub fn is_active(&self) -> bool {
        self.status == "active"
    }
}

#[derive(Default)]
pub(crate) struct ClientCache {
    clients: Mutex<HashMap<String, (u64, Arc<Client>)>>,
    remote: Mutex<HashMap<String, RemoteKeys>>,
}

/// Keys fetched from a `jwks_uri`: when fetched, until when good.
type RemoteKeys = (Instant, Instant, Arc<ClientKeys>);

/// Bounds memory against requests for made-up client ids (never cached).
const CLIENT_CAPACITY: usize = 100_000;

impl Engine {
    /// The tenant's install with this client id, kept while the registry
    /// generation stays.
    pub async fn client(
        &self,
        issuer: &Issuer,
        client_id: &str,
    ) -> Result<Arc<Client>, EngineError> {
        let generation = self.registry_generation().await?;
        let cache = self.client_cache();
        let key = format!("{}/{client_id}", issuer.tenant_id);
        if let Some((g, client)) = cache
            .clients
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            if *g == generation {
                return Ok(client.clone());
            }
        }
        let registration = self
            .builtin_registration(&issuer.tenant_id, &issuer.slug, client_id)
            .await?;
        let granted = ScopeSet::parse(&registration.scope)
            .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("a stored grant: {e}")))?;
        let jwks = match registration.jwks {
            Some(value) => Some(ClientKeys::new(
                serde_json::from_value::<JwkSet>(value)
                    .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("stored keys: {e}")))?,
            )),
            None => None,
        };
        let client = Arc::new(Client {
            client_id: registration.sidecar_client_id,
            install_id: registration.install_id,
            app_slug: registration.app_slug,
            client_name: registration.client_name,
            redirect_uris: registration.redirect_uris,
            status: registration.status,
            granted,
            auth_method: registration.token_endpoint_auth_method,
            grant_types: registration.grant_types,
            jwks_uri: registration.jwks_uri,
            jwks,
        });
        let mut clients = cache.clients.lock().unwrap_or_else(|p| p.into_inner());
        if clients.len() >= CLIENT_CAPACITY {
            clients.clear();
        }
        clients.insert(key, (generation, client.clone()));
        Ok(client)
    }

    /// One of the tenant's clients whose install is active, as the token
    /// endpoint asks for it: anything else is `invalid_client`.
    pub(crate) async fn active_client(
        &self,
        issuer: &Issuer,
        client_id: &str,
    ) -> OAuthResult<Arc<Client>> {
        let client = match self.client(issuer, client_id).await {
            Ok(client) => client,
            Err(EngineError::NotFound(_)) => {
                return Err(OAuthError::invalid_client(format!(
                    "`{client_id}` is not a client of this authorization server."
                )))
            }
            Err(other) => return Err(other.into()),
        };
        if !client.is_active() {
            return Err(OAuthError::invalid_client(format!(
                "The install of this client is {}.",
                client.status
            )));
        }
        Ok(client)
    }
}
