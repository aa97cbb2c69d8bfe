//! The EHR registry: `GET /api/v1/registrations[/{client_id}]` with a
//! tenant API key (`registrations:read`). Lists page by last change with an
//! opaque cursor, filter with `updated_since`, and answer `304` when
//! `If-None-Match` names the page's ETag.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::TokenScope;
use engine::tenancy::registry::{Registration, RegistrationCursor};
use engine::tenancy::TenantPrincipal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use super::json::QueryParams;
use super::{ApiError, Page};
use crate::http::AppState;

/// The tenant behind a tenant API key.
pub struct TenantKey(pub std::sync::Arc<TenantPrincipal>);

impl FromRequestParts<AppState> for TenantKey {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let key = super::auth::bearer(parts)?;
        Ok(Self(state.engine.authenticate_tenant_key(key).await?))
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationResponse {
    /// The client id the app uses with `issuer`: the authorization
    /// server's own once it gave one, else Sidecar's.
    pub client_id: String,
    /// Sidecar's client id for the install (`GET …/registrations/{client_id}`
    /// finds it by either).
    pub sidecar_client_id: String,
    pub app: String,
    pub client_name: String,
    pub token_endpoint_auth_method: String,
    pub redirect_uris: Vec<String>,
    pub launch_url: Option<String>,
    /// The scopes the tenant granted.
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks: Option<serde_json::Value>,
    /// The issuer of the authorization server the install is at.
    pub issuer: String,
    /// Where the install is at a server other than the built-in one, and
    /// where provisioning stands there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_server: Option<ServerClientResponse>,
    /// `active`, `suspended` or `revoked`.
    pub status: String,
    /// The app version installed (`0`: a sandbox's draft).
    pub version: i32,
    pub updated_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServerClientResponse {
    /// The id of the tenant's authorization server.
    pub id: String,
    /// The client id that server gave (absent until it did).
    pub client_id: Option<String>,
    /// `pending`, `provisioning`, `active`, `awaiting_manual`, `retrying`,
    /// `failed`, `rejected`, `orphaned` or `deprovisioned`.
    pub provisioning_state: String,
}

impl From<Registration> for RegistrationResponse {
    fn from(r: Registration) -> Self {
        Self {
            client_id: r.client_id,
            sidecar_client_id: r.sidecar_client_id,
            authorization_server: r.authorization_server.map(|s| ServerClientResponse {
                id: s.id,
                client_id: s.client_id,
                provisioning_state: s.provisioning_state,
            }),
            app: r.app_slug,
            client_name: r.client_name,
            token_endpoint_auth_method: r.token_endpoint_auth_method,
            redirect_uris: r.redirect_uris,
            launch_url: r.launch_url,
            scope: r.scope,
            jwks_uri: r.jwks_uri,
            jwks: r.jwks,
            issuer: r.issuer,
            status: r.status,
            version: r.version,
            updated_at: r
                .updated_at
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// The `next_cursor` of the page before.
    pub cursor: Option<String>,
    /// Only registrations changed at or after this RFC 3339 time.
    pub updated_since: Option<String>,
    /// Registrations per page: 100 by default, 1 to 200.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// A JSON body and its strong ETag (a hash of the body).
#[derive(Clone)]
struct Tagged {
    etag: HeaderValue,
    body: Bytes,
}

impl Tagged {
    fn new<T: Serialize>(body: &T) -> Result<Self, ApiError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| ApiError::from(engine::EngineError::Unexpected(e.into())))?;
        let etag = format!("\"{}\"", hex::encode(&Sha256::digest(&bytes)[..16]));
        let etag = HeaderValue::from_str(&etag)
            .map_err(|e| ApiError::from(engine::EngineError::Unexpected(e.into())))?;
        Ok(Self {
            etag,
            body: Bytes::from(bytes),
        })
    }

    /// `304` when `If-None-Match` names the ETag, else the body.
    fn answer(self, if_none_match: &IfNoneMatch) -> Response {
        let etag = self.etag.as_bytes();
        let known = if_none_match
            .0
            .iter()
            .flat_map(|v| v.as_bytes().split(|b| *b == b','))
            .map(|t| t.trim_ascii())
            .any(|t| t == etag || t == b"*");
        if known {
            return (StatusCode::NOT_MODIFIED, [(header::ETAG, self.etag)]).into_response();
        }
        (
            [
                (header::ETAG, self.etag),
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                ),
            ],
            self.body,
        )
            .into_response()
    }
}

/// The `If-None-Match` values of a request (only those: the registry is
/// polled hard, and copying every header for one is waste).
pub struct IfNoneMatch(Vec<HeaderValue>);

impl<S: Send + Sync> FromRequestParts<S> for IfNoneMatch {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .headers
                .get_all(header::IF_NONE_MATCH)
                .iter()
                .cloned()
                .collect(),
        ))
    }
}

/// Registry pages already answered, by tenant and query, each with the
/// registry generation it was built under (see
/// `engine::tenancy::watch`): EHRs poll the same pages over and over, and
/// while nothing changes the answer, ETag included, comes from memory.
#[derive(Default)]
pub struct RegistryPages {
    pages: Mutex<Pages>,
}

#[derive(Default)]
struct Pages {
    by_key: HashMap<String, (u64, Tagged)>,
    /// The bodies' total size.
    bytes: usize,
}

/// What the cache may hold: every page of a thousand tenants of 50
/// installs is 25 MB.
const CACHE_BYTES: usize = 64 * 1024 * 1024;

