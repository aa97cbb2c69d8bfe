//! Compact JWS (RFC 7515) with keys parsed once. The JWT library parses
//! a key on every use: a tenant's signing key (and, for ECDSA, checking
//! that its halves match, a scalar multiplication) on every token it
//! signs, a client's public key on every assertion it checks. On the
//! token endpoint those are a large share of the work, so the keys that
//! sign and the clients' keys that verify are kept parsed here; the
//! tokens are the same as the library's (its `Header` and base64url
//! without padding), and it still reads and checks everything else.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    EcdsaKeyPair, ParsedPublicKey, RsaKeyPair, RsaPublicKeyComponents,
    ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED, RSA_PKCS1_2048_8192_SHA384,
    RSA_PKCS1_SHA256,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk};
use jsonwebtoken::{Algorithm, Header};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A private key that signs, parsed and checked once.
pub(crate) enum KeyPair {
    Es256(EcdsaKeyPair),
    Rs256(RsaKeyPair),
}

impl KeyPair {
    /// `alg`'s key from its PKCS#8 document.
    pub(crate) fn from_pkcs8(alg: Algorithm, pkcs8: &[u8]) -> anyhow::Result<Self> {
        match alg {
            Algorithm::ES256 => EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8)
                .map(Self::Es256)
                .map_err(|e| anyhow::anyhow!("a stored P-256 key does not parse: {e}")),
            Algorithm::RS256 => RsaKeyPair::from_pkcs8(pkcs8)
                .map(Self::Rs256)
                .map_err(|e| anyhow::anyhow!("a stored RSA key does not parse: {e}")),
            other => Err(anyhow::anyhow!("no signing keys of {other:?}")),
        }
    }

    /// `header.claims.signature`, as `jsonwebtoken::encode` makes it.
    pub(crate) fn sign(&self, header: &Header, claims: &impl Serialize) -> anyhow::Result<String> {
        let mut token = URL_SAFE_NO_PAD.encode(serde_json::to_vec(header)?);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(serde_json::to_vec(claims)?, &mut token);
        let rng = SystemRandom::new();
        let signature = match self {
            Self::Es256(key) => key
                .sign(&rng, token.as_bytes())
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| anyhow::anyhow!("ES256 signing failed"))?,
            Self::Rs256(key) => {
                let mut signature = vec![0; key.public_modulus_len()];
                key.sign(&RSA_PKCS1_SHA256, &rng, token.as_bytes(), &mut signature)
                    .map_err(|_| anyhow::anyhow!("RS256 signing failed"))?;
                signature
            }
        };
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut token);
        Ok(token)
    }
}

/// A client's public key, parsed once, for the one assertion algorithm
/// its kind allows: RS384 for RSA keys, ES384 for P-384 keys.
pub(crate) struct PublicKey {
    pub alg: Algorithm,
    key: ParsedPublicKey,
}

impl PublicKey {
    /// `None` for a key that can check no assertion (another curve, a
    /// symmetric key, broken numbers).
    pub(crate) fn from_jwk(jwk: &Jwk) -> Option<Self> {
        match &jwk.algorithm {
            AlgorithmParameters::RSA(rsa) => {
                let n = URL_SAFE_NO_PAD.decode(&rsa.n).ok()?;
                let e = URL_SAFE_NO_PAD.decode(&rsa.e).ok()?;
                let key = RsaPublicKeyComponents { n: &n, e: &e }
                    .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA384)
                    .ok()?;
                Some(Self {
                    alg: Algorithm::RS384,
                    key,
                })
            }
            AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P384 => {
                let x = URL_SAFE_NO_PAD.decode(&ec.x).ok()?;
                let y = URL_SAFE_NO_PAD.decode(&ec.y).ok()?;
                if x.len() != 48 || y.len() != 48 {
                    return None;
                }
                let mut point = Vec::with_capacity(97);
                point.push(0x04);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                let key = ParsedPublicKey::new(&ECDSA_P384_SHA384_FIXED, point).ok()?;
                Some(Self {
                    alg: Algorithm::ES384,
                    key,
                })
            }
            _ => None,
        }
    }
}

