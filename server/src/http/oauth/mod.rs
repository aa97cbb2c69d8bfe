//! Each tenant's authorization server over HTTP (`/t/{tenant}/…`):
//! discovery and keys (open to any origin), and the token, introspection
//! and revocation endpoints, which answer in OAuth's error shape
//! (`{"error", "error_description"}`) and are never cached.

use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine as _;
use domain::TokenScope;
use engine::authz::tokens::TokenRequest;
use engine::authz::{discovery, Issuer, OAuthError};
use engine::EngineError;
use serde::Deserialize;
use serde_json::json;

use super::authorize::ClientAddr;
use super::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/t/{tenant}/.well-known/smart-configuration",
            get(smart_configuration),
        )
        .route(
            "/t/{tenant}/.well-known/openid-configuration",
            get(server_metadata),
        )
        .route(
            "/t/{tenant}/.well-known/oauth-authorization-server",
            get(server_metadata),
        )
        .route("/t/{tenant}/oauth/jwks", get(jwks))
        .route("/t/{tenant}/oauth/token", post(token))
        .route("/t/{tenant}/oauth/introspect", post(introspect))
        .route("/t/{tenant}/oauth/revoke", post(revoke))
}

/// Is `path` one of the authorization server's POST endpoints? They take
/// no cookies, so a cross-site request can do nothing a direct one could
/// not.
pub fn is_oauth_endpoint(path: &str) -> bool {
    path.strip_prefix("/t/")
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(_, rest)| rest.starts_with("oauth/"))
}

/// An OAuth error as the wire has it.
struct Refusal(OAuthError);

impl From<OAuthError> for Refusal {
    fn from(e: OAuthError) -> Self {
        Self(e)
    }
}

impl From<EngineError> for Refusal {
    fn from(e: EngineError) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let e = self.0;
        let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = (
            status,
            no_store(),
            Json(json!({ "error": e.error, "error_description": e.description })),
        )
            .into_response();
        if let Some(secs) = e.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// Token answers are never stored (RFC 6749 §5.1).
fn no_store() -> [(header::HeaderName, HeaderValue); 3] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
        (
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        ),
    ]
}

/// Discovery and keys: any origin may read them, and caches may keep
/// them for five minutes.
fn public_json(body: serde_json::Value) -> Response {
    (
        [
            (
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        Json(body),
    )
        .into_response()
}

async fn issuer(state: &AppState, slug: &str) -> Result<std::sync::Arc<Issuer>, Refusal> {
    state.engine.issuer(slug).await.map_err(|e| match e {
        EngineError::NotFound(_) => Refusal(OAuthError::new(
            404,
            "invalid_request",
            format!("There is no tenant `{slug}` on this server."),
        )),
        other => other.into(),
    })
}

async fn smart_configuration(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, Refusal> {
    let issuer = issuer(&state, &slug).await?;
    Ok(public_json(discovery::smart_configuration(&issuer)))
}

async fn server_metadata(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, Refusal> {
    let issuer = issuer(&state, &slug).await?;
    Ok(public_json(discovery::server_metadata(&issuer)))
}

async fn jwks(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, Refusal> {
    let issuer = issuer(&state, &slug).await?;
    let keys = state.engine.tenant_signing_keys(&issuer.tenant_id).await?;
    let mut response = public_json(keys.jwks.clone());
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/jwk-set+json"),
    );
    Ok(response)
}

/// A form body, refused in OAuth's shape when it is not one.
struct OAuthForm<T>(T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for OAuthForm<T> {
    type Rejection = Refusal;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Form::<T>::from_request(request, state).await {
            Ok(Form(value)) => Ok(Self(value)),
            Err(rejection) => Err(Refusal(OAuthError::invalid_request(format!(
                "Send the parameters as an application/x-www-form-urlencoded body: {}",
                rejection.body_text()
            )))),
        }
    }
}

async fn token(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    ClientAddr(from): ClientAddr,
    headers: HeaderMap,
    OAuthForm(mut request): OAuthForm<TokenRequest>,
) -> Response {
    let answer = async {
        let issuer = issuer(&state, &slug).await?;
        with_basic(&headers, &mut request)?;
        request.from = Some(from);
        Ok::<_, Refusal>(state.engine.token(&issuer, &request).await?)
    }
    .await;
    match answer {
        Ok(answer) => (no_store(), Json(answer)).into_response(),
        Err(refusal) => {
            let mut response = refusal.into_response();
            // RFC 6749 §5.2: a client that tried HTTP Basic is told how to
            // authenticate.
            if uses_basic(&headers) && response.status() == StatusCode::UNAUTHORIZED {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"token\""),
                );
            }
            response
        }
    }
}

fn uses_basic(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
}

/// Puts HTTP Basic client credentials (RFC 6749 §2.3.1: each part
/// form-urlencoded) where the form would carry them.
fn with_basic(headers: &HeaderMap, request: &mut TokenRequest) -> Result<(), Refusal> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(());
    };
    let text = value.to_str().unwrap_or_default();
    let Some(encoded) = text
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, rest)| rest.trim())
    else {
        return Ok(());
    };
    let refuse = |m: &str| Refusal(OAuthError::invalid_client(m.to_owned()));
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| {
            refuse("The HTTP Basic credentials are not base64 of `client_id:client_secret`.")
        })?;
    let (id, secret) = decoded
        .split_once(':')
        .ok_or_else(|| refuse("The HTTP Basic credentials are not `client_id:client_secret`."))?;
    let (id, secret) = (form_decoded(id), form_decoded(secret));
    if request.client_secret.is_some() {
        return Err(Refusal(OAuthError::invalid_request(
            "Send the client secret one way: HTTP Basic or the form, not both.",
        )));
    }
    if request.client_id.as_deref().is_some_and(|c| c != id) {
        return Err(refuse(
            "`client_id` is not the client of the HTTP Basic credentials.",
        ));
    }
    request.client_id = Some(id);
    request.client_secret = Some(secret);
    Ok(())
}

