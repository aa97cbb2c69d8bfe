//! Checks of a developer's public keys (JWKS, RFC 7517) for
//! `private_key_jwt` client authentication (SMART Backend Services and
//! asymmetric confidential apps).
//!
//! Accepted: RSA keys of at least 2048 bits and EC keys on P-256 or P-384,
//! each with a `kid`; never private members.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwksError {
    #[error("The JWKS must be a JSON object with a \"keys\" array.")]
    Shape,
    #[error("The JWKS has no keys.")]
    Empty,
    #[error("The JWKS has more than 20 keys.")]
    TooMany,
    #[error("Key {index}: {reason}")]
    Key { index: usize, reason: String },
}

/// A JWKS whose every key passed the checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Value", into = "Value")]
pub struct Jwks(Value);

const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

fn key_error(index: usize, reason: impl Into<String>) -> JwksError {
    JwksError::Key {
        index,
        reason: reason.into(),
    }
}

fn decoded_len(
    key: &serde_json::Map<String, Value>,
    member: &str,
    index: usize,
) -> Result<usize, JwksError> {
    let text = key
        .get(member)
        .and_then(Value::as_str)
        .ok_or_else(|| key_error(index, format!("missing \"{member}\"")))?;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map(|bytes| bytes.len() - bytes.iter().take_while(|b| **b == 0).count())
        .map_err(|_| key_error(index, format!("\"{member}\" is not base64url")))
}

impl Jwks {
    pub fn parse(value: Value) -> Result<Self, JwksError> {
        let keys = value
            .get("keys")
            .and_then(Value::as_array)
            .ok_or(JwksError::Shape)?;
        if keys.is_empty() {
            return Err(JwksError::Empty);
        }
        if keys.len() > 20 {
            return Err(JwksError::TooMany);
        }
        for (index, key) in keys.iter().enumerate() {
            let key = key
                .as_object()
                .ok_or_else(|| key_error(index, "not a JSON object"))?;
            if let Some(private) = PRIVATE_MEMBERS.iter().find(|m| key.contains_key(**m)) {
                return Err(key_error(
                    index,
                    format!(
                        "contains the private member \"{private}\": publish only the public key"
                    ),
                ));
            }
            if key
                .get("kid")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                return Err(key_error(
                    index,
                    "needs a \"kid\" so that tokens can name it",
                ));
            }
            match key.get("kty").and_then(Value::as_str) {
                Some("RSA") => {
                    let bits = decoded_len(key, "n", index)? * 8;
                    if bits < 2048 {
                        return Err(key_error(
                            index,
                            format!("an RSA key of {bits} bits is too short: use at least 2048"),
                        ));
                    }
                    decoded_len(key, "e", index)?;
                }
                Some("EC") => {
                    let size = match key.get("crv").and_then(Value::as_str) {
                        Some("P-256") => 32,
                        Some("P-384") => 48,
                        other => {
                            return Err(key_error(
                                index,
                                format!(
                                    "curve {} is not supported: use P-256 or P-384",
                                    other.unwrap_or("(none)")
                                ),
                            ))
                        }
                    };
                    for coordinate in ["x", "y"] {
                        if decoded_len(key, coordinate, index)? > size {
                            return Err(key_error(
                                index,
                                format!("\"{coordinate}\" is too long for its curve"),
                            ));
                        }
                    }
                }
                Some(other) => {
                    return Err(key_error(
                        index,
                        format!("key type \"{other}\" is not supported: use RSA or EC"),
                    ))
                }
                None => return Err(key_error(index, "missing \"kty\"")),
            }
        }
        Ok(Self(value))
    }

    pub fn as_json(&self) -> &Value {
        &self.0
    }
}

impl TryFrom<Value> for Jwks {
    type Error = JwksError;
    fn try_from(value: Value) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<Jwks> for Value {
    fn from(value: Jwks) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn b64(len: usize) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(vec![0xA5u8; len])
    }

    #[test]
    fn public_rsa_and_ec_keys_pass() {
        let jwks = json!({"keys": [
            {"kty": "RSA", "kid": "r1", "n": b64(256), "e": "AQAB", "alg": "RS384"},
            {"kty": "EC", "kid": "e1", "crv": "P-384", "x": b64(48), "y": b64(48)},
        ]});
        assert!(Jwks::parse(jwks).is_ok());
    }

    #[test]
    fn weak_private_or_nameless_keys_are_refused_with_the_reason() {
        let cases = [
            (
                json!({"keys": [{"kty": "RSA", "kid": "r", "n": b64(128), "e": "AQAB"}]}),
                "1024 bits is too short",
            ),
            (
                json!({"keys": [{"kty": "RSA", "kid": "r", "n": b64(256), "e": "AQAB", "d": "x"}]}),
                "private member \"d\"",
            ),
            (
                json!({"keys": [{"kty": "RSA", "n": b64(256), "e": "AQAB"}]}),
                "needs a \"kid\"",
            ),
            (
                json!({"keys": [{"kty": "EC", "kid": "e", "crv": "P-521", "x": b64(66), "y": b64(66)}]}),
                "P-521 is not supported",
            ),
            (
                json!({"keys": [{"kty": "oct", "kid": "s", "k": "c2VjcmV0"}]}),
                "private member \"k\"",
            ),
            (
                json!({"keys": [{"kty": "OKP", "kid": "o", "crv": "Ed25519", "x": b64(32)}]}),
                "\"OKP\" is not supported",
            ),
        ];
        for (jwks, reason) in cases {
            let err = Jwks::parse(jwks).unwrap_err().to_string();
            assert!(err.contains(reason), "{err}");
        }
        assert_eq!(Jwks::parse(json!({"keys": []})), Err(JwksError::Empty));
        assert_eq!(Jwks::parse(json!([1, 2])), Err(JwksError::Shape));
    }
}
