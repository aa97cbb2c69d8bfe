//! Reading an authorization server's metadata from its issuer: the OpenID
//! form (`{issuer}/.well-known/openid-configuration`), RFC 8414's form
//! (`/.well-known/oauth-authorization-server` inserted before the issuer's
//! path, and appended after it, as some servers serve it), and SMART's
//! `/.well-known/smart-configuration` for a `registration_endpoint` the
//! others do not carry. Every fetch follows the server-side fetch rules
//! (public addresses, no redirects, bounded time and size).
//!
//! The issuer a document names must be the one asked for (RFC 8414 §3.3),
//! and the registration endpoint must share the issuer's origin: a
//! document cannot send Sidecar's registrations, with their tokens,
//! somewhere else.

use serde::{Deserialize, Serialize};
use url::Url;

use crate::platform::fetch::{fetch, FetchConfig, FetchError};

/// What Sidecar takes from a server's metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discovered {
    /// The document it came from.
    pub source: String,
    /// The issuer as the server spells it (what its tokens' `iss` holds).
    #[serde(default)]
    pub issuer: String,
    pub registration_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    #[serde(default)]
    pub scopes_supported: Vec<String>,
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Vec<String>,
}

/// Why discovery did not give usable metadata.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiscoveryError {
    /// Nothing answered (down, timing out, 5xx): worth trying again later.
    #[error("{url} could not be read: {error}")]
    Unreachable { url: String, error: FetchError },
    /// It answered, and the answer cannot be used as it stands.
    #[error("{0}")]
    Unusable(String),
}

impl DiscoveryError {
    fn unusable(text: impl Into<String>) -> Self {
        Self::Unusable(text.into())
    }
}

/// The metadata documents to try for `issuer`, in order.
pub fn candidates(issuer: &Url) -> Vec<Url> {
    let path = issuer.path().trim_end_matches('/');
    let mut origin = issuer.clone();
    origin.set_path("");
    origin.set_query(None);
    origin.set_fragment(None);
    let at = |p: String| origin.join(&p).ok();
    let mut out: Vec<Url> = [
        at(format!("{path}/.well-known/openid-configuration")),
        at(format!("/.well-known/oauth-authorization-server{path}")),
        at(format!("{path}/.well-known/oauth-authorization-server")),
    ]
    .into_iter()
    .flatten()
    .collect();
    out.dedup();
    out
}

/// The SMART configuration document of `issuer`.
fn smart_configuration(issuer: &Url) -> Url {
    let path = issuer.path().trim_end_matches('/');
    let mut url = issuer.clone();
    url.set_path(&format!("{path}/.well-known/smart-configuration"));
    url.set_query(None);
    url
}

