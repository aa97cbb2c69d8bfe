//! Key material: generating key pairs, and sealing private keys under the
//! master key (see [`crate::platform::sealed`], the key id as associated
//! data) and opening them again.

use anyhow::{anyhow, Context as _};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{json, Value};

#[cfg(test)]
use super::{SigningKey, ACCESS_ALG, ID_TOKEN_ALG};
use crate::platform::sealed::{self, Purpose};
use crate::platform::secret::MasterKey;
use crate::EngineResult;

/// A private key sealed under the master key, bound to its key id.
pub(super) fn seal(master: &MasterKey, kid: &str, plain: &[u8]) -> EngineResult<String> {
    sealed::seal(master, Purpose::SigningKey, kid, plain)
}

pub(super) fn unseal(master: &MasterKey, kid: &str, text: &str) -> EngineResult<Vec<u8>> {
    sealed::unseal(master, Purpose::SigningKey, kid, text)
}

/// PKCS#8 as PEM, the form the JWT library reads RSA keys in.
pub(super) fn pem(pkcs8: &[u8]) -> String {
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
pub(super) fn encoding_key(alg: Algorithm, pkcs8: &[u8]) -> EngineResult<EncodingKey> {
    Ok(match alg {
        Algorithm::ES256 => EncodingKey::from_ec_der(pkcs8),
        Algorithm::RS256 => EncodingKey::from_rsa_pem(pem(pkcs8).as_bytes())
            .context("a stored RSA signing key does not parse")?,
        other => return Err(anyhow!("no signing keys of {other:?}").into()),
    })
}

pub(super) fn alg_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::RS256 => "RS256",
        _ => "ES256",
    }
}

pub(super) fn parse_alg(text: &str) -> EngineResult<Algorithm> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::jws::KeyPair;
    use jsonwebtoken::DecodingKey;

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
