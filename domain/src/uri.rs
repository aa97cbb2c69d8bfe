//! Redirect URIs and launch URLs, as registered by developers.
//!
//! Rules from RFC 9700 (OAuth 2.0 Security BCP) §4.1.3 and §2.1, RFC 8252
//! (native apps) §7: redirect URIs are absolute, https (plain http only on a
//! loopback host), with no fragment, no userinfo and no wildcard; native apps
//! may use a private-use scheme in reverse-domain form. At authorize time
//! they are matched by exact string, so the text is kept as written.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use url::{Host, Url};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UriError {
    #[error("Enter an absolute URL such as https://app.example.org/callback.")]
    NotAbsolute,
    #[error("Use https; plain http is allowed only for loopback addresses (127.0.0.1, [::1], localhost).")]
    NotHttps,
    #[error("Use https: this URL must be an https URL (plain http is not accepted here, not even on loopback).")]
    HttpsOnly,
    #[error("Remove the fragment (#…): it is never sent to the server.")]
    Fragment,
    #[error("Remove the user name or password from the URL.")]
    Userinfo,
    #[error("Wildcards are not allowed: register each exact URL.")]
    Wildcard,
    #[error("Remove spaces and control characters.")]
    Whitespace,
    #[error("A private-use scheme must be a reversed domain you control, such as com.example.app:/callback (RFC 8252 §7.1).")]
    PrivateScheme,
    #[error("A URL is at most 2000 characters long.")]
    TooLong,
    #[error("A FHIR base URL has no query (?…): give the server's base, such as https://fhir.example.org/r4.")]
    Query,
}

fn is_loopback(host: Option<Host<&str>>) -> bool {
    match host {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Shared checks of redirect URIs and launch URLs; returns the parsed URL.
fn check_common(text: &str) -> Result<Url, UriError> {
    if text.len() > 2000 {
        return Err(UriError::TooLong);
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(UriError::Whitespace);
    }
    if text.contains('*') {
        return Err(UriError::Wildcard);
    }
    let url = Url::parse(text).map_err(|_| UriError::NotAbsolute)?;
    if url.fragment().is_some() || text.contains('#') {
        return Err(UriError::Fragment);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UriError::Userinfo);
    }
    Ok(url)
}

fn check_web(url: &Url) -> Result<(), UriError> {
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if is_loopback(url.host()) => Ok(()),
        "http" | "https" => Err(UriError::NotHttps),
        _ => Err(UriError::NotHttps),
    }
}

/// An OAuth redirect URI, exactly as registered.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RedirectUri(String);

