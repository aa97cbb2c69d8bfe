//! How the app authenticates at the token endpoint: the method, the grants
//! it uses, and the public keys that `private_key_jwt` needs.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::fields::Errors;
use crate::Jwks;

/// How the app authenticates at the token endpoint (RFC 7591 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// A public client (`none`): PKCE only.
    None,
    ClientSecretBasic,
    ClientSecretPost,
    /// Signed JWT assertions with the app's keys (SMART asymmetric auth).
    PrivateKeyJwt,
}

impl ClientAuth {
    pub fn client_type(self) -> &'static str {
        match self {
            ClientAuth::None => "public",
            ClientAuth::ClientSecretBasic | ClientAuth::ClientSecretPost => {
                "confidential symmetric"
            }
            ClientAuth::PrivateKeyJwt => "confidential asymmetric",
        }
    }
}

pub const GRANT_TYPES: &[&str] = &["authorization_code", "refresh_token", "client_credentials"];

impl Errors {
    /// A missing method means a public client.
    pub(super) fn client_auth(&mut self, value: Option<&str>) -> ClientAuth {
        match value.unwrap_or("none") {
            "none" => ClientAuth::None,
            "client_secret_basic" => ClientAuth::ClientSecretBasic,
            "client_secret_post" => ClientAuth::ClientSecretPost,
            "private_key_jwt" => ClientAuth::PrivateKeyJwt,
            other => {
                self.add_once("token_endpoint_auth_method", format!("`{other}` is not supported: use none, client_secret_basic, client_secret_post or private_key_jwt."));
                ClientAuth::None
            }
        }
    }

    /// No grants listed means the usual one for the launch types: client
    /// credentials for a backend alone, else the authorization code.
    pub(super) fn grant_types(
        &mut self,
        values: Option<Vec<String>>,
        launch_types: &[String],
    ) -> Vec<String> {
        let default_grants = if launch_types == ["backend"] {
            vec!["client_credentials".to_owned()]
        } else {
            vec!["authorization_code".to_owned()]
        };
        match values {
            Some(g) if !g.is_empty() => self.choices("grant_types", Some(g), GRANT_TYPES),
            _ => default_grants,
        }
    }

    pub(super) fn jwks(&mut self, value: Option<Value>) -> Option<Jwks> {
        match value {
            Some(Value::Null) | None => None,
            Some(value) => match Jwks::parse(value) {
                Ok(jwks) => Some(jwks),
                Err(err) => {
                    self.add_once("jwks", err.to_string());
                    None
                }
            },
        }
    }
}