/// Checks an issuer as a person typed it: an absolute https URL (http only
/// where the development setting allows private fetches) without query or
/// fragment, as RFC 8414 §2 requires.
pub fn parse_issuer(text: &str, config: &FetchConfig) -> Result<Url, String> {
    let url = Url::parse(text.trim()).map_err(|e| format!("`{text}` is not a URL: {e}"))?;
    let http_allowed = config.allow_private && url.scheme() == "http";
    if url.scheme() != "https" && !http_allowed {
        return Err("The issuer must be an https URL.".into());
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("The issuer must name a host.".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("An issuer has no query or fragment (RFC 8414 §2).".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("An issuer carries no user name or password.".into());
    }
    Ok(url)
}

fn same_issuer(a: &str, b: &Url) -> bool {
    a.trim_end_matches('/') == b.as_str().trim_end_matches('/')
}

#[derive(Deserialize)]
struct Document {
    issuer: Option<String>,
    registration_endpoint: Option<String>,
    token_endpoint: Option<String>,
    #[serde(default)]
    scopes_supported: Vec<String>,
    #[serde(default)]
    token_endpoint_auth_methods_supported: Vec<String>,
}

/// One document: `Ok(None)` when there is none at `url` (404 and the like).
async fn read(config: &FetchConfig, url: &Url) -> Result<Option<Document>, DiscoveryError> {
    let body = match fetch(config, url).await {
        Ok(body) => body,
        Err(FetchError::Status(404 | 405 | 410)) => return Ok(None),
        Err(FetchError::Status(status)) if status >= 500 || status == 429 => {
            return Err(DiscoveryError::Unreachable {
                url: url.to_string(),
                error: FetchError::Status(status),
            })
        }
        Err(
            error @ (FetchError::Connect(_)
            | FetchError::Timeout(_)
            | FetchError::Unanswered(_)
            | FetchError::Resolve(_)),
        ) => {
            return Err(DiscoveryError::Unreachable {
                url: url.to_string(),
                error,
            })
        }
        Err(other) => {
            return Err(DiscoveryError::unusable(format!(
                "{url} was refused: {other}."
            )))
        }
    };
    serde_json::from_slice(&body)
        .map(Some)
        .map_err(|e| DiscoveryError::unusable(format!("{url} is not a metadata document: {e}.")))
}

/// An endpoint a document names, held to the issuer's origin.
fn endpoint_at_issuer(issuer: &Url, what: &str, text: &str) -> Result<String, DiscoveryError> {
    let url = Url::parse(text)
        .map_err(|_| DiscoveryError::unusable(format!("The {what} `{text}` is not a URL.")))?;
    if url.origin() != issuer.origin() {
        return Err(DiscoveryError::unusable(format!(
            "The {what} `{text}` is not on the issuer's origin ({}); Sidecar sends registrations to the issuer's own host only.",
            issuer.origin().ascii_serialization()
        )));
    }
    Ok(url.to_string())
}

/// Reads `issuer`'s metadata. `needs_registration`: the server must offer
/// dynamic registration (kind `rfc7591`).
pub async fn discover(
    config: &FetchConfig,
    issuer: &Url,
    needs_registration: bool,
) -> Result<Discovered, DiscoveryError> {
    let mut found = None;
    for url in candidates(issuer) {
        if let Some(document) = read(config, &url).await? {
            found = Some((url, document));
            break;
        }
    }
    let (source, document) = found.ok_or_else(|| {
        DiscoveryError::unusable(format!(
            "{issuer} publishes no metadata: neither /.well-known/openid-configuration nor /.well-known/oauth-authorization-server answered. Check the issuer URL."
        ))
    })?;
    let named_issuer = match &document.issuer {
        Some(named) if same_issuer(named, issuer) => named.clone(),
        Some(named) => {
            return Err(DiscoveryError::unusable(format!(
                "{source} names the issuer `{named}`, not `{issuer}`; use the issuer exactly as the server names it."
            )))
        }
        None => {
            return Err(DiscoveryError::unusable(format!(
                "{source} names no issuer."
            )))
        }
    };
    let mut registration = document.registration_endpoint.clone();
    if registration.is_none() {
        // SMART servers may publish it in their SMART configuration only.
        if let Some(smart) = read(config, &smart_configuration(issuer)).await? {
            registration = smart.registration_endpoint;
        }
    }
    let registration_endpoint = match registration {
        Some(text) => Some(endpoint_at_issuer(issuer, "registration endpoint", &text)?),
        None if needs_registration => {
            return Err(DiscoveryError::unusable(format!(
                "{issuer} offers no dynamic client registration (no registration_endpoint in its metadata); add it as a `manual` server instead."
            )))
        }
        None => None,
    };
    Ok(Discovered {
        source: source.to_string(),
        issuer: named_issuer,
        registration_endpoint,
        token_endpoint: document.token_endpoint,
        scopes_supported: document.scopes_supported,
        token_endpoint_auth_methods_supported: document.token_endpoint_auth_methods_supported,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn issuers_with_a_path_are_tried_in_every_published_form() {
        let found: Vec<String> = candidates(&url("https://id.example/realms/north"))
            .iter()
            .map(Url::to_string)
            .collect();
        assert_eq!(
            found,
            [
                "https://id.example/realms/north/.well-known/openid-configuration",
                "https://id.example/.well-known/oauth-authorization-server/realms/north",
                "https://id.example/realms/north/.well-known/oauth-authorization-server",
            ]
        );
        let root: Vec<String> = candidates(&url("https://id.example/"))
            .iter()
            .map(Url::to_string)
            .collect();
        assert_eq!(
            root,
            [
                "https://id.example/.well-known/openid-configuration",
                "https://id.example/.well-known/oauth-authorization-server",
            ]
        );
    }

    #[test]
    fn issuers_are_https_urls_without_query() {
        let strict = FetchConfig::default();
        assert!(parse_issuer("https://id.example/realms/x", &strict).is_ok());
        assert!(parse_issuer("http://id.example", &strict).is_err());
        assert!(parse_issuer("https://id.example/?a=1", &strict).is_err());
        assert!(parse_issuer("https://user:pw@id.example", &strict).is_err());
        assert!(parse_issuer("id.example", &strict).is_err());
        let dev = FetchConfig {
            allow_private: true,
            ..FetchConfig::default()
        };
        assert!(parse_issuer("http://127.0.0.1:3000", &dev).is_ok());
    }

    #[test]
    fn endpoints_must_share_the_issuers_origin() {
        let issuer = url("https://id.example/realms/x");
        assert!(endpoint_at_issuer(&issuer, "e", "https://id.example/reg").is_ok());
        assert!(endpoint_at_issuer(&issuer, "e", "https://evil.example/reg").is_err());
        assert!(endpoint_at_issuer(&issuer, "e", "http://id.example/reg").is_err());
        assert!(endpoint_at_issuer(&issuer, "e", "https://id.example:8443/reg").is_err());
    }
}
