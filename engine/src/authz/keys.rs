//! Each tenant's signing keys: ES256 for access tokens (fast to sign and
//! verify), RS256 for id tokens (what SMART requires there). Private keys
//! are stored sealed under the master key. A rotation retires the current
//! pair: retired keys sign nothing more but stay published, and keep
//! verifying, until the last token they could have signed has expired.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::{anyhow, Context as _};
use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde::Serialize;
use serde_json::{json, Value};

use super::jws::KeyPair;
use crate::entity::signing_keys;
use crate::secret::{new_id, MasterKey};
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

/// The key private keys are sealed with, derived from the master key.
fn sealing_key(master: &MasterKey) -> EngineResult<LessSafeKey> {
    let bytes = master.derive("sidecar signing-key seal v1");
    let key = UnboundKey::new(&AES_256_GCM, &bytes)
        .map_err(|_| anyhow!("the sealing key was refused"))?;
    Ok(LessSafeKey::new(key))
}

/// AES-256-GCM under the sealing key: base64 of nonce ‖ ciphertext ‖ tag.
/// The key id is the associated data, so a sealed key cannot be moved to
/// another row.
fn seal(master: &MasterKey, kid: &str, plain: &[u8]) -> EngineResult<String> {
    let key = sealing_key(master)?;
    let mut nonce = [0u8; NONCE_LEN];
    SystemRandom::new()
        .fill(&mut nonce)
        .map_err(|_| anyhow!("no randomness for a nonce"))?;
    let mut sealed = plain.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(kid.as_bytes()),
        &mut sealed,
    )
    .map_err(|_| anyhow!("sealing a signing key failed"))?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    Ok(STANDARD.encode(out))
}

fn unseal(master: &MasterKey, kid: &str, text: &str) -> EngineResult<Vec<u8>> {
    let bytes = STANDARD
        .decode(text)
        .context("a sealed signing key is not base64")?;
    if bytes.len() < NONCE_LEN {
        return Err(anyhow!("a sealed signing key is too short").into());
    }
    let (nonce, sealed) = bytes.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce)
        .map_err(|_| anyhow!("a sealed signing key has a bad nonce"))?;
    let mut sealed = sealed.to_vec();
    let plain = sealing_key(master)?
        .open_in_place(nonce, Aad::from(kid.as_bytes()), &mut sealed)
        .map_err(|_| {
            anyhow!("a signing key does not open with this master key (was SIDECAR_MASTER_KEY changed?)")
        })?;
    Ok(plain.to_vec())
}

/// PKCS#8 as PEM, the form the JWT library reads RSA keys in.
fn pem(pkcs8: &[u8]) -> String {
    let body = STANDARD.encode(pkcs8);
    let mut out = String::from("-----BEGIN PRIVATE KEY-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END PRIVATE KEY-----\n");
    out
}

/// The key as the JWT library reads it, to publish its public half.
fn encoding_key(alg: Algorithm, pkcs8: &[u8]) -> EngineResult<EncodingKey> {
    Ok(match alg {
        Algorithm::ES256 => EncodingKey::from_ec_der(pkcs8),
        Algorithm::RS256 => EncodingKey::from_rsa_pem(pem(pkcs8).as_bytes())
            .context("a stored RSA signing key does not parse")?,
        other => return Err(anyhow!("no signing keys of {other:?}").into()),
    })
}

fn alg_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::RS256 => "RS256",
        _ => "ES256",
    }
}

fn parse_alg(text: &str) -> EngineResult<Algorithm> {
    match text {
        "ES256" => Ok(Algorithm::ES256),
        "RS256" => Ok(Algorithm::RS256),
        other => Err(anyhow!("a signing key of unknown algorithm {other}").into()),
    }
}

/// A fresh key pair: its PKCS#8 and public JWK (with `kid`, `alg`, `use`).
pub(crate) fn generate(alg: Algorithm, kid: &str) -> EngineResult<(Vec<u8>, Value)> {
    let pkcs8 = match alg {
        Algorithm::ES256 => EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .and_then(|k| k.to_pkcs8v1())
            .map_err(|_| anyhow!("could not make a P-256 key"))?
            .as_ref()
            .to_vec(),
        Algorithm::RS256 => RsaKeyPair::generate(KeySize::Rsa2048)
            .and_then(|k| k.as_der())
            .map_err(|_| anyhow!("could not make an RSA key"))?
            .as_ref()
            .to_vec(),
        other => return Err(anyhow!("no signing keys of {other:?}").into()),
    };
    let encoding = encoding_key(alg, &pkcs8)?;
    let jwk = Jwk::from_encoding_key(&encoding, alg).context("the public half of a new key")?;
    let mut public = serde_json::to_value(&jwk).context("a JWK as JSON")?;
    if let Some(members) = public.as_object_mut() {
        members.insert("kid".into(), json!(kid));
        members.insert("alg".into(), json!(alg_name(alg)));
        members.insert("use".into(), json!("sig"));
    }
    Ok((pkcs8, public))
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
        crate::audit::record(
            &txn,
            now,
            crate::audit::Event::in_tenant(
                None,
                &tenant.tenant_id,
                "keys.rotated",
                ("tenant", &tenant.tenant_id),
                json!({ "retired_after_minutes": retired_key_life().num_minutes() }),
            ),
        )
        .await?;
        crate::registry_watch::bump(&txn, &tenant.tenant_id).await?;
        txn.commit().await?;
        self.registry_changed();
        let keys = self.tenant_signing_keys(&tenant.tenant_id).await?;
        Ok(vec![keys.access.kid.clone(), keys.id_token.kid.clone()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_key_opens_only_with_its_master_key_and_kid() {
        let master = MasterKey::new([7; 32]);
        let sealed = seal(&master, "key_a", b"private bytes").unwrap();
        assert_eq!(unseal(&master, "key_a", &sealed).unwrap(), b"private bytes");
        assert!(
            unseal(&master, "key_b", &sealed).is_err(),
            "moved to another row"
        );
        assert!(unseal(&MasterKey::new([8; 32]), "key_a", &sealed).is_err());
    }

    #[test]
    fn new_keys_sign_tokens_their_public_jwk_verifies() {
        for alg in [ACCESS_ALG, ID_TOKEN_ALG] {
            let (pkcs8, public) = generate(alg, "key_x").unwrap();
            assert_eq!(public["kid"], "key_x");
            assert_eq!(public["use"], "sig");
            let key = SigningKey {
                kid: "key_x".into(),
                alg,
                pair: KeyPair::from_pkcs8(alg, &pkcs8).unwrap(),
            };
            let token = key
                .sign(
                    jsonwebtoken::Header::default(),
                    &json!({"sub": "s", "exp": 4_000_000_000u64}),
                )
                .unwrap();
            let jwk: Jwk = serde_json::from_value(public).unwrap();
            let mut validation = jsonwebtoken::Validation::new(alg);
            validation.validate_aud = false;
            let decoded = jsonwebtoken::decode::<Value>(
                &token,
                &DecodingKey::from_jwk(&jwk).unwrap(),
                &validation,
            )
            .unwrap();
            assert_eq!(decoded.header.kid.as_deref(), Some("key_x"));
            assert_eq!(decoded.claims["sub"], "s");
        }
    }
}
