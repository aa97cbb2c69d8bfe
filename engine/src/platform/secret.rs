//! Random tokens and their stored form.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// 256 random bits, base64url without padding (43 characters).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// How a high-entropy token is stored: its SHA-256, hex. A token carries 256
/// random bits, so a fast hash is enough; human passwords use argon2id.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new opaque id with a readable prefix, e.g. `usr_0190…`. Time-ordered
/// (UUID v7) so that ids sort by creation.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::now_v7().simple())
}

/// The key that protects secrets at rest: client secrets are stored as
/// HMAC-SHA-256 under it, so a copy of the database alone cannot check a
/// guessed secret.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl MasterKey {
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A 256-bit key for one purpose, named by `label`: HMAC-SHA-256 of the
    /// label under the master key.
    pub fn derive(&self, label: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        if let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&self.0) {
            mac.update(label.as_bytes());
            out.copy_from_slice(&mac.finalize().into_bytes());
        }
        out
    }

    /// HMAC-SHA-256 of `secret` under the key, hex.
    pub fn keyed_hash(&self, secret: &str) -> String {
        // A 32-byte key is always a valid HMAC key.
        let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(&self.0) {
            Ok(mac) => mac,
            Err(_) => return String::new(),
        };
        mac.update(secret.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

/// Compares two hashes without an early exit on the first difference.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}