impl RedirectUri {
    pub fn parse(text: &str) -> Result<Self, UriError> {
        let url = check_common(text)?;
        match url.scheme() {
            "http" | "https" => check_web(&url)?,
            scheme => {
                // RFC 8252 §7.1: reverse domain name notation, with a period.
                let labels: Vec<&str> = scheme.split('.').collect();
                if labels.len() < 2 || labels.iter().any(|l| l.is_empty()) {
                    return Err(UriError::PrivateScheme);
                }
            }
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Exact string comparison (RFC 9700 §4.1.3), nothing cleverer.
    pub fn matches(&self, presented: &str) -> bool {
        self.0 == presented
    }

    /// The site (scheme and registrable host) for same-site checks.
    pub fn host(&self) -> Option<String> {
        Url::parse(&self.0)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
    }
}

/// The URL an EHR opens to launch the app (SMART App Launch §"EHR launch").
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LaunchUrl(String);

impl LaunchUrl {
    pub fn parse(text: &str) -> Result<Self, UriError> {
        let url = check_common(text)?;
        check_web(&url)?;
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn host(&self) -> Option<String> {
        Url::parse(&self.0)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
    }
}

/// An https URL for public links (homepage, policy, terms, logo, JWKS).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HttpsUrl(String);

impl HttpsUrl {
    pub fn parse(text: &str) -> Result<Self, UriError> {
        let url = check_common(text)?;
        if url.scheme() != "https" || url.host().is_none() {
            return Err(UriError::HttpsOnly);
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The base URL of a FHIR server, the `aud` a SMART app names (SMART App
/// Launch §"Obtain authorization code"). Compared as text, so a trailing
/// slash is dropped when parsed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FhirBaseUrl(String);

impl FhirBaseUrl {
    pub fn parse(text: &str) -> Result<Self, UriError> {
        let text = text.trim().trim_end_matches('/');
        let url = check_common(text)?;
        check_web(&url)?;
        if url.query().is_some() || text.contains('?') {
            return Err(UriError::Query);
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! display_as_text {
    ($($ty:ident),*) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    )*};
}

display_as_text!(RedirectUri, LaunchUrl, HttpsUrl, FhirBaseUrl);
text_conversions!(
    RedirectUri => UriError,
    LaunchUrl => UriError,
    HttpsUrl => UriError,
    FhirBaseUrl => UriError
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fhir_base_urls_lose_a_trailing_slash_and_refuse_queries() {
        let url = FhirBaseUrl::parse(" https://fhir.example.org/r4/ ").unwrap();
        assert_eq!(url.as_str(), "https://fhir.example.org/r4");
        assert!(FhirBaseUrl::parse("http://127.0.0.1:8080/fhir").is_ok());
        assert_eq!(
            FhirBaseUrl::parse("http://fhir.example.org/r4"),
            Err(UriError::NotHttps)
        );
        assert_eq!(
            FhirBaseUrl::parse("https://fhir.example.org/r4?x=1"),
            Err(UriError::Query)
        );
        assert_eq!(FhirBaseUrl::parse("fhir"), Err(UriError::NotAbsolute));
    }

    #[test]
    fn good_redirect_uris_are_kept_exactly() {
        for uri in [
            "https://app.example.org/callback",
            "https://app.example.org/cb?x=1",
            "http://127.0.0.1:8080/cb",
            "http://[::1]/cb",
            "http://localhost:3000/cb",
            "com.example.app:/oauth2redirect",
        ] {
            assert_eq!(RedirectUri::parse(uri).unwrap().as_str(), uri);
        }
    }

    #[test]
    fn bad_redirect_uris_say_why() {
        let cases = [
            ("/callback", UriError::NotAbsolute),
            ("http://app.example.org/cb", UriError::NotHttps),
            ("https://app.example.org/cb#frag", UriError::Fragment),
            ("https://user:pw@app.example.org/cb", UriError::Userinfo),
            ("https://*.example.org/cb", UriError::Wildcard),
            ("https://app.example.org/c b", UriError::Whitespace),
            ("myapp:/cb", UriError::PrivateScheme),
            ("http://10.0.0.1/cb", UriError::NotHttps),
        ];
        for (uri, expected) in cases {
            assert_eq!(RedirectUri::parse(uri), Err(expected), "{uri}");
        }
    }

    #[test]
    fn matching_is_by_exact_string() {
        let registered = RedirectUri::parse("https://app.example.org/callback").unwrap();
        assert!(registered.matches("https://app.example.org/callback"));
        assert!(!registered.matches("https://app.example.org/callback/"));
        assert!(!registered.matches("https://APP.example.org/callback"));
        assert!(!registered.matches("https://app.example.org/callback?x=1"));
    }

    #[test]
    fn launch_urls_are_web_urls() {
        assert!(LaunchUrl::parse("https://app.example.org/launch").is_ok());
        assert_eq!(
            LaunchUrl::parse("com.example.app:/launch"),
            Err(UriError::NotHttps)
        );
        assert_eq!(
            HttpsUrl::parse("http://localhost/logo.png"),
            Err(UriError::HttpsOnly)
        );
        // The message tells the rule this type enforces, not the redirect URIs' one.
        let message = UriError::HttpsOnly.to_string();
        assert!(message.contains("not even on loopback"), "{message}");
    }
}