/// `application/x-www-form-urlencoded` decoding of one value.
fn form_decoded(text: &str) -> String {
    let spaced = text.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// The tenant API key with `introspect` of this very tenant.
async fn tenant_key(state: &AppState, headers: &HeaderMap, issuer: &Issuer) -> Result<(), Refusal> {
    let unauthorized = |m: &str| Refusal(OAuthError::new(401, "invalid_client", m.to_owned()));
    let key = crate::api::bearer_token(headers).ok_or_else(|| {
        unauthorized(
            "Authenticate with the tenant's API key: `Authorization: Bearer <key>` (scope `introspect`).",
        )
    })?;
    let principal = state
        .engine
        .authenticate_tenant_key(key)
        .await
        .map_err(|_| unauthorized("The API key is unknown, expired or revoked."))?;
    if principal.tenant_id != issuer.tenant_id {
        return Err(unauthorized("The API key is not one of this tenant's."));
    }
    principal.require(TokenScope::Introspect).map_err(|_| {
        Refusal(OAuthError::new(
            403,
            "insufficient_scope",
            "The API key lacks the `introspect` scope.",
        ))
    })
}

#[derive(Deserialize)]
struct TokenForm {
    token: Option<String>,
    #[allow(dead_code)]
    token_type_hint: Option<String>,
    client_assertion_type: Option<String>,
    client_assertion: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

fn the_token(form: &TokenForm) -> Result<&str, Refusal> {
    form.token
        .as_deref()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Refusal(OAuthError::invalid_request("`token` is missing.")))
}

/// RFC 7662, for the tenant's resource servers (its EHR).
async fn introspect(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    OAuthForm(form): OAuthForm<TokenForm>,
) -> Result<Response, Refusal> {
    let issuer = issuer(&state, &slug).await?;
    tenant_key(&state, &headers, &issuer).await?;
    let token = the_token(&form)?;
    let answer = state.engine.introspect(&issuer, token).await?;
    Ok((no_store(), Json(answer)).into_response())
}

/// RFC 7009: by the client the token was issued to (authenticated as at
/// the token endpoint), or by the tenant's API key with `introspect`.
async fn revoke(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    ClientAddr(from): ClientAddr,
    headers: HeaderMap,
    OAuthForm(form): OAuthForm<TokenForm>,
) -> Result<Response, Refusal> {
    let issuer = issuer(&state, &slug).await?;
    let client_id = if crate::api::bearer_token(&headers).is_some() {
        tenant_key(&state, &headers, &issuer).await?;
        None
    } else {
        let mut credentials = TokenRequest {
            client_assertion_type: form.client_assertion_type.clone(),
            client_assertion: form.client_assertion.clone(),
            client_id: form.client_id.clone(),
            client_secret: form.client_secret.clone(),
            from: Some(from),
            ..TokenRequest::default()
        };
        with_basic(&headers, &mut credentials)?;
        let client = state
            .engine
            .authenticate_revoking_client(&issuer, &credentials)
            .await?;
        Some(client.client_id.clone())
    };
    let token = the_token(&form)?;
    state
        .engine
        .revoke_token(&issuer, client_id.as_deref(), token)
        .await?;
    Ok((StatusCode::OK, no_store()).into_response())
}
