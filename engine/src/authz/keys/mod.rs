//! Each tenant's signing keys: ES256 for access tokens (fast to sign and
//! verify), RS256 for id tokens (what SMART requires there). Private keys
//! are stored sealed under the master key. A rotation retires the current
//! pair: retired keys sign nothing more but stay published, and keep
//! verifying, until the last token they could have signed has expired.

mod material;

use material::{alg_name, generate, parse_alg, seal, unseal};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::{anyhow, Context as _};
use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, Header};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde::Serialize;
use serde_json::{json, Value};

use crate::authz::jws::KeyPair;
use crate::entity::signing_keys;
use crate::platform::secret::{new_id, MasterKey};
use crate::{Engine, EngineResult};

/// What access tokens are signed with.
pub const ACCESS_ALG: Algorithm = Algorithm::ES256;
/// What id tokens are signed with (SMART App Launch requires RS256).
pub const ID_TOKEN_ALG: Algorithm = Algorithm::RS256;

/// How long a retired key stays published: the longest life of anything
/// it signs (an access token: one hour) and five minutes of clock skew.
pub fn retired_key_life() -> chrono::Duration {
    chrono::Duration::minutes(65)
}

/// A key that signs.
pub struct SigningKey {
    pub kid: String,
    pub alg: Algorithm,
    pair: KeyPair,
}

impl SigningKey {
    /// A compact JWS of `claims` under `header`, which names this key.
    pub(crate) fn sign(&self, mut header: Header, claims: &impl Serialize) -> EngineResult<String> {
        header.alg = self.alg;
        header.kid = Some(self.kid.clone());
        self.pair
            .sign(&header, claims)
            .map_err(|e| anyhow!("signing a token: {e}").into())
    }
}

/// A tenant's keys as loaded: the two that sign, every key that still
/// verifies, and the JWKS document that publishes those.
pub struct TenantKeys {
    pub access: SigningKey,
    pub id_token: SigningKey,
    verifying: Vec<(String, Algorithm, DecodingKey)>,
    /// `{"keys": [...]}`, newest first.
    pub jwks: Value,
    /// When a retired key drops out, so the set must be loaded again.
    pub(crate) valid_until: Option<DateTime<Utc>>,
}

impl TenantKeys {
    /// The key with this `kid` that still verifies.
    pub fn verifier(&self, kid: &str) -> Option<(Algorithm, &DecodingKey)> {
        self.verifying
            .iter()
            .find(|(k, _, _)| k == kid)
            .map(|(_, alg, key)| (*alg, key))
    }
}

/// Loaded key sets by tenant id, with the registry generation they were
/// loaded under (a rotation moves it).
#[derive(Default)]
pub(crate) struct KeyCache {
    tenants: Mutex<HashMap<String, (u64, Arc<TenantKeys>)>>,
}