/// A compact JWS taken apart, its signature not yet checked.
pub(crate) struct Compact<'a> {
    pub header: Header,
    /// `header.payload`, what the signature covers.
    signed: &'a str,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

impl<'a> Compact<'a> {
    /// `None` unless `token` is three base64url parts with a JSON header
    /// the JWT library knows.
    pub(crate) fn parse(token: &'a str) -> Option<Self> {
        let (signed, signature) = token.rsplit_once('.')?;
        let (header, payload) = signed.split_once('.')?;
        let header = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
        Some(Self {
            header,
            signed,
            payload: URL_SAFE_NO_PAD.decode(payload).ok()?,
            signature: URL_SAFE_NO_PAD.decode(signature).ok()?,
        })
    }

    /// The payload as `T` (signature unchecked).
    pub(crate) fn claims<T: DeserializeOwned>(&self) -> Option<T> {
        serde_json::from_slice(&self.payload).ok()
    }

    /// Whether `key` made the signature, with the header's algorithm.
    pub(crate) fn verifies_with(&self, key: &PublicKey) -> bool {
        key.alg == self.header.alg
            && key
                .key
                .verify_sig(self.signed.as_bytes(), &self.signature)
                .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::EncodingKey;
    use serde_json::{json, Value};

    const ES384_PEM: &str = include_str!("../../../server/tests/suite/fixtures/backend-es384.pem");
    const RS384_PEM: &str = include_str!("../../../server/tests/suite/fixtures/backend-rs384.pem");
    const JWKS: &str = include_str!("../../../server/tests/suite/fixtures/backend-jwks.json");

    fn client_keys() -> Vec<(String, PublicKey)> {
        let set: jsonwebtoken::jwk::JwkSet = serde_json::from_str(JWKS).unwrap();
        set.keys
            .iter()
            .map(|jwk| {
                (
                    jwk.common.key_id.clone().unwrap(),
                    PublicKey::from_jwk(jwk).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn assertions_the_library_signs_verify_with_the_parsed_keys_only() {
        let keys = client_keys();
        for (alg, key, kid) in [
            (
                Algorithm::ES384,
                EncodingKey::from_ec_pem(ES384_PEM.as_bytes()).unwrap(),
                "es384-test",
            ),
            (
                Algorithm::RS384,
                EncodingKey::from_rsa_pem(RS384_PEM.as_bytes()).unwrap(),
                "rs384-test",
            ),
        ] {
            let token = jsonwebtoken::encode(&Header::new(alg), &json!({"sub": "c", "n": 1}), &key)
                .unwrap();
            let compact = Compact::parse(&token).unwrap();
            assert_eq!(compact.claims::<Value>().unwrap()["n"], 1);
            for (id, public) in &keys {
                assert_eq!(
                    compact.verifies_with(public),
                    id == kid,
                    "{alg:?} with {id}"
                );
            }
            // One changed claim and the signature no longer holds.
            let (_, rest) = token.split_once('.').unwrap();
            let (_, signature) = rest.split_once('.').unwrap();
            let forged = format!(
                "{}.{}.{signature}",
                token.split('.').next().unwrap(),
                URL_SAFE_NO_PAD.encode(br#"{"sub":"c","n":2}"#)
            );
            let forged = Compact::parse(&forged).unwrap();
            assert!(keys.iter().all(|(_, public)| !forged.verifies_with(public)));
        }
    }

    #[test]
    fn malformed_tokens_do_not_parse() {
        for token in ["", "a.b", "a.b.c", "e30.e30.!!", "bm90IGpzb24.e30.AA"] {
            assert!(Compact::parse(token).is_none(), "{token}");
        }
    }
}
