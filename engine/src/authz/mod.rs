//! The built-in SMART authorization server, one issuer per tenant
//! (`{PUBLIC_URL}/t/{tenant}`): discovery, signing keys, the authorize
//! endpoint with its sign-in and consent, EHR launch contexts, the token
//! endpoint, introspection and revocation.
//!
//! Its errors are OAuth's own ([`OAuthError`], RFC 6749 §5.2), not the
//! REST API's. What it serves on every request (the tenant, its keys, its
//! clients) is kept in memory while the registry generation stays, so
//! backend-service tokens and introspection read nothing from the database
//! on their way; the user flows (codes, refresh tokens) keep their state
//! there.

pub mod authorize;
pub mod client;
pub mod discovery;
pub mod grants;
pub(crate) mod jws;
pub mod keys;
pub mod launch;
pub(crate) mod throttle;
pub mod tokens;
pub mod users;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::entity::tenants;
use crate::{Engine, EngineError, EngineResult};

/// An OAuth error answer: the status, the RFC 6749 / 7009 / 7662 code and a
/// description a developer can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub status: u16,
    pub error: &'static str,
    pub description: String,
    /// Seconds to wait, for a throttled client.
    pub retry_after: Option<u64>,
}

impl OAuthError {
    pub fn new(status: u16, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: description.into(),
            retry_after: None,
        }
    }

    /// Too many failed authentications: `429` with `Retry-After`.
    pub fn throttled(retry_after_secs: u64) -> Self {
        Self {
            retry_after: Some(retry_after_secs),
            ..Self::new(
                429,
                "invalid_client",
                format!("Too many failed attempts. Try again in {retry_after_secs} seconds."),
            )
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(400, "invalid_request", description)
    }

    /// Client authentication failed (RFC 6749 §5.2: 401).
    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(401, "invalid_client", description)
    }

    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(400, "invalid_grant", description)
    }

    pub fn invalid_scope(description: impl Into<String>) -> Self {
        Self::new(400, "invalid_scope", description)
    }

    pub fn unauthorized_client(description: impl Into<String>) -> Self {
        Self::new(400, "unauthorized_client", description)
    }

    pub fn unsupported_grant_type(description: impl Into<String>) -> Self {
        Self::new(400, "unsupported_grant_type", description)
    }

    pub fn server_error() -> Self {
        Self::new(
            500,
            "server_error",
            "Something went wrong on our side. Try again later.",
        )
    }
}

impl From<EngineError> for OAuthError {
    fn from(err: EngineError) -> Self {
        match err {
            EngineError::NotFound(m) => Self::new(404, "invalid_request", m),
            EngineError::Throttled { retry_after_secs } => Self::throttled(retry_after_secs),
            EngineError::Unexpected(inner) => {
                tracing::error!(error = %format!("{inner:#}"), "authorization server request failed");
                Self::server_error()
            }
            other => Self::invalid_request(other.to_string()),
        }
    }
}

impl From<sea_orm::DbErr> for OAuthError {
    fn from(err: sea_orm::DbErr) -> Self {
        EngineError::from(err).into()
    }
}

pub type OAuthResult<T> = Result<T, OAuthError>;

/// A tenant as its authorization server sees it.
#[derive(Debug, Clone)]
pub struct Issuer {
    pub tenant_id: String,
    pub slug: String,
    pub name: String,
    /// `{PUBLIC_URL}/t/{slug}`.
    pub url: String,
    /// The FHIR servers its tokens are for (the `aud` of SMART); the issuer
    /// itself when the tenant has set none.
    pub audiences: Vec<String>,
}

impl Issuer {
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}/{path}", self.url)
    }

    /// The token endpoint, which is also the `aud` client assertions name.
    pub fn token_endpoint(&self) -> String {
        self.endpoint("oauth/token")
    }
}

/// Issuers by slug, with the registry generation they were read under.
#[derive(Default)]
pub(crate) struct IssuerCache {
    by_slug: Mutex<HashMap<String, (u64, Arc<Issuer>)>>,
}

/// Bounds memory against requests for made-up tenants (which are never
/// cached: only tenants that exist are).
const ISSUER_CAPACITY: usize = 10_000;

impl Engine {
    /// The authorization server of the tenant `slug`.
    pub async fn issuer(&self, slug: &str) -> EngineResult<Arc<Issuer>> {
        let generation = self.registry_generation().await?;
        if let Some((g, issuer)) = self
            .issuer_cache()
            .by_slug
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(slug)
        {
            if *g == generation {
                return Ok(issuer.clone());
            }
        }
        let tenant = tenants::Entity::find()
            .filter(tenants::Column::Slug.eq(slug))
            .one(self.db())
            .await?
            .ok_or_else(|| EngineError::not_found("There is no such tenant."))?;
        let url = self.link(&format!("/t/{}", tenant.slug));
        let mut audiences = crate::tenancy::fhir_base_urls(&tenant)?
            .into_iter()
            .map(|u| u.as_str().to_owned())
            .collect::<Vec<_>>();
        if audiences.is_empty() {
            audiences.push(url.clone());
        }
        let issuer = Arc::new(Issuer {
            tenant_id: tenant.id,
            slug: tenant.slug,
            name: tenant.name,
            url,
            audiences,
        });
        let mut cache = self
            .issuer_cache()
            .by_slug
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if cache.len() >= ISSUER_CAPACITY {
            cache.clear();
        }
        cache.insert(slug.to_owned(), (generation, issuer.clone()));
        Ok(issuer)
    }
}
