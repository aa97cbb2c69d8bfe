//! Secrets Sidecar must read back (signing keys, tokens other servers gave
//! it), sealed at rest: AES-256-GCM under a key derived from the master key
//! for one purpose, with the row they belong to as associated data, so a
//! sealed value can be neither read with a copy of the database alone nor
//! moved to another row or another use.

use anyhow::{anyhow, Context as _};
use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::platform::secret::MasterKey;
use crate::EngineResult;

/// What a sealed value is for; each purpose has its own key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The private halves of the authorization servers' signing keys.
    SigningKey,
    /// Credentials other authorization servers issue to Sidecar or its
    /// installs (initial and registration access tokens, client secrets).
    ServerCredential,
}

impl Purpose {
    /// The derivation label; changing one makes every value sealed for it
    /// unreadable.
    fn label(self) -> &'static str {
        match self {
            Self::SigningKey => "sidecar signing-key seal v1",
            Self::ServerCredential => "sidecar server-credential seal v1",
        }
    }
}

fn key(master: &MasterKey, purpose: Purpose) -> EngineResult<LessSafeKey> {
    let bytes = master.derive(purpose.label());
    let key = UnboundKey::new(&AES_256_GCM, &bytes)
        .map_err(|_| anyhow!("the sealing key was refused"))?;
    Ok(LessSafeKey::new(key))
}

/// `plain` sealed for `purpose`, bound to `row`: base64 of nonce ‖
/// ciphertext ‖ tag.
pub fn seal(master: &MasterKey, purpose: Purpose, row: &str, plain: &[u8]) -> EngineResult<String> {
    let key = key(master, purpose)?;
    let mut nonce = [0u8; NONCE_LEN];
    SystemRandom::new()
        .fill(&mut nonce)
        .map_err(|_| anyhow!("no randomness for a nonce"))?;
    let mut sealed = plain.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(row.as_bytes()),
        &mut sealed,
    )
    .map_err(|_| anyhow!("sealing a {purpose:?} failed"))?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    Ok(STANDARD.encode(out))
}

/// What [`seal`] sealed, for the same purpose and row.
pub fn unseal(
    master: &MasterKey,
    purpose: Purpose,
    row: &str,
    text: &str,
) -> EngineResult<Vec<u8>> {
    let bytes = STANDARD
        .decode(text)
        .with_context(|| format!("a sealed {purpose:?} is not base64"))?;
    if bytes.len() < NONCE_LEN {
        return Err(anyhow!("a sealed {purpose:?} is too short").into());
    }
    let (nonce, sealed) = bytes.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce)
        .map_err(|_| anyhow!("a sealed {purpose:?} has a bad nonce"))?;
    let mut sealed = sealed.to_vec();
    let plain = key(master, purpose)?
        .open_in_place(nonce, Aad::from(row.as_bytes()), &mut sealed)
        .map_err(|_| {
            anyhow!("a sealed {purpose:?} does not open with this master key (was SIDECAR_MASTER_KEY changed?)")
        })?;
    Ok(plain.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_purpose_and_row() {
        let master = MasterKey::new([7; 32]);
        let sealed = seal(&master, Purpose::SigningKey, "key_a", b"private bytes").unwrap();
        assert_eq!(
            unseal(&master, Purpose::SigningKey, "key_a", &sealed).unwrap(),
            b"private bytes"
        );
        assert!(unseal(&master, Purpose::SigningKey, "key_b", &sealed).is_err());
        assert!(unseal(&master, Purpose::ServerCredential, "key_a", &sealed).is_err());
        assert!(unseal(
            &MasterKey::new([8; 32]),
            Purpose::SigningKey,
            "key_a",
            &sealed
        )
        .is_err());
        assert!(unseal(&master, Purpose::SigningKey, "key_a", "not base64!").is_err());
    }
}
