//! Scopes of personal access tokens and tenant API keys (DESIGN: public contract).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a bearer token may be used for. A personal access token still acts
/// only within its user's memberships; the scope narrows, never widens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TokenScope {
    // Personal access tokens.
    #[serde(rename = "publisher")]
    Publisher,
    #[serde(rename = "review")]
    Review,
    #[serde(rename = "tenant-admin")]
    TenantAdmin,
    // Tenant API keys.
    #[serde(rename = "registrations:read")]
    RegistrationsRead,
    #[serde(rename = "launch:write")]
    LaunchWrite,
    #[serde(rename = "introspect")]
    Introspect,
    #[serde(rename = "installs:write")]
    InstallsWrite,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenScopeError {
    #[error("unknown scope `{0}`; personal access tokens take publisher, review or tenant-admin")]
    Unknown(String),
    #[error("scope `{0}` belongs to tenant API keys, not personal access tokens")]
    NotForPersonalTokens(String),
}

impl TokenScope {
    pub const PERSONAL: &'static [TokenScope] = &[
        TokenScope::Publisher,
        TokenScope::Review,
        TokenScope::TenantAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Publisher => "publisher",
            TokenScope::Review => "review",
            TokenScope::TenantAdmin => "tenant-admin",
            TokenScope::RegistrationsRead => "registrations:read",
            TokenScope::LaunchWrite => "launch:write",
            TokenScope::Introspect => "introspect",
            TokenScope::InstallsWrite => "installs:write",
        }
    }

    pub fn is_personal(self) -> bool {
        Self::PERSONAL.contains(&self)
    }

    /// Parses a scope for a personal access token, refusing tenant-key scopes.
    pub fn parse_personal(input: &str) -> Result<Self, TokenScopeError> {
        let scope: TokenScope = input.parse()?;
        if !scope.is_personal() {
            return Err(TokenScopeError::NotForPersonalTokens(input.to_owned()));
        }
        Ok(scope)
    }

    /// Parses a space-separated list as stored, skipping nothing: one bad
    /// entry fails the whole list.
    pub fn parse_list(input: &str) -> Result<Vec<Self>, TokenScopeError> {
        let mut scopes = input
            .split_whitespace()
            .map(str::parse)
            .collect::<Result<Vec<Self>, _>>()?;
        scopes.sort();
        scopes.dedup();
        Ok(scopes)
    }

    pub fn join(scopes: &[TokenScope]) -> String {
        scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl fmt::Display for TokenScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TokenScope {
    type Err = TokenScopeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "publisher" => TokenScope::Publisher,
            "review" => TokenScope::Review,
            "tenant-admin" => TokenScope::TenantAdmin,
            "registrations:read" => TokenScope::RegistrationsRead,
            "launch:write" => TokenScope::LaunchWrite,
            "introspect" => TokenScope::Introspect,
            "installs:write" => TokenScope::InstallsWrite,
            other => return Err(TokenScopeError::Unknown(other.to_owned())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_scopes_refuse_tenant_key_scopes() {
        assert_eq!(
            TokenScope::parse_personal("publisher"),
            Ok(TokenScope::Publisher)
        );
        assert!(matches!(
            TokenScope::parse_personal("introspect"),
            Err(TokenScopeError::NotForPersonalTokens(_))
        ));
        assert!(matches!(
            TokenScope::parse_personal("root"),
            Err(TokenScopeError::Unknown(_))
        ));
    }

    #[test]
    fn lists_round_trip_sorted_and_deduplicated() {
        let scopes = TokenScope::parse_list("review publisher review").unwrap();
        assert_eq!(TokenScope::join(&scopes), "publisher review");
    }
}