async fn insert_key(
    conn: &impl ConnectionTrait,
    master: &MasterKey,
    tenant_id: &str,
    alg: Algorithm,
    now: DateTime<Utc>,
) -> EngineResult<()> {
    let kid = new_id("key");
    let (pkcs8, public) = generate(alg, &kid)?;
    signing_keys::ActiveModel {
        private_key: Set(seal(master, &kid, &pkcs8)?),
        id: Set(kid),
        tenant_id: Set(tenant_id.to_owned()),
        alg: Set(alg_name(alg).to_owned()),
        public_jwk: Set(public.to_string()),
        created_at: Set(now),
        retired_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(())
}

impl Engine {
    /// The tenant's keys, made on first use and kept in memory while the
    /// registry generation stays (a rotation anywhere moves it).
    pub async fn tenant_signing_keys(&self, tenant_id: &str) -> EngineResult<Arc<TenantKeys>> {
        let generation = self.registry_generation().await?;
        let now = self.now();
        {
            let cache = self
                .key_cache()
                .tenants
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if let Some((g, keys)) = cache.get(tenant_id) {
                if *g == generation && keys.valid_until.is_none_or(|t| now < t) {
                    return Ok(keys.clone());
                }
            }
        }
        let keys = Arc::new(self.load_signing_keys(tenant_id, now).await?);
        self.key_cache()
            .tenants
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(tenant_id.to_owned(), (generation, keys.clone()));
        Ok(keys)
    }

    async fn load_signing_keys(
        &self,
        tenant_id: &str,
        now: DateTime<Utc>,
    ) -> EngineResult<TenantKeys> {
        let mut rows = self.signing_key_rows(tenant_id).await?;
        let missing: Vec<Algorithm> = [ACCESS_ALG, ID_TOKEN_ALG]
            .into_iter()
            .filter(|alg| {
                !rows
                    .iter()
                    .any(|r| r.retired_at.is_none() && r.alg == alg_name(*alg))
            })
            .collect();
        if !missing.is_empty() {
            // Two processes may both make a first key; the newer signs and
            // both verify, so the race is harmless.
            for alg in missing {
                insert_key(self.db(), &self.config().master_key, tenant_id, alg, now).await?;
            }
            rows = self.signing_key_rows(tenant_id).await?;
        }

        let published_after = now - retired_key_life();
        let mut verifying = Vec::new();
        let mut jwks = Vec::new();
        let mut valid_until: Option<DateTime<Utc>> = None;
        let mut signers: HashMap<&'static str, SigningKey> = HashMap::new();
        for row in &rows {
            if row.retired_at.is_some_and(|at| at <= published_after) {
                continue;
            }
            let alg = parse_alg(&row.alg)?;
            let public: Value =
                serde_json::from_str(&row.public_jwk).context("a stored public JWK")?;
            let jwk: Jwk = serde_json::from_value(public.clone()).context("a stored JWK")?;
            let decoding = DecodingKey::from_jwk(&jwk).context("a stored JWK as a key")?;
            verifying.push((row.id.clone(), alg, decoding));
            jwks.push(public);
            match row.retired_at {
                Some(at) => {
                    let drops = at + retired_key_life();
                    valid_until = Some(valid_until.map_or(drops, |v| v.min(drops)));
                }
                // Rows come newest first: the first live key of each kind signs.
                None => {
                    if !signers.contains_key(alg_name(alg)) {
                        let pkcs8 = unseal(&self.config().master_key, &row.id, &row.private_key)?;
                        signers.insert(
                            alg_name(alg),
                            SigningKey {
                                kid: row.id.clone(),
                                alg,
                                pair: KeyPair::from_pkcs8(alg, &pkcs8)?,
                            },
                        );
                    }
                }
            }
        }
        let mut take = |alg| {
            signers
                .remove(alg_name(alg))
                .ok_or_else(|| anyhow!("the tenant has no live {} key", alg_name(alg)))
        };
        Ok(TenantKeys {
            access: take(ACCESS_ALG)?,
            id_token: take(ID_TOKEN_ALG)?,
            verifying,
            jwks: json!({ "keys": jwks }),
            valid_until,
        })
    }

    async fn signing_key_rows(&self, tenant_id: &str) -> EngineResult<Vec<signing_keys::Model>> {
        Ok(signing_keys::Entity::find()
            .filter(signing_keys::Column::TenantId.eq(tenant_id))
            .order_by_desc(signing_keys::Column::CreatedAt)
            .order_by_desc(signing_keys::Column::Id)
            .all(self.db())
            .await?)
    }

    /// `sidecar keys rotate`: new keys sign from now on; the old ones stay
    /// published and keep verifying until their tokens have expired. Keys
    /// retired longer ago than that are deleted.
    pub async fn rotate_signing_keys(&self, tenant_slug: &str) -> EngineResult<Vec<String>> {
        let tenant = match self.issuer(tenant_slug).await {
            Err(crate::EngineError::NotFound(_)) => {
                return Err(crate::EngineError::not_found(format!(
                    "There is no tenant `{tenant_slug}`."
                )))
            }
            other => other?,
        };
        let now = self.now();
        let txn = self.db().begin().await?;
        signing_keys::Entity::delete_many()
            .filter(signing_keys::Column::TenantId.eq(&tenant.tenant_id))
            .filter(signing_keys::Column::RetiredAt.lte(now - retired_key_life()))
            .exec(&txn)
            .await?;
        signing_keys::Entity::update_many()
            .col_expr(
                signing_keys::Column::RetiredAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(signing_keys::Column::TenantId.eq(&tenant.tenant_id))
            .filter(signing_keys::Column::RetiredAt.is_null())
            .exec(&txn)
            .await?;
        for alg in [ACCESS_ALG, ID_TOKEN_ALG] {
            insert_key(&txn, &self.config().master_key, &tenant.tenant_id, alg, now).await?;
        }
        crate::platform::audit::record(
            &txn,
            now,
            crate::platform::audit::Event::in_tenant(
                None,
                &tenant.tenant_id,
                "keys.rotated",
                ("tenant", &tenant.tenant_id),
                json!({ "retired_after_minutes": retired_key_life().num_minutes() }),
            ),
        )
        .await?;
        crate::tenancy::watch::bump(&txn, &tenant.tenant_id).await?;
        txn.commit().await?;
        self.registry_changed();
        let keys = self.tenant_signing_keys(&tenant.tenant_id).await?;
        Ok(vec![keys.access.kid.clone(), keys.id_token.kid.clone()])
    }
}
