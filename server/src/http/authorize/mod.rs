//! The authorize endpoint and its two pages (sign in, consent), rendered
//! here as plain HTML: no script, nothing to hydrate, and a
//! Content-Security-Policy that lets the forms lead only back here and to
//! the app's redirect URI, and no one frame them.
//!
//! `GET|POST /t/{tenant}/oauth/authorize` takes the app's request; the
//! pages post to `/t/{tenant}/authorize/sign-in` and `…/consent`, which
//! (unlike the OAuth endpoints) refuse posts from other sites.

use std::sync::OnceLock;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Router};
use engine::authz::authorize::{AuthorizeParams, Interaction, Outcome, PatientChoice, Step};
use engine::EngineError;
use leptos::prelude::LeptosOptions;
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
            let origin = interaction.redirect_origin.clone();
            let (title, body) = match &interaction.step {
                Step::SignIn { username, error } => (
                    format!("Sign in · {}", interaction.tenant_name),
                    sign_in_page(slug, &interaction, username, error.as_deref()),
                ),
                Step::Consent {
                    username,
                    fhir_user,
                    patient_choice,
                } => (
                    format!("Allow {}?", interaction.client_name),
                    consent_page(
                        slug,
                        &interaction,
                        username,
                        fhir_user,
                        patient_choice.as_ref(),
                    ),
                ),
            };
            page(state, StatusCode::OK, &title, &body, Some(&origin))
        }
    }
}

fn failed(state: &AppState, error: EngineError) -> Response {
    match error {
        EngineError::NotFound(_) => page(
            state,
            StatusCode::NOT_FOUND,
            "No such authorization server",
            &card(
                "There is no such authorization server",
                "<p>Check the address the app was given.</p>",
            ),
            None,
        ),
        EngineError::Unexpected(inner) => {
            tracing::error!(error = %format!("{inner:#}"), "authorization request failed");
            page(
                state,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                &card(
                    "Something went wrong",
                    "<p>Something went wrong on our side. Go back to the app and try again later.</p>",
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
        &card(
            "This sign-in cannot go on",
            &format!(
                r#"<div class="notice notice-error" role="alert"><p>{}</p></div>"#,
                esc(message)
            ),
        ),
        None,
    )
}

fn card(title: &str, inner: &str) -> String {
    format!(
        r#"<section class="auth-card card" aria-labelledby="auth-title"><h1 id="auth-title">{}</h1>{inner}</section>"#,
        esc(title)
    )
}

fn scope_items(interaction: &Interaction) -> String {
    let items: String = interaction
        .scopes
        .iter()
        .map(|(scope, words)| {
            format!(
                r#"<li><span>{}</span><code class="scope-code">{}</code></li>"#,
                esc(words),
                esc(scope)
            )
        })
        .collect();
    format!(r#"<ul class="scope-list">{items}</ul>"#)
}

fn sign_in_page(
    slug: &str,
    interaction: &Interaction,
    username: &str,
    error: Option<&str>,
) -> String {
    let error = error
        .map(|e| {
            format!(
                r#"<div class="notice notice-error" role="alert"><p>{}</p></div>"#,
                esc(e)
            )
        })
        .unwrap_or_default();
    let inner = format!(
        r#"<p class="lead"><strong>{app}</strong> asks to:</p>
{scopes}
{error}
<form method="post" action="/t/{slug}/authorize/sign-in" class="stack">
<input type="hidden" name="handle" value="{handle}">
<div class="field"><label for="field-username">Username</label>
<input id="field-username" name="username" type="text" value="{username}" autocomplete="username" required maxlength="64"{focus_username}></div>
<div class="field"><label for="field-password">Password</label>
<input id="field-password" name="password" type="password" autocomplete="current-password" required maxlength="128"{focus_password}></div>
<button class="button button-primary button-block" type="submit">Sign in</button>
</form>"#,
        app = esc(&interaction.client_name),
        scopes = scope_items(interaction),
        slug = esc(slug),
        handle = esc(&interaction.handle),
        username = esc(username),
        // The field to type in next.
        focus_username = if username.is_empty() {
            " autofocus"
        } else {
            ""
        },
        focus_password = if username.is_empty() {
            ""
        } else {
            " autofocus"
        },
    );
    card(&format!("Sign in to {}", interaction.tenant_name), &inner)
}

fn consent_page(
    slug: &str,
    interaction: &Interaction,
    username: &str,
    fhir_user: &str,
    choice: Option<&PatientChoice>,
) -> String {
    let patient = choice
        .map(|choice| {
            let options: String = choice
                .known
                .iter()
                .map(|(id, name)| {
                    format!(r#"<option value="{}">{}</option>"#, esc(id), esc(name))
                })
                .collect();
            let error = choice
                .error
                .as_deref()
                .map(|e| {
                    format!(
                        r#"<p class="field-error" id="field-patient-error" role="alert">{}</p>"#,
                        esc(e)
                    )
                })
                .unwrap_or_default();
            format!(
                r#"<div class="field{invalid}"><label for="field-patient">Patient</label>
<p class="field-hint" id="field-patient-hint">The FHIR id of the patient the app is for.</p>
<input id="field-patient" name="patient" type="text" list="known-patients" value="{value}" maxlength="64" aria-describedby="field-patient-hint">
<datalist id="known-patients">{options}</datalist>{error}</div>"#,
                invalid = if choice.error.is_some() {
                    " field-invalid"
                } else {
                    ""
                },
                value = esc(&choice.value),
            )
        })
        .unwrap_or_default();
    let inner = format!(
        r#"<p class="eyebrow">{tenant}</p>
<p class="lead">Signed in as <strong>{username}</strong> ({fhir_user}). <strong>{app}</strong> will be able to:</p>
{scopes}
<form method="post" action="/t/{slug}/authorize/consent" class="stack">
<input type="hidden" name="handle" value="{handle}">
{patient}
<div class="consent-actions">
<button class="button button-primary" type="submit" name="decision" value="allow">Allow</button>
<button class="button button-secondary" type="submit" name="decision" value="deny">Deny</button>
</div>
</form>"#,
        tenant = esc(&interaction.tenant_name),
        username = esc(username),
        fhir_user = esc(fhir_user),
        app = esc(&interaction.client_name),
        scopes = scope_items(interaction),
        slug = esc(slug),
        handle = esc(&interaction.handle),
    );
    card(&format!("Allow {}?", interaction.client_name), &inner)
}

/// A whole page: the site's stylesheet, no script; forms may post here
/// and (for the redirect after consent) to `redirect_origin`.
fn page(
    state: &AppState,
    status: StatusCode,
    title: &str,
    body: &str,
    redirect_origin: Option<&str>,
) -> Response {
    let html = format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><link rel="stylesheet" href="{css}"></head>
<body><main class="site-main" id="main"><div class="container">{body}</div></main></body></html>"#,
        title = esc(title),
        css = esc(stylesheet(&state.leptos)),
    );
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

/// Text for HTML (element content and quoted attributes).
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn text_is_escaped_for_html() {
        assert_eq!(
            esc(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
