//! The authorization code flow of the built-in authorization server: the
//! authorize endpoint, sign-in and consent pages, codes with PKCE, refresh
//! tokens, id tokens, EHR launch contexts, and the refusals of the ONC
//! certification kit's style: each with its RFC error code, and no code
//! or token issued.

use crate::support;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use support::{spawn_app, Page, TestApp};

const FHIR: &str = "https://fhir.north.example.org/r4";
const CHARTS_CB: &str = "http://127.0.0.1:9/charts/callback";
const LABS_CB: &str = "https://labs.example.org/cb";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const USER_PASSWORD: &str = "amber quarry lantern";

struct World {
    /// `charts`: public, patient and user scopes, offline access.
    charts: String,
    /// `labs`: confidential (client_secret_basic).
    labs: String,
    labs_secret: String,
    admin: String,
    /// A tenant key with `launch:write` and `introspect`.
    ehr_key: String,
}

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Tenant `north` (FHIR base URL set) with `charts` and `labs` installed,
/// and the end users `dr.chen` (Practitioner/9) and `pat.jones`
/// (Patient/123).
async fn world(app: &TestApp) -> World {
    let dev = app.developer("dev@example.org").await;
    let reviewer = app.reviewer("reviewer@example.org").await;
    for (slug, auth, redirect, scope, launch_types) in [
        (
            "charts",
            "none",
            CHARTS_CB,
            "launch launch/patient launch/encounter openid fhirUser offline_access patient/*.rs user/Observation.rs",
            json!(["ehr", "standalone"]),
        ),
        (
            "labs",
            "client_secret_basic",
            LABS_CB,
            "openid fhirUser online_access user/Observation.rs",
            json!(["standalone"]),
        ),
    ] {
        app.publish(
            &dev,
            &reviewer,
            slug,
            json!({
                "client_name": format!("{slug} app"),
                "redirect_uris": [redirect],
                "launch_url": format!("https://{slug}.example.org/launch"),
                "scope": scope,
                "token_endpoint_auth_method": auth,
                "launch_types": launch_types,
                "fhir_versions": ["4.0.1"],
            }),
        )
        .await;
    }
    let admin = app
        .tenant_with_fhir_server("north", "North Health", FHIR)
        .await;
    let mut clients = Vec::new();
    for (slug, scope) in [
        (
            "charts",
            "launch launch/patient launch/encounter openid fhirUser offline_access patient/*.rs",
        ),
        ("labs", "openid fhirUser online_access user/Observation.rs"),
    ] {
        let install = app.install(&admin, "north", slug, scope).await;
        clients.push(install["client_id"].as_str().unwrap().to_owned());
    }
    let dev_token = app.token(&dev, &["publisher"]).await;
    let (status, secret) = app
        .api(
            Method::POST,
            "/api/v1/publisher/apps/labs/installs/north/secret",
            Some(&dev_token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{secret}");
    for (username, fhir_user) in [("dr.chen", "Practitioner/9"), ("pat.jones", "Patient/123")] {
        let (status, body) = app
            .api(
                Method::POST,
                "/api/v1/tenants/north/users",
                Some(&admin),
                Some(json!({"username": username, "password": USER_PASSWORD, "fhir_user": fhir_user})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (_, key) = app
        .api(
            Method::POST,
            "/api/v1/tenants/north/keys",
            Some(&admin),
            Some(json!({"name": "EHR", "scopes": ["launch:write", "introspect"]})),
        )
        .await;
    World {
        charts: clients[0].clone(),
        labs: clients[1].clone(),
        labs_secret: secret["client_secret"].as_str().unwrap().to_owned(),
        admin,
        ehr_key: key["key"].as_str().unwrap().to_owned(),
    }
}

/// The authorization request parameters of `charts`, standalone; `change`
/// edits them (a `None` removes one).
fn request(client_id: &str, change: &[(&str, Option<&str>)]) -> Vec<(String, String)> {
    let challenge = challenge(VERIFIER);
    let mut params: Vec<(String, String)> = [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", CHARTS_CB),
        (
            "scope",
            "launch/patient openid fhirUser offline_access patient/Observation.rs",
        ),
        ("state", "st-42"),
        ("aud", FHIR),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("nonce", "n-7"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    for (name, value) in change {
        params.retain(|(k, _)| k != name);
        if let Some(value) = value {
            params.push(((*name).to_owned(), (*value).to_owned()));
        }
    }
    params
}

async fn authorize(app: &TestApp, params: &[(String, String)]) -> Page {
    let query = serde_urlencoded::to_string(params).unwrap();
    app.get(&format!("/t/north/oauth/authorize?{query}")).await
}

/// The hidden handle of a sign-in or consent page.
fn handle(page: &Page) -> String {
    let marker = r#"name="handle" value=""#;
    let start = page
        .body
        .find(marker)
        .unwrap_or_else(|| panic!("no handle in {}", page.body))
        + marker.len();
    page.body[start..].split('"').next().unwrap().to_owned()
}

/// The query parameters of a redirect to the app.
fn redirect_params(page: &Page) -> std::collections::HashMap<String, String> {
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    url::Url::parse(page.location())
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

async fn sign_in(app: &TestApp, page: &Page, username: &str) -> Page {
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    app.post_form(
        "/t/north/authorize/sign-in",
        &[
            ("handle", &handle(page)),
            ("username", username),
            ("password", USER_PASSWORD),
        ],
    )
    .await
}

async fn decide(app: &TestApp, page: &Page, decision: &str, patient: Option<&str>) -> Page {
    let handle = handle(page);
    let mut fields = vec![("handle", handle.as_str()), ("decision", decision)];
    if let Some(patient) = patient {
        fields.push(("patient", patient));
    }
    app.post_form("/t/north/authorize/consent", &fields).await
}

/// Runs the whole browser part for `params` as `username`: the code.
async fn code_for(app: &TestApp, params: &[(String, String)], username: &str) -> String {
    let page = authorize(app, params).await;
    let consent = sign_in(app, &page, username).await;
    assert_eq!(consent.status, StatusCode::OK, "{}", consent.body);
    let back = decide(app, &consent, "allow", None).await;
    let params = redirect_params(&back);
    assert!(back.location().starts_with(CHARTS_CB) || back.location().starts_with(LABS_CB));
    params["code"].clone()
}

async fn post_token(
    app: &TestApp,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut request = reqwest::Client::new()
        .post(app.url("/t/north/oauth/token"))
        .form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

async fn exchange(app: &TestApp, client_id: &str, code: &str) -> (StatusCode, Value) {
    let (status, _, body) = post_token(
        app,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CHARTS_CB),
            ("code_verifier", VERIFIER),
            ("client_id", client_id),
        ],
        None,
    )
    .await;
    (status, body)
}

/// A refresh by the public client `client_id`, optionally narrowing to `scope`.
async fn refresh_grant(
    app: &TestApp,
    client_id: &str,
    token: &str,
    scope: Option<&str>,
) -> (StatusCode, Value) {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", token),
        ("client_id", client_id),
    ];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    let (status, _, body) = post_token(app, &form, None).await;
    (status, body)
}

async fn introspect(app: &TestApp, key: &str, token: &str) -> Value {
    let response = reqwest::Client::new()
        .post(app.url("/t/north/oauth/introspect"))
        .bearer_auth(key)
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Verifies an id token with the tenant's published RS256 key.
async fn id_token_claims(app: &TestApp, token: &str, client_id: &str) -> Value {
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, Algorithm::RS256);
    let jwks: jsonwebtoken::jwk::JwkSet = reqwest::get(app.url("/t/north/oauth/jwks"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwk = jwks.find(header.kid.as_deref().unwrap()).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[client_id]);
    validation.set_issuer(&[app.url("/t/north")]);
    validation.validate_exp = false;
    jsonwebtoken::decode::<Value>(token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
        .unwrap()
        .claims
}

#[tokio::test]
async fn a_patient_signs_in_and_the_app_gets_tokens_for_exactly_that_grant() {
    let app = spawn_app().await;
    let w = world(&app).await;

    let page = authorize(&app, &request(&w.charts, &[])).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("Sign in to North Health");
    page.assert_contains("charts app");
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(
        csp.contains("form-action 'self' http://127.0.0.1:9"),
        "{csp}"
    );
    assert_eq!(page.headers["cache-control"], "no-store");

    // A wrong password shows the page again, with the username kept.
    let wrong = app
        .post_form(
            "/t/north/authorize/sign-in",
            &[
                ("handle", &handle(&page)),
                ("username", "Pat.Jones"),
                ("password", "nope"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::OK);
    wrong.assert_contains("The username or password is wrong.");
    wrong.assert_contains(r#"value="pat.jones""#);

    let consent = sign_in(&app, &wrong, "pat.jones").await;
    consent.assert_contains("Allow charts app?");
    consent.assert_contains("Patient/123");
    // A patient is their own context: nothing to choose.
    assert!(!consent.body.contains(r#"name="patient""#));
    let back = decide(&app, &consent, "allow", None).await;
    let params = redirect_params(&back);
    assert!(back.location().starts_with(CHARTS_CB));
    assert_eq!(params["state"], "st-42");
    assert_eq!(params["iss"], app.url("/t/north"));

    let (status, headers, tokens) = post_token(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &params["code"]),
            ("redirect_uri", CHARTS_CB),
            ("code_verifier", VERIFIER),
            ("client_id", &w.charts),
        ],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["pragma"], "no-cache");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    assert_eq!(
        tokens["scope"],
        "launch/patient openid fhirUser offline_access patient/Observation.rs"
    );
    assert_eq!(tokens["patient"], "123");
    let id = id_token_claims(&app, tokens["id_token"].as_str().unwrap(), &w.charts).await;
    assert_eq!(id["fhirUser"], format!("{FHIR}/Patient/123"));
    assert_eq!(id["nonce"], "n-7");

    let access = tokens["access_token"].as_str().unwrap();
    let seen = introspect(&app, &w.ehr_key, access).await;
    assert_eq!(seen["active"], true);
    assert_eq!(seen["patient"], "123");
    assert_eq!(seen["client_id"], w.charts.as_str());
    assert_eq!(seen["fhirUser"], format!("{FHIR}/Patient/123"));
    assert_eq!(seen["iss"], app.url("/t/north"));
    assert_eq!(seen["aud"], FHIR);

    // Refresh: rotated, and the scope can shrink but not grow.
    let first = tokens["refresh_token"].as_str().unwrap().to_owned();
    let (status, widened) = refresh_grant(
        &app,
        &w.charts,
        &first,
        Some("patient/Observation.rs patient/Condition.rs offline_access"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(widened["error"], "invalid_scope");
    let (status, refreshed) = refresh_grant(
        &app,
        &w.charts,
        &first,
        Some("patient/Observation.rs offline_access"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    assert_eq!(refreshed["scope"], "patient/Observation.rs offline_access");
    assert_eq!(refreshed["patient"], "123");
    let second = refreshed["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    let second_access = refreshed["access_token"].as_str().unwrap().to_owned();

    // Narrowing the access token's scope does not narrow the grant: the
    // next refresh token still holds all of it.
    let (status, narrowed) =
        refresh_grant(&app, &w.charts, &second, Some("patient/Observation.rs")).await;
    assert_eq!(status, StatusCode::OK, "{narrowed}");
    assert_eq!(narrowed["scope"], "patient/Observation.rs");
    let third = narrowed["refresh_token"].as_str().unwrap().to_owned();
    let (status, whole) = refresh_grant(&app, &w.charts, &third, None).await;
    assert_eq!(status, StatusCode::OK, "{whole}");
    assert_eq!(
        whole["scope"],
        "launch/patient openid fhirUser offline_access patient/Observation.rs"
    );
    let latest = whole["refresh_token"].as_str().unwrap().to_owned();
    let latest_access = whole["access_token"].as_str().unwrap().to_owned();

    // The first one again: the whole family is revoked.
    let (status, reused) = refresh_grant(&app, &w.charts, &first, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(reused["error"], "invalid_grant");
    assert!(reused.get("access_token").is_none());
    let (status, after) = refresh_grant(&app, &w.charts, &latest, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{after}");
    for token in [&second_access, &latest_access] {
        assert_eq!(
            introspect(&app, &w.ehr_key, token).await,
            json!({"active": false})
        );
    }
    assert_eq!(
        introspect(&app, &w.ehr_key, access).await,
        json!({"active": false})
    );

    // The consent is in the tenant's audit log, without the tokens.
    let audit = app.audit_log("north", &w.admin).await;
    let text = audit.to_string();
    assert!(text.contains("consent.granted"), "{text}");
    assert!(!text.contains(&first) && !text.contains(access));
}

#[tokio::test]
async fn authorize_refuses_without_sending_anything_to_an_unknown_redirect() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let page_refusals = [
        request("no-such-client", &[]),
        request(&w.charts, &[("client_id", None)]),
        request(&w.charts, &[("redirect_uri", None)]),
        request(
            &w.charts,
            &[("redirect_uri", Some("http://127.0.0.1:9/charts/callback/"))],
        ),
        request(
            &w.charts,
            &[("redirect_uri", Some("http://127.0.0.1:9/Charts/callback"))],
        ),
        request(
            &w.charts,
            &[(
                "redirect_uri",
                Some("http://127.0.0.1:9/charts/callback?x=1"),
            )],
        ),
        request(&w.charts, &[("redirect_uri", Some(LABS_CB))]),
    ];
    for params in page_refusals {
        let page = authorize(&app, &params).await;
        assert_eq!(
            page.status,
            StatusCode::BAD_REQUEST,
            "{params:?}: {}",
            page.body
        );
        assert!(page.headers.get("location").is_none());
        page.assert_contains("This sign-in cannot go on");
    }
    // Each parameter once.
    let mut twice = request(&w.charts, &[]);
    twice.push(("scope".into(), "openid".into()));
    assert_eq!(
        authorize(&app, &twice).await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn authorize_sends_refusals_back_to_the_app_with_state_and_iss() {
    let app = spawn_app().await;
    let w = world(&app).await;
    type Change<'a> = Vec<(&'a str, Option<&'a str>)>;
    let cases: Vec<(Change, &str)> = vec![
        (
            vec![("response_type", Some("token"))],
            "unsupported_response_type",
        ),
        (vec![("response_type", None)], "invalid_request"),
        (
            vec![("code_challenge", None), ("code_challenge_method", None)],
            "invalid_request",
        ),
        (vec![("code_challenge_method", None)], "invalid_request"),
        (vec![("code_challenge", Some(""))], "invalid_request"),
        (
            vec![
                ("code_challenge_method", Some("plain")),
                ("code_challenge", Some(VERIFIER)),
            ],
            "invalid_request",
        ),
        (
            vec![("code_challenge", Some("not-a-sha256"))],
            "invalid_request",
        ),
        (vec![("aud", None)], "invalid_request"),
        (
            vec![("aud", Some("https://evil.example.org/fhir"))],
            "invalid_request",
        ),
        (vec![("scope", None)], "invalid_scope"),
        (
            vec![("scope", Some("patient/Observation.rx"))],
            "invalid_scope",
        ),
        (
            vec![("scope", Some("system/Observation.rs"))],
            "invalid_scope",
        ),
        (vec![("scope", Some("launch openid"))], "invalid_request"),
        (
            vec![
                ("scope", Some("launch openid")),
                ("launch", Some("made-up")),
            ],
            "invalid_request",
        ),
    ];
    for (change, error) in cases {
        let page = authorize(&app, &request(&w.charts, &change)).await;
        let params = redirect_params(&page);
        assert!(page.location().starts_with(CHARTS_CB));
        assert_eq!(params["error"], error, "{change:?}: {params:?}");
        assert!(!params["error_description"].is_empty());
        assert_eq!(params["state"], "st-42");
        assert_eq!(params["iss"], app.url("/t/north"));
        assert!(!params.contains_key("code"));
    }
    // Without `state` the refusal has none to echo.
    let page = authorize(&app, &request(&w.charts, &[("state", None)])).await;
    let params = redirect_params(&page);
    assert_eq!(params["error"], "invalid_request");
    assert!(!params.contains_key("state") && !params.contains_key("code"));

    // The issuer itself is a fine `aud` too, with or without a trailing slash.
    for aud in [app.url("/t/north"), format!("{FHIR}/")] {
        let page = authorize(&app, &request(&w.charts, &[("aud", Some(&aud))])).await;
        assert_eq!(page.status, StatusCode::OK, "{aud}: {}", page.body);
    }
    // The app may post its request (authorize-post) from its own origin.
    let response = reqwest::Client::new()
        .post(app.url("/t/north/oauth/authorize"))
        .header("origin", "http://127.0.0.1:9")
        .form(&request(&w.charts, &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    // Denying goes back as access_denied, and is audited.
    let page = authorize(&app, &request(&w.charts, &[])).await;
    let consent = sign_in(&app, &page, "pat.jones").await;
    let back = decide(&app, &consent, "deny", None).await;
    let params = redirect_params(&back);
    assert_eq!(params["error"], "access_denied");
    assert!(!params.contains_key("code"));
    // The handle is spent.
    let again = decide(&app, &consent, "allow", None).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    let audit = app.audit_log("north", &w.admin).await;
    assert!(audit.to_string().contains("consent.denied"));
}

#[tokio::test]
async fn codes_are_good_once_for_a_minute_with_the_right_verifier() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let code = code_for(&app, &request(&w.charts, &[]), "pat.jones").await;
    let base = |code: &str| {
        vec![
            ("grant_type".to_owned(), "authorization_code".to_owned()),
            ("code".to_owned(), code.to_owned()),
            ("redirect_uri".to_owned(), CHARTS_CB.to_owned()),
            ("code_verifier".to_owned(), VERIFIER.to_owned()),
            ("client_id".to_owned(), w.charts.clone()),
        ]
    };
    let with = |code: &str, name: &str, value: Option<&str>| {
        let mut form = base(code);
        form.retain(|(k, _)| k != name);
        if let Some(value) = value {
            form.push((name.to_owned(), value.to_owned()));
        }
        form
    };
    type Form = Vec<(String, String)>;
    let refusals: Vec<(Form, StatusCode, &str)> = vec![
        (
            with(&code, "code_verifier", None),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            with(&code, "code_verifier", Some("")),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            with(
                &code,
                "code_verifier",
                Some("wrong-verifier-wrong-verifier-wrong-verifier-1"),
            ),
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        ),
        (
            with(
                &code,
                "redirect_uri",
                Some("http://127.0.0.1:9/charts/callback/"),
            ),
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        ),
        (
            with(&code, "redirect_uri", None),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            with(&code, "client_id", Some(&w.labs)),
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            with(&code, "client_id", Some("no-such-client")),
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            with(&code, "client_id", None),
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            with("made-up-code", "code", Some("made-up-code")),
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        ),
        (
            with(&code, "grant_type", Some("password")),
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
        ),
    ];
    for (form, status, error) in refusals {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (got, _, body) = post_token(&app, &form, None).await;
        assert_eq!(
            (got, body["error"].as_str()),
            (status, Some(error)),
            "{form:?}: {body}"
        );
        assert!(body.get("access_token").is_none());
    }
    // The refusals did not spend it; the first good exchange does.
    let (status, tokens) = exchange(&app, &w.charts, &code).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let (status, again) = exchange(&app, &w.charts, &code).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(again["error"], "invalid_grant");
    // A code used twice revokes what it gave.
    assert_eq!(
        introspect(&app, &w.ehr_key, &access).await,
        json!({"active": false})
    );
    let (status, body) = refresh_grant(&app, &w.charts, &refresh, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // A code is good for 60 seconds.
    let code = code_for(&app, &request(&w.charts, &[]), "pat.jones").await;
    app.clock.advance(chrono::Duration::seconds(61));
    let (status, late) = exchange(&app, &w.charts, &code).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(late["error"], "invalid_grant");
}

#[tokio::test]
async fn an_ehr_launch_carries_its_context_once() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let launch = |body: Value| {
        let app = &app;
        let key = w.ehr_key.clone();
        async move {
            app.api(Method::POST, "/api/v1/launches", Some(&key), Some(body))
                .await
        }
    };
    let (status, made) = launch(json!({
        "client_id": w.charts,
        "patient": "123",
        "encounter": "enc-5",
        "fhirUser": "Practitioner/9",
        "need_patient_banner": false,
        "smart_style_url": "https://ehr.north.example.org/style.json",
        "fhirContext": [{"reference": "Observation/77"}],
    }))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["expires_in"], 300);
    let value = made["launch"].as_str().unwrap().to_owned();

    let params = request(
        &w.charts,
        &[
            (
                "scope",
                Some("launch openid fhirUser patient/Observation.rs launch/encounter"),
            ),
            ("launch", Some(&value)),
        ],
    );
    // Only the user the EHR launched for may sign in.
    let page = authorize(&app, &params).await;
    let other = sign_in(&app, &page, "pat.jones").await;
    other.assert_contains("This launch was made for Practitioner/9");
    let consent = sign_in(&app, &other, "dr.chen").await;
    consent.assert_contains("Allow charts app?");
    assert!(!consent.body.contains(r#"name="patient""#));
    let back = decide(&app, &consent, "allow", None).await;
    let code = redirect_params(&back)["code"].clone();
    let (status, tokens) = exchange(&app, &w.charts, &code).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["patient"], "123");
    assert_eq!(tokens["encounter"], "enc-5");
    assert_eq!(tokens["need_patient_banner"], false);
    assert_eq!(
        tokens["smart_style_url"],
        "https://ehr.north.example.org/style.json"
    );
    assert_eq!(
        tokens["fhirContext"],
        json!([{"reference": "Observation/77"}])
    );
    assert_eq!(
        tokens["scope"],
        "launch openid fhirUser patient/Observation.rs launch/encounter"
    );
    let id = id_token_claims(&app, tokens["id_token"].as_str().unwrap(), &w.charts).await;
    assert_eq!(id["fhirUser"], format!("{FHIR}/Practitioner/9"));
    let seen = introspect(&app, &w.ehr_key, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(seen["encounter"], "enc-5");

    // Used: the same launch gives no code.
    let page = authorize(&app, &params).await;
    assert_eq!(redirect_params(&page)["error"], "invalid_request");

    // A launch is bound to its client and lives five minutes.
    let error_for = |value: Value| {
        let app = &app;
        let charts = w.charts.clone();
        async move {
            let value = value.as_str().unwrap().to_owned();
            let change = [
                ("scope", Some("launch patient/Observation.rs")),
                ("launch", Some(value.as_str())),
            ];
            let page = authorize(app, &request(&charts, &change)).await;
            redirect_params(&page)["error"].clone()
        }
    };
    let (_, for_labs) = launch(json!({"client_id": w.labs, "patient": "123"})).await;
    assert_eq!(
        error_for(for_labs["launch"].clone()).await,
        "invalid_request"
    );
    let (_, stale) = launch(json!({"client_id": w.charts, "patient": "123"})).await;
    app.clock.advance(chrono::Duration::seconds(301));
    assert_eq!(error_for(stale["launch"].clone()).await, "invalid_request");

    // A patient signs in only to their own launch.
    let (_, theirs) = launch(json!({"client_id": w.charts, "patient": "999"})).await;
    let change = [
        ("scope", Some("launch patient/Observation.rs")),
        ("launch", theirs["launch"].as_str()),
    ];
    let page = authorize(&app, &request(&w.charts, &change)).await;
    sign_in(&app, &page, "pat.jones")
        .await
        .assert_contains("This launch is for another patient.");

    // Bad launch requests change nothing and say why.
    for (body, status, field) in [
        (
            json!({"patient": "123"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("client_id"),
        ),
        (
            json!({"client_id": w.charts, "patient": "Patient/123"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("patient"),
        ),
        (
            json!({"client_id": w.charts, "fhirUser": "Device/1"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("fhirUser"),
        ),
        (
            json!({"client_id": w.charts, "fhirContext": [{"role": "x"}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("fhirContext"),
        ),
        (
            json!({"client_id": "no-such-client"}),
            StatusCode::NOT_FOUND,
            None,
        ),
        (
            json!({"client_id": w.charts, "colour": "red"}),
            StatusCode::BAD_REQUEST,
            None,
        ),
    ] {
        let (got, answer) = launch(body.clone()).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert_eq!(answer["field"].as_str(), field, "{answer}");
    }
    // Only a key with `launch:write` makes launches.
    let (_, introspect_only) = app
        .api(
            Method::POST,
            "/api/v1/tenants/north/keys",
            Some(&w.admin),
            Some(json!({"name": "resource server", "scopes": ["introspect"]})),
        )
        .await;
    let (status, _) = app
        .api(
            Method::POST,
            "/api/v1/launches",
            introspect_only["key"].as_str(),
            Some(json!({"client_id": w.charts})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .api(
            Method::POST,
            "/api/v1/launches",
            Some("sk_made_up"),
            Some(json!({"client_id": w.charts})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_practitioner_chooses_the_patient_of_a_standalone_launch() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let page = authorize(&app, &request(&w.charts, &[])).await;
    let consent = sign_in(&app, &page, "dr.chen").await;
    consent.assert_contains(r#"name="patient""#);
    // The tenant's patients are offered.
    consent.assert_contains(r#"<option value="123">pat.jones</option>"#);
    let empty = decide(&app, &consent, "allow", Some("")).await;
    assert_eq!(empty.status, StatusCode::OK);
    empty.assert_contains("Choose the patient the app is for.");
    let bad = decide(&app, &empty, "allow", Some("Patient/123")).await;
    bad.assert_contains("A patient id is");
    let back = decide(&app, &bad, "allow", Some("456")).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    let code = redirect_params(&back)["code"].clone();
    let (status, tokens) = exchange(&app, &w.charts, &code).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["patient"], "456");
    let id = id_token_claims(&app, tokens["id_token"].as_str().unwrap(), &w.charts).await;
    assert_eq!(id["fhirUser"], format!("{FHIR}/Practitioner/9"));

    // A related person cannot choose a patient (their links are not known).
    let (status, _) = app
        .api(
            Method::POST,
            "/api/v1/tenants/north/users",
            Some(&w.admin),
            Some(json!({"username": "kin.jones", "password": USER_PASSWORD, "fhir_user": "RelatedPerson/5"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let page = authorize(&app, &request(&w.charts, &[])).await;
    sign_in(&app, &page, "kin.jones")
        .await
        .assert_contains("This app needs a patient");
}

#[tokio::test]
async fn a_confidential_app_authenticates_with_its_secret() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let labs_request = request(
        &w.labs,
        &[
            ("redirect_uri", Some(LABS_CB)),
            ("scope", Some("openid online_access user/Observation.rs")),
        ],
    );
    let form = |code: &str| {
        vec![
            ("grant_type".to_owned(), "authorization_code".to_owned()),
            ("code".to_owned(), code.to_owned()),
            ("redirect_uri".to_owned(), LABS_CB.to_owned()),
            ("code_verifier".to_owned(), VERIFIER.to_owned()),
        ]
    };
    let code = code_for(&app, &labs_request, "dr.chen").await;
    let fields = form(&code);
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();

    // No secret, or the wrong one: 401, and HTTP Basic is told how.
    let (status, _, body) = post_token(
        &app,
        &[fields.clone(), vec![("client_id", w.labs.as_str())]].concat(),
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    let (status, headers, body) = post_token(&app, &fields, Some((&w.labs, "wrong"))).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    assert!(headers.contains_key("www-authenticate"));

    let (status, _, tokens) = post_token(&app, &fields, Some((&w.labs, &w.labs_secret))).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["scope"], "openid online_access user/Observation.rs");
    // A user scope without a patient scope needs no patient.
    assert!(tokens.get("patient").is_none());
    assert!(tokens["refresh_token"].is_string());

    // client_secret_post works too, and after a rotation the previous
    // secret lasts its grace period.
    let dev = app.account("dev@example.org").await;
    let dev_token = app.token(&dev, &["publisher"]).await;
    let (_, rotated) = app
        .api(
            Method::POST,
            "/api/v1/publisher/apps/labs/installs/north/secret",
            Some(&dev_token),
            None,
        )
        .await;
    let new_secret = rotated["client_secret"].as_str().unwrap();
    for secret in [w.labs_secret.as_str(), new_secret] {
        let code = code_for(&app, &labs_request, "dr.chen").await;
        let fields = form(&code);
        let mut fields: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        fields.push(("client_id", &w.labs));
        fields.push(("client_secret", secret));
        let (status, _, body) = post_token(&app, &fields, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

#[tokio::test]
async fn suspending_an_install_ends_its_tokens_and_sign_ins() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let code = code_for(&app, &request(&w.charts, &[]), "pat.jones").await;
    let (_, tokens) = exchange(&app, &w.charts, &code).await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let (_, installs) = app
        .api(
            Method::GET,
            "/api/v1/tenants/north/installs",
            Some(&w.admin),
            None,
        )
        .await;
    let install = installs["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["client_id"] == w.charts.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = app
        .api(
            Method::POST,
            &format!("/api/v1/tenants/north/installs/{install}/suspend"),
            Some(&w.admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        introspect(&app, &w.ehr_key, access).await,
        json!({"active": false})
    );
    let (status, body) = refresh_grant(&app, &w.charts, refresh, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    let page = authorize(&app, &request(&w.charts, &[])).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    page.assert_contains("suspended");
}

#[tokio::test]
async fn sign_ins_are_throttled_and_only_taken_from_this_site() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let page = authorize(&app, &request(&w.charts, &[])).await;
    let handle = handle(&page);
    let attempt = |password: &'static str| {
        let app = &app;
        let handle = handle.clone();
        async move {
            app.post_form(
                "/t/north/authorize/sign-in",
                &[
                    ("handle", &handle),
                    ("username", "pat.jones"),
                    ("password", password),
                ],
            )
            .await
        }
    };
    for _ in 0..5 {
        attempt("wrong")
            .await
            .assert_contains("The username or password is wrong.");
    }
    attempt("wrong").await;
    // Now even the right password waits.
    attempt(USER_PASSWORD)
        .await
        .assert_contains("Too many failed sign-ins");

    // Posts from another site, or that say nothing of where they came
    // from, are refused.
    for origin in [Some("https://evil.example.org"), None] {
        let refused = app
            .post_form_with_origin(
                "/t/north/authorize/sign-in",
                &[
                    ("handle", &handle),
                    ("username", "pat.jones"),
                    ("password", USER_PASSWORD),
                ],
                origin,
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
    }
    // A made-up handle leads nowhere.
    let made_up = app
        .post_form(
            "/t/north/authorize/consent",
            &[("handle", "made-up"), ("decision", "allow")],
        )
        .await;
    assert_eq!(made_up.status, StatusCode::BAD_REQUEST);
    made_up.assert_contains("expired");
}

#[tokio::test]
async fn discovery_lists_the_user_flows() {
    let app = spawn_app().await;
    world(&app).await;
    let smart: Value = reqwest::get(app.url("/t/north/.well-known/smart-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        smart["authorization_endpoint"],
        app.url("/t/north/oauth/authorize")
    );
    assert_eq!(smart["issuer"], app.url("/t/north"));
    assert_eq!(smart["response_types_supported"], json!(["code"]));
    for capability in [
        "launch-ehr",
        "launch-standalone",
        "client-public",
        "client-confidential-symmetric",
        "client-confidential-asymmetric",
        "sso-openid-connect",
        "context-ehr-patient",
        "context-ehr-encounter",
        "context-standalone-patient",
        "permission-offline",
        "permission-online",
        "permission-patient",
        "permission-user",
        "permission-v1",
        "permission-v2",
        "authorize-post",
    ] {
        assert!(
            smart["capabilities"]
                .as_array()
                .unwrap()
                .contains(&json!(capability)),
            "{capability}"
        );
    }
    let openid: Value = reqwest::get(app.url("/t/north/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        openid["id_token_signing_alg_values_supported"],
        json!(["RS256"])
    );
    assert_eq!(openid["subject_types_supported"], json!(["public"]));
    assert_eq!(
        openid["authorization_response_iss_parameter_supported"],
        true
    );
}

#[tokio::test]
async fn a_client_revokes_its_refresh_token_and_with_it_the_grant() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let code = code_for(&app, &request(&w.charts, &[]), "pat.jones").await;
    let (_, tokens) = exchange(&app, &w.charts, &code).await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let revoke = |form: Vec<(&'static str, String)>, basic: Option<(String, String)>| {
        let url = app.url("/t/north/oauth/revoke");
        async move {
            let mut request = reqwest::Client::new().post(url).form(&form);
            if let Some((id, secret)) = basic {
                request = request.basic_auth(id, Some(secret));
            }
            let response = request.send().await.unwrap();
            (response.status(), response.text().await.unwrap())
        }
    };
    // Another client may not revoke it.
    let (status, body) = revoke(
        vec![("token", refresh.to_owned())],
        Some((w.labs.clone(), w.labs_secret.clone())),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = revoke(
        vec![
            ("token", refresh.to_owned()),
            ("client_id", w.charts.clone()),
        ],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = refresh_grant(&app, &w.charts, refresh, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    assert_eq!(
        introspect(&app, &w.ehr_key, access).await,
        json!({"active": false})
    );
    let audit = app.audit_log("north", &w.admin).await;
    assert!(audit.to_string().contains("token.revoked"));
}