impl RegistryPages {
    fn get(&self, key: &str, generation: u64) -> Option<Tagged> {
        let pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        pages
            .by_key
            .get(key)
            .filter(|(g, _)| *g == generation)
            .map(|(_, page)| page.clone())
    }

    /// Keeps `page`; when the cache is full, pages of older generations
    /// go first, then everything.
    fn put(&self, key: String, generation: u64, page: Tagged) {
        let mut pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        if pages.bytes + page.body.len() > CACHE_BYTES {
            pages.by_key.retain(|_, (g, _)| *g == generation);
            pages.bytes = pages.by_key.values().map(|(_, p)| p.body.len()).sum();
            if pages.bytes + page.body.len() > CACHE_BYTES {
                pages.by_key.clear();
                pages.bytes = 0;
            }
        }
        pages.bytes += page.body.len();
        if let Some((_, old)) = pages.by_key.insert(key, (generation, page)) {
            pages.bytes -= old.body.len();
        }
    }
}

/// The tenant's registrations (every install its authorization server must
/// know, suspended and revoked included), oldest change first (tenant key
/// with `registrations:read`). Poll with `If-None-Match`: an unchanged page
/// answers `304`.
#[utoipa::path(
    get,
    operation_id = "list_registrations",
    path = "/api/v1/registrations",
    tag = "registrations",
    security(("tenant_key" = [])),
    params(
        ListParams,
        ("If-None-Match" = Option<String>, Header, description = "ETags of pages already held."),
    ),
    responses(
        (status = 200, body = Page<RegistrationResponse>, headers(("ETag" = String))),
        (status = 304, description = "The page is unchanged.", headers(("ETag" = String))),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    TenantKey(tenant): TenantKey,
    QueryParams(params): QueryParams<ListParams>,
    RawQuery(query): RawQuery,
    if_none_match: IfNoneMatch,
) -> Result<Response, ApiError> {
    tenant.require(TokenScope::RegistrationsRead)?;
    let generation = state.engine.registry_generation().await?;
    let key = format!("{}?{}", tenant.tenant_id, query.unwrap_or_default());
    if let Some(page) = state.registry_pages.get(&key, generation) {
        return Ok(page.answer(&if_none_match));
    }
    let cursor = match params.cursor.as_deref() {
        None | Some("") => None,
        Some(text) => Some(
            RegistrationCursor::decode(text)
                .ok_or_else(|| ApiError::bad_request("`cursor` is not one this API gave out."))?,
        ),
    };
    let updated_since = match params.updated_since.as_deref() {
        None | Some("") => None,
        Some(text) => Some(
            chrono::DateTime::parse_from_rfc3339(text)
                .map_err(|_| {
                    ApiError::bad_request(
                        "`updated_since` is an RFC 3339 time, e.g. 2026-12-01T09:30:00Z.",
                    )
                })?
                .with_timezone(&chrono::Utc),
        ),
    };
    let (items, next) = state
        .engine
        .registrations(
            &tenant,
            updated_since,
            cursor.as_ref(),
            params.limit.unwrap_or(100),
        )
        .await?;
    let page = Page {
        items: items
            .into_iter()
            .map(RegistrationResponse::from)
            .collect::<Vec<_>>(),
        next_cursor: next.map(|c| c.encode()),
    };
    let page = Tagged::new(&page)?;
    state.registry_pages.put(key, generation, page.clone());
    Ok(page.answer(&if_none_match))
}

/// One registration by its client id.
#[utoipa::path(
    get,
    operation_id = "get_registration",
    path = "/api/v1/registrations/{client_id}",
    tag = "registrations",
    security(("tenant_key" = [])),
    params(
        ("client_id" = String, Path, description = "The install's client id."),
        ("If-None-Match" = Option<String>, Header, description = "ETags already held."),
    ),
    responses(
        (status = 200, body = RegistrationResponse, headers(("ETag" = String))),
        (status = 304, description = "Unchanged.", headers(("ETag" = String))),
    ),
)]
pub async fn get(
    State(state): State<AppState>,
    TenantKey(tenant): TenantKey,
    Path(client_id): Path<String>,
    if_none_match: IfNoneMatch,
) -> Result<Response, ApiError> {
    let registration = state
        .engine
        .registration_by_client_id(&tenant, &client_id)
        .await?;
    Ok(Tagged::new(&RegistrationResponse::from(registration))?.answer(&if_none_match))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(bytes: usize) -> Tagged {
        Tagged {
            etag: HeaderValue::from_static("\"x\""),
            body: Bytes::from(vec![b' '; bytes]),
        }
    }

    #[test]
    fn the_page_cache_counts_its_bytes_and_drops_old_generations_first() {
        let cache = RegistryPages::default();
        cache.put("a".into(), 1, page(10));
        cache.put("a".into(), 1, page(20));
        assert_eq!(cache.pages.lock().unwrap().bytes, 20);
        assert!(cache.get("a", 1).is_some());
        assert!(cache.get("a", 2).is_none(), "a page of another generation");

        let half = CACHE_BYTES / 2;
        cache.put("old".into(), 1, page(half));
        cache.put("new".into(), 2, page(half));
        // Full: generation 1 went, generation 2 stayed.
        assert!(cache.get("new", 2).is_some());
        assert!(cache.get("old", 1).is_none());
        assert_eq!(cache.pages.lock().unwrap().bytes, half);
    }
}
