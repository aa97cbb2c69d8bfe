//! The authorize endpoint and its two pages (sign in, consent; rendered in
//! `pages`): plain HTML, no script, nothing to hydrate, and a
//! Content-Security-Policy that lets the forms lead only back here and to
//! the app's redirect URI, and no one frame them.
//!
//! `GET|POST /t/{tenant}/oauth/authorize` takes the app's request; the
//! pages post to `/t/{tenant}/authorize/sign-in` and `…/consent`, which
//! (unlike the OAuth endpoints) refuse posts from other sites.

mod pages;

use std::sync::OnceLock;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Router};
use engine::authz::authorize::{AuthorizeParams, Outcome, Step};
use engine::EngineError;
use leptos::prelude::{AnyView, LeptosOptions};
use serde::Deserialize;

use super::oauth::doc::AuthorizeRequest;
use super::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The authorize endpoint, with its OpenAPI operations.
pub fn operations() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(authorize_get, authorize_post))
}

/// The pages' own posts (not part of the OAuth interface).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/t/{tenant}/authorize/sign-in", post(sign_in))
        .route("/t/{tenant}/authorize/consent", post(consent))
}

/// The address a request came from ("unknown" where the server was not
/// told), for throttling.
pub(super) struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0.ip().to_string())
                .unwrap_or_else(|| "unknown".to_owned()),
        ))
    }
}

/// The authorization endpoint (RFC 6749 §3.1): the person signs in and
/// consents, then goes back to the app with a code.
#[utoipa::path(
    get,
    path = "/t/{tenant}/oauth/authorize",
    operation_id = "oauth_authorize",
    tag = "oauth",
    params(("tenant" = String, Path, description = "The tenant's slug."), AuthorizeRequest),
    responses(
        (status = 200, content_type = "text/html", body = String, description = "The sign-in or consent page."),
        (status = 303, description = "Back to the app's redirect URI with `code`, `state` and `iss`, or with `error` (RFC 6749 §4.1.2.1)."),
        (status = "default", content_type = "text/html", body = String, description = "A page saying why the request cannot go on: an unknown client or redirect URI is never sent back to (400), no such tenant (404)."),
    ),
)]
pub async fn authorize_get(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = serde_urlencoded::from_str::<AuthorizeParams>(query.as_deref().unwrap_or(""));
    authorize(&state, &slug, params).await
}

/// The same, with the request as a form (SMART's `authorize-post`).
#[utoipa::path(
    post,
    path = "/t/{tenant}/oauth/authorize",
    operation_id = "oauth_authorize_post",
    tag = "oauth",
    params(("tenant" = String, Path, description = "The tenant's slug.")),
    request_body(content = AuthorizeRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, content_type = "text/html", body = String, description = "The sign-in or consent page."),
        (status = 303, description = "Back to the app's redirect URI with `code`, `state` and `iss`, or with `error`."),
        (status = "default", content_type = "text/html", body = String, description = "A page saying why the request cannot go on (400, 404)."),
    ),
)]
pub async fn authorize_post(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    body: String,
) -> Response {
    authorize(
        &state,
        &slug,
        serde_urlencoded::from_str::<AuthorizeParams>(&body),
    )
    .await
}

