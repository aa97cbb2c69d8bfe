//! Human passwords: argon2id hashes and the common-password check.

use anyhow::{anyhow, Context};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use domain::{NewPassword, PasswordError};

/// OWASP's argon2id baseline: m = 19 MiB, t = 2, p = 1.
fn argon2() -> anyhow::Result<Argon2<'static>> {
    let params =
        Params::new(19 * 1024, 2, 1, None).map_err(|e| anyhow!("argon2 parameters: {e}"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Refuses passwords that are among the most common or trivially derived
/// from them (NIST SP 800-63B §5.1.1.2 asks for a blocklist check). zxcvbn's
/// dictionaries hold the most common passwords and its score also catches
/// keyboard walks, repeats and dates; `context` (the email, say) counts as
/// known to an attacker.
pub fn check_not_common(password: &NewPassword, context: &[&str]) -> Result<(), PasswordError> {
    let estimate = zxcvbn::zxcvbn(password.expose(), context);
    if u8::from(estimate.score()) < 2 {
        return Err(PasswordError::TooCommon);
    }
    Ok(())
}

/// Hashes on a blocking thread: argon2id is deliberately slow.
pub async fn hash(password: &str) -> anyhow::Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || -> anyhow::Result<String> {
        let salt = SaltString::generate(&mut OsRng);
        let hash = argon2()?
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| anyhow!("argon2 hashing failed: {e}"))?;
        Ok(hash.to_string())
    })
    .await
    .context("password hashing task failed")?
}

/// Verifies on a blocking thread. With no stored hash (unknown account) it
/// still does the same work against a fixed hash, so that the answer takes as
/// long as for a real account and reveals nothing.
pub async fn verify(password: &str, stored: Option<&str>) -> anyhow::Result<bool> {
    let password = password.to_owned();
    let known = stored.is_some();
    let stored = stored.map(str::to_owned);
    tokio::task::spawn_blocking(move || -> anyhow::Result<bool> {
        let stored = match stored {
            Some(stored) => stored,
            None => dummy_hash()?,
        };
        let parsed = PasswordHash::new(&stored)
            .map_err(|e| anyhow!("stored password hash is malformed: {e}"))?;
        let matches = argon2()?
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(known && matches)
    })
    .await
    .context("password verification task failed")?
}

fn dummy_hash() -> anyhow::Result<String> {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return Ok(hash.clone());
    }
    let salt = SaltString::generate(&mut OsRng);
    let hash = argon2()?
        .hash_password(b"not a real password", &salt)
        .map_err(|e| anyhow!("argon2 hashing failed: {e}"))?
        .to_string();
    Ok(DUMMY.get_or_init(|| hash).clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_only_its_password() {
        let hash = hash("correct horse battery staple").await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse battery staple", Some(&hash))
            .await
            .unwrap());
        assert!(!verify("Correct horse battery staple", Some(&hash))
            .await
            .unwrap());
        assert!(!verify("correct horse battery staple", None).await.unwrap());
    }

    #[test]
    fn the_most_common_passwords_are_refused() {
        for common in [
            "password",
            "12345678",
            "qwertyuiop",
            "password1",
            "iloveyou1",
            "aaaaaaaa",
        ] {
            let password = NewPassword::parse(common).unwrap();
            assert_eq!(
                check_not_common(&password, &[]),
                Err(PasswordError::TooCommon),
                "{common}"
            );
        }
        let good = NewPassword::parse("lantern orchard pivot").unwrap();
        assert_eq!(check_not_common(&good, &[]), Ok(()));
    }

    #[test]
    fn a_password_made_of_the_email_is_refused() {
        let password = NewPassword::parse("ada.lovelace").unwrap();
        assert_eq!(
            check_not_common(&password, &["ada.lovelace@example.org", "ada.lovelace"]),
            Err(PasswordError::TooCommon)
        );
    }
}