async fn authorize(
    state: &AppState,
    slug: &str,
    params: Result<AuthorizeParams, serde_urlencoded::de::Error>,
) -> Response {
    let Ok(params) = params else {
        return refused(
            state,
            "The app's request could not be read: each parameter may appear once.",
        );
    };
    let issuer = match state.engine.issuer(slug).await {
        Ok(issuer) => issuer,
        Err(e) => return failed(state, e),
    };
    match state.engine.begin_authorization(&issuer, &params).await {
        Ok(outcome) => answer(state, slug, outcome),
        Err(e) => failed(state, e),
    }
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    handle: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

async fn sign_in(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    ClientAddr(from): ClientAddr,
    Form(form): Form<SignInForm>,
) -> Response {
    let issuer = match state.engine.issuer(&slug).await {
        Ok(issuer) => issuer,
        Err(e) => return failed(&state, e),
    };
    match state
        .engine
        .authorization_sign_in(&issuer, &form.handle, &form.username, &form.password, &from)
        .await
    {
        Ok(outcome) => answer(&state, &slug, outcome),
        Err(e) => failed(&state, e),
    }
}

#[derive(Deserialize)]
struct ConsentForm {
    #[serde(default)]
    handle: String,
    #[serde(default)]
    decision: String,
    patient: Option<String>,
}

async fn consent(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Form(form): Form<ConsentForm>,
) -> Response {
    let issuer = match state.engine.issuer(&slug).await {
        Ok(issuer) => issuer,
        Err(e) => return failed(&state, e),
    };
    let allow = match form.decision.as_str() {
        "allow" => true,
        "deny" => false,
        _ => return refused(&state, "Choose Allow or Deny."),
    };
    match state
        .engine
        .authorization_decide(&issuer, &form.handle, allow, form.patient.as_deref())
        .await
    {
        Ok(outcome) => answer(&state, &slug, outcome),
        Err(e) => failed(&state, e),
    }
}

fn answer(state: &AppState, slug: &str, outcome: Outcome) -> Response {
    match outcome {
        Outcome::Redirect(location) => match HeaderValue::from_str(&location) {
            Ok(location) => (
                StatusCode::SEE_OTHER,
                [(header::LOCATION, location)],
                no_store(),
            )
                .into_response(),
            Err(_) => refused(state, "The app's redirect URI cannot be followed."),
        },
        Outcome::Refused(message) => refused(state, &message),
        Outcome::Show(interaction) => {
            let (title, body) = match &interaction.step {
                Step::SignIn { username, error } => (
                    format!("Sign in · {}", interaction.tenant_name),
                    pages::sign_in(slug, &interaction, username, error.as_deref()),
                ),
                Step::Consent {
                    username,
                    fhir_user,
                    patient_choice,
                } => (
                    format!("Allow {}?", interaction.client_name),
                    pages::consent(
                        slug,
                        &interaction,
                        username,
                        fhir_user,
                        patient_choice.as_ref(),
                    ),
                ),
            };
            page(
                state,
                StatusCode::OK,
                &title,
                body,
                Some(&interaction.redirect_origin),
            )
        }
    }
}

fn failed(state: &AppState, error: EngineError) -> Response {
    match error {
        EngineError::NotFound(_) => page(
            state,
            StatusCode::NOT_FOUND,
            "No such authorization server",
            pages::notice(
                "There is no such authorization server",
                "Check the address the app was given.",
            ),
            None,
        ),
        EngineError::Unexpected(inner) => {
            tracing::error!(error = %format!("{inner:#}"), "authorization request failed");
            page(
                state,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                pages::notice(
                    "Something went wrong",
                    "Something went wrong on our side. Go back to the app and try again later.",
                ),
                None,
            )
        }
        refusal => refused(state, &refusal.to_string()),
    }
}

fn refused(state: &AppState, message: &str) -> Response {
    page(
        state,
        StatusCode::BAD_REQUEST,
        "This sign-in cannot go on",
        pages::refusal(message),
        None,
    )
}

/// A whole page: the site's stylesheet, no script; forms may post here
/// and (for the redirect after consent) to `redirect_origin`.
fn page(
    state: &AppState,
    status: StatusCode,
    title: &str,
    body: AnyView,
    redirect_origin: Option<&str>,
) -> Response {
    let html = pages::document(title, stylesheet(&state.leptos), body);
    let form_action = match redirect_origin.filter(|o| !o.is_empty() && *o != "null") {
        Some(origin) => format!("'self' {origin}"),
        None => "'self'".to_owned(),
    };
    let policy = format!(
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    );
    let mut response = (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        no_store(),
        html,
    )
        .into_response();
    if let Ok(policy) = HeaderValue::from_str(&policy) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    response
}

fn no_store() -> [(header::HeaderName, HeaderValue); 2] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
    ]
}

/// The site's stylesheet, as the Leptos shell links it (with the build's
/// file hash when there is one).
fn stylesheet(options: &LeptosOptions) -> &'static str {
    static HREF: OnceLock<String> = OnceLock::new();
    HREF.get_or_init(|| {
        let mut name = options.output_name.to_string();
        if options.hash_files {
            let hashes = std::env::current_exe()
                .ok()
                .and_then(|exe| exe.parent().map(|dir| dir.join(options.hash_file.as_ref())))
                .and_then(|path| std::fs::read_to_string(path).ok())
                .unwrap_or_default();
            if let Some(hash) = hashes
                .lines()
                .filter_map(|line| line.trim().split_once(':'))
                .find(|(kind, _)| *kind == "css")
                .map(|(_, hash)| hash.trim().to_owned())
            {
                name.push('.');
                name.push_str(&hash);
            }
        }
        format!("/{}/{name}.css", options.site_pkg_dir)
    })
}
