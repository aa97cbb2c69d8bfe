//! The built-in authorization server for backend services: discovery and
//! keys, `client_credentials` with a signed JWT, introspection, revocation,
//! key rotation, and the refusals SMART's conformance tests look for.

use crate::support;

use base64::Engine as _;
use engine::Clock;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::{spawn_app, spawn_app_with, Options, TestApp};

const ES384_PEM: &str = include_str!("fixtures/backend-es384.pem");
const RS384_PEM: &str = include_str!("fixtures/backend-rs384.pem");
const JWKS: &str = include_str!("fixtures/backend-jwks.json");
const FHIR: &str = "https://fhir.north.example.org/r4";

struct Backend {
    client_id: String,
    install_id: String,
    admin: String,
    /// A tenant key with `introspect`.
    introspect: String,
}

/// Tenant `north` (FHIR base URL set) with the backend service `cohort`
/// installed, granted `system/Patient.rs system/Observation.rs` of what it
/// asks for.
async fn backend(app: &TestApp) -> Backend {
    let dev = app.developer("dev@example.org").await;
    let reviewer = app.reviewer("reviewer@example.org").await;
    app.publish(
        &dev,
        &reviewer,
        "cohort",
        json!({
            "client_name": "Cohort Export",
            "scope": "system/Patient.rs system/Observation.rs system/Condition.rs",
            "token_endpoint_auth_method": "private_key_jwt",
            "grant_types": ["client_credentials"],
            "jwks": serde_json::from_str::<Value>(JWKS).unwrap(),
            "launch_types": ["backend"],
            "fhir_versions": ["4.0.1"],
            "audience": ["backend"],
        }),
    )
    .await;
    let admin = app
        .tenant_with_fhir_server("north", "North Health", FHIR)
        .await;
    let install = app
        .install(
            &admin,
            "north",
            "cohort",
            "system/Patient.rs system/Observation.rs",
        )
        .await;
    let (_, key) = app
        .api(
            Method::POST,
            "/api/v1/tenants/north/keys",
            Some(&admin),
            Some(json!({"name": "EHR", "scopes": ["introspect"]})),
        )
        .await;
    Backend {
        client_id: install["client_id"].as_str().unwrap().to_owned(),
        install_id: install["id"].as_str().unwrap().to_owned(),
        admin,
        introspect: key["key"].as_str().unwrap().to_owned(),
    }
}

fn token_endpoint(app: &TestApp) -> String {
    app.url("/t/north/oauth/token")
}

/// A client assertion for `client_id`; `change` edits the claims.
fn assertion(
    app: &TestApp,
    client_id: &str,
    alg: Algorithm,
    change: impl FnOnce(&mut Value),
) -> String {
    let now = app.clock.now().timestamp();
    let mut claims = json!({
        "iss": client_id,
        "sub": client_id,
        "aud": token_endpoint(app),
        "exp": now + 240,
        "jti": uuid::Uuid::new_v4().to_string(),
    });
    change(&mut claims);
    let (pem, kid) = match alg {
        Algorithm::ES384 => (ES384_PEM, "es384-test"),
        _ => (RS384_PEM, "rs384-test"),
    };
    let key = match alg {
        Algorithm::ES384 => EncodingKey::from_ec_pem(pem.as_bytes()).unwrap(),
        _ => EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
    };
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, &claims, &key).unwrap()
}

async fn post_form(
    url: &str,
    form: &[(&str, &str)],
    bearer: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut request = reqwest::Client::new().post(url).form(form);
    if let Some(b) = bearer {
        request = request.bearer_auth(b);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn request_token(
    app: &TestApp,
    assertion: &str,
    scope: &str,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    post_form(
        &token_endpoint(app),
        &[
            ("grant_type", "client_credentials"),
            ("scope", scope),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion),
        ],
        None,
    )
    .await
}

async fn introspect(app: &TestApp, key: &str, token: &str) -> Value {
    let (status, _, body) = post_form(
        &app.url("/t/north/oauth/introspect"),
        &[("token", token)],
        Some(key),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn discovery_and_keys_describe_the_tenant_server_to_anyone() {
    let app = spawn_app().await;
    backend(&app).await;
    let response = reqwest::get(app.url("/t/north/.well-known/smart-configuration"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    let smart: Value = response.json().await.unwrap();
    assert_eq!(smart["token_endpoint"], token_endpoint(&app));
    assert_eq!(smart["code_challenge_methods_supported"], json!(["S256"]));
    assert!(smart["grant_types_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("client_credentials")));
    assert!(smart["capabilities"]
        .as_array()
        .unwrap()
        .contains(&json!("client-confidential-asymmetric")));
    assert_eq!(
        smart["token_endpoint_auth_signing_alg_values_supported"],
        json!(["RS384", "ES384"])
    );

    let metadata: Value = reqwest::get(app.url("/t/north/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["issuer"], app.url("/t/north"));
    assert_eq!(metadata["jwks_uri"], app.url("/t/north/oauth/jwks"));

    let jwks: Value = reqwest::get(app.url("/t/north/oauth/jwks"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    let algs: Vec<&str> = keys.iter().map(|k| k["alg"].as_str().unwrap()).collect();
    assert_eq!(algs.len(), 2);
    assert!(algs.contains(&"ES256") && algs.contains(&"RS256"));
    for key in keys {
        assert!(key["kid"].is_string());
        assert!(key.get("d").is_none(), "a private part is published: {key}");
    }

    let missing = reqwest::get(app.url("/t/nowhere/.well-known/smart-configuration"))
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_backend_service_gets_a_token_with_the_granted_scopes_only() {
    let app = spawn_app().await;
    let b = backend(&app).await;
    for alg in [Algorithm::ES384, Algorithm::RS384] {
        let (status, headers, body) = request_token(
            &app,
            &assertion(&app, &b.client_id, alg, |_| {}),
            "system/Patient.rs system/Condition.rs system/Observation.read",
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(headers["cache-control"], "no-store");
        assert_eq!(headers["pragma"], "no-cache");
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 300);
        // Condition was never granted; the v1 read is the v2 rs.
        assert_eq!(body["scope"], "system/Patient.rs system/Observation.rs");

        // The token verifies with the published key and says who it is for.
        let token = body["access_token"].as_str().unwrap();
        let header = jsonwebtoken::decode_header(token).unwrap();
        assert_eq!(header.alg, Algorithm::ES256);
        assert_eq!(header.typ.as_deref(), Some("at+jwt"));
        let jwks: jsonwebtoken::jwk::JwkSet = reqwest::get(app.url("/t/north/oauth/jwks"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let jwk = jwks.find(header.kid.as_deref().unwrap()).unwrap();
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_audience(&[FHIR]);
        validation.set_issuer(&[app.url("/t/north")]);
        let claims =
            jsonwebtoken::decode::<Value>(token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
                .unwrap()
                .claims;
        assert_eq!(claims["sub"], b.client_id.as_str());
        assert_eq!(claims["client_id"], b.client_id.as_str());
        assert_eq!(claims["scope"], "system/Patient.rs system/Observation.rs");
        assert!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap() <= 300);
    }
}

/// The claims of an access token, read without checking (the test above
/// checks the signature).
fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_changed_fhir_base_url_is_the_audience_of_the_next_token() {
    let app = spawn_app().await;
    let b = backend(&app).await;
    let scope = "system/Patient.rs";
    let (status, _, first) = request_token(
        &app,
        &assertion(&app, &b.client_id, Algorithm::ES384, |_| {}),
        scope,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(
        claims_of(first["access_token"].as_str().unwrap())["aud"],
        FHIR
    );

    let moved = "https://fhir.north.example.org/r5";
    let (status, body) = app
        .api(
            Method::PUT,
            "/api/v1/tenants/north",
            Some(&b.admin),
            Some(json!({"name": "North Health", "fhir_base_urls": [moved]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, second) = request_token(
        &app,
        &assertion(&app, &b.client_id, Algorithm::ES384, |_| {}),
        scope,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(
        claims_of(second["access_token"].as_str().unwrap())["aud"],
        moved
    );
}

#[tokio::test]
async fn bad_assertions_and_grants_are_refused_with_the_rfc_codes() {
    let app = spawn_app().await;
    let b = backend(&app).await;
    let id = b.client_id.clone();
    let now = app.clock.now().timestamp();
    let cases: Vec<(&str, String, &str, u16, &str)> = vec![
        (
            "expired",
            assertion(&app, &id, Algorithm::ES384, |c| c["exp"] = json!(now - 120)),
            "system/Patient.rs",
            401,
            "invalid_client",
        ),
        (
            "wrong aud",
            assertion(&app, &id, Algorithm::ES384, |c| {
                c["aud"] = json!("https://elsewhere.example.org/token")
            }),
            "system/Patient.rs",
            401,
            "invalid_client",
        ),
        (
            "lives too long",
            assertion(&app, &id, Algorithm::ES384, |c| c["exp"] = json!(now + 900)),
            "system/Patient.rs",
            401,
            "invalid_client",
        ),
        (
            "no jti",
            assertion(&app, &id, Algorithm::ES384, |c| {
                c.as_object_mut().unwrap().remove("jti");
            }),
            "system/Patient.rs",
            401,
            "invalid_client",
        ),
        (
            "iss is not sub",
            assertion(&app, &id, Algorithm::ES384, |c| c["iss"] = json!("someone")),
            "system/Patient.rs",
            401,
            "invalid_client",
        ),
        (
            "unknown client",
            assertion(&app, "sdc_nobody", Algorithm::ES384, |_| {}),
            "system/Patient.rs",
            401,
            "invalid_client",
        ),
        (
            "scope never granted",
            assertion(&app, &id, Algorithm::ES384, |_| {}),
            "system/Condition.rs",
            400,
            "invalid_scope",
        ),
        (
            "no scope",
            assertion(&app, &id, Algorithm::ES384, |_| {}),
            "",
            400,
            "invalid_scope",
        ),
    ];
    for (what, assertion, scope, status, error) in cases {
        let (got, _, body) = request_token(&app, &assertion, scope).await;
        assert_eq!(got.as_u16(), status, "{what}: {body}");
        assert_eq!(body["error"], error, "{what}: {body}");
        assert!(
            body["error_description"].as_str().unwrap().len() > 10,
            "{what}"
        );
        assert!(body.get("access_token").is_none());
    }

    // A signature by a key the app never registered.
    let stranger = {
        let other = EncodingKey::from_rsa_pem(RS384_PEM.as_bytes()).unwrap();
        let mut header = Header::new(Algorithm::RS384);
        header.kid = Some("es384-test".into());
        jsonwebtoken::encode(&header, &json!({"iss": id, "sub": id, "aud": token_endpoint(&app), "exp": now + 60, "jti": "x1"}), &other).unwrap()
    };
    let (status, _, body) = request_token(&app, &stranger, "system/Patient.rs").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");

    // A replayed assertion works once.
    let once = assertion(&app, &id, Algorithm::ES384, |_| {});
    assert_eq!(
        request_token(&app, &once, "system/Patient.rs").await.0,
        StatusCode::OK
    );
    let (status, _, body) = request_token(&app, &once, "system/Patient.rs").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("used before"),
        "{body}"
    );

    // Grants and authentication methods this endpoint does not take.
    let fresh = assertion(&app, &id, Algorithm::ES384, |_| {});
    for (form, status, error) in [
        (
            vec![
                ("grant_type", "password"),
                ("username", "u"),
                ("password", "p"),
            ],
            400,
            "unsupported_grant_type",
        ),
        (
            vec![("grant_type", "implicit")],
            400,
            "unsupported_grant_type",
        ),
        (vec![("scope", "system/Patient.rs")], 400, "invalid_request"),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("scope", "system/Patient.rs"),
                ("client_id", &id),
                ("client_secret", "guess"),
            ],
            401,
            "invalid_client",
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("scope", "system/Patient.rs"),
                ("client_assertion_type", "urn:x"),
                ("client_assertion", &fresh),
            ],
            401,
            "invalid_client",
        ),
    ] {
        let (got, _, body) = post_form(&token_endpoint(&app), &form, None).await;
        assert_eq!(got.as_u16(), status, "{form:?}: {body}");
        assert_eq!(body["error"], error, "{form:?}: {body}");
    }

    // Refusals of the tenant's own client are in its audit log.
    let audit = app.audit_log("north", &b.admin).await;
    let refused = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "token.refused")
        .count();
    assert!(refused >= 5, "{audit}");
    assert!(
        !audit.to_string().contains(&once),
        "an assertion in the audit log"
    );
}

#[tokio::test]
async fn an_assertion_must_be_signed_as_sent_and_addressed_here() {
    let app = spawn_app().await;
    let b = backend(&app).await;
    let id = b.client_id.clone();
    let now = app.clock.now().timestamp();

    // The app's key signed, but not these claims.
    let genuine = assertion(&app, &id, Algorithm::ES384, |_| {});
    let mut parts = genuine.split('.');
    let (head, _, signature) = (parts.next().unwrap(), parts.next(), parts.next().unwrap());
    let claims = json!({"iss": id, "sub": id, "aud": token_endpoint(&app), "exp": now + 60, "jti": "forged"});
    let forged = format!(
        "{head}.{}.{signature}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let (status, _, body) = request_token(&app, &forged, "system/Patient.rs").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("signature does not verify"),
        "{body}"
    );

    // `aud` may be a list that names the token endpoint, and no other.
    let listed = assertion(&app, &id, Algorithm::RS384, |c| {
        c["aud"] = json!(["https://elsewhere.example.org", token_endpoint(&app)])
    });
    let (status, _, body) = request_token(&app, &listed, "system/Patient.rs").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let elsewhere = assertion(&app, &id, Algorithm::RS384, |c| {
        c["aud"] = json!(["https://elsewhere.example.org"])
    });
    let (status, _, body) = request_token(&app, &elsewhere, "system/Patient.rs").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("`aud`"),
        "{body}"
    );

    for claim in ["aud", "exp"] {
        let without = assertion(&app, &id, Algorithm::ES384, |c| {
            c.as_object_mut().unwrap().remove(claim);
        });
        let (status, _, body) = request_token(&app, &without, "system/Patient.rs").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "no {claim}: {body}");
        assert_eq!(body["error"], "invalid_client", "no {claim}: {body}");
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .contains(&format!("`{claim}`")),
            "{body}"
        );
    }
}

#[tokio::test]
async fn introspection_follows_the_install_and_revocation() {
    let app = spawn_app().await;
    let b = backend(&app).await;
    let (_, _, body) = request_token(
        &app,
        &assertion(&app, &b.client_id, Algorithm::ES384, |_| {}),
        "system/Patient.rs",
    )
    .await;
    let token = body["access_token"].as_str().unwrap().to_owned();

    let active = introspect(&app, &b.introspect, &token).await;
    assert_eq!(active["active"], true, "{active}");
    assert_eq!(active["client_id"], b.client_id.as_str());
    assert_eq!(active["scope"], "system/Patient.rs");
    assert_eq!(active["iss"], app.url("/t/north"));
    assert!(active["exp"].is_i64());

    let (status, _, body) = post_form(
        &app.url("/t/north/oauth/introspect"),
        &[("token", "")],
        Some(&b.introspect),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_request");
    for junk in ["nonsense", "a.b.c"] {
        assert_eq!(
            introspect(&app, &b.introspect, junk).await,
            json!({"active": false})
        );
    }

    // Only this tenant's key with `introspect` may ask.
    let (status, _, _) = post_form(
        &app.url("/t/north/oauth/introspect"),
        &[("token", &token)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, key) = app
        .api(
            Method::POST,
            "/api/v1/tenants/north/keys",
            Some(&b.admin),
            Some(json!({"name": "reader", "scopes": ["registrations:read"]})),
        )
        .await;
    let (status, _, body) = post_form(
        &app.url("/t/north/oauth/introspect"),
        &[("token", &token)],
        key["key"].as_str(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    // Suspended: inactive, and no new tokens.
    let suspend = format!("/api/v1/tenants/north/installs/{}/suspend", b.install_id);
    assert_eq!(
        app.api(Method::POST, &suspend, Some(&b.admin), None)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        introspect(&app, &b.introspect, &token).await,
        json!({"active": false})
    );
    let (status, _, body) = request_token(
        &app,
        &assertion(&app, &b.client_id, Algorithm::ES384, |_| {}),
        "system/Patient.rs",
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let resume = format!("/api/v1/tenants/north/installs/{}/resume", b.install_id);
    assert_eq!(
        app.api(Method::POST, &resume, Some(&b.admin), None).await.0,
        StatusCode::OK
    );
    assert_eq!(
        introspect(&app, &b.introspect, &token).await["active"],
        true
    );

    // The client revokes its token (RFC 7009); unknown tokens are fine.
    let revoke = |token: String| {
        let app = &app;
        let client_id = b.client_id.clone();
        async move {
            let proof = assertion(app, &client_id, Algorithm::RS384, |_| {});
            post_form(
                &app.url("/t/north/oauth/revoke"),
                &[
                    ("token", &token),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    ),
                    ("client_assertion", &proof),
                ],
                None,
            )
            .await
        }
    };
    assert_eq!(revoke("not-a-token".into()).await.0, StatusCode::OK);
    let (status, _, body) = revoke(token.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        introspect(&app, &b.introspect, &token).await,
        json!({"active": false})
    );
    let audit = app.audit_log("north", &b.admin).await;
    let revoked = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "token.revoked");
    assert_eq!(revoked.unwrap()["detail"]["by"], "client", "{audit}");
    assert!(
        !audit.to_string().contains(&token),
        "a token in the audit log"
    );

    // The tenant's EHR may revoke too, with its `introspect` key.
    let (_, _, body) = request_token(
        &app,
        &assertion(&app, &b.client_id, Algorithm::ES384, |_| {}),
        "system/Patient.rs",
    )
    .await;
    let by_key = body["access_token"].as_str().unwrap().to_owned();
    let (status, _, _) = post_form(
        &app.url("/t/north/oauth/revoke"),
        &[("token", &by_key)],
        Some(&b.introspect),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        introspect(&app, &b.introspect, &by_key).await,
        json!({"active": false})
    );

    // Expired tokens are inactive.
    let (_, _, body) = request_token(
        &app,
        &assertion(&app, &b.client_id, Algorithm::ES384, |_| {}),
        "system/Patient.rs",
    )
    .await;
    let later = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        introspect(&app, &b.introspect, &later).await["active"],
        true
    );
    app.clock.advance(chrono::Duration::seconds(301));
    assert_eq!(
        introspect(&app, &b.introspect, &later).await,
        json!({"active": false})
    );
}

#[tokio::test]
async fn rotated_keys_sign_new_tokens_while_old_ones_still_verify() {
    let app = spawn_app().await;
    let b = backend(&app).await;
    let (_, _, body) = request_token(
        &app,
        &assertion(&app, &b.client_id, Algorithm::ES384, |_| {}),
        "system/Patient.rs",
    )
    .await;
    let old = body["access_token"].as_str().unwrap().to_owned();
    let old_kid = jsonwebtoken::decode_header(&old).unwrap().kid.unwrap();

    let new_kids = app.engine.rotate_signing_keys("north").await.unwrap();
    assert!(!new_kids.contains(&old_kid));
    let jwks: Value = reqwest::get(app.url("/t/north/oauth/jwks"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        jwks["keys"].as_array().unwrap().len(),
        4,
        "old and new: {jwks}"
    );
    assert_eq!(introspect(&app, &b.introspect, &old).await["active"], true);

    let (_, _, body) = request_token(
        &app,
        &assertion(&app, &b.client_id, Algorithm::ES384, |_| {}),
        "system/Patient.rs",
    )
    .await;
    let new = body["access_token"].as_str().unwrap().to_owned();
    let new_kid = jsonwebtoken::decode_header(&new).unwrap().kid.unwrap();
    assert!(new_kids.contains(&new_kid));

    // Once nothing the old keys signed can still be valid, they go.
    app.clock.advance(chrono::Duration::minutes(66));
    let jwks: Value = reqwest::get(app.url("/t/north/oauth/jwks"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids.len(), 2);
    assert!(!kids.contains(&old_kid.as_str()));
    let audit = app.audit_log("north", &b.admin).await;
    assert!(audit.to_string().contains("keys.rotated"));
}

#[tokio::test]
async fn failed_client_authentications_are_throttled() {
    let app = spawn_app().await;
    let b = backend(&app).await;
    let mut last = None;
    for _ in 0..12 {
        let bad = assertion(&app, &b.client_id, Algorithm::ES384, |c| {
            c["aud"] = json!("https://wrong.example.org")
        });
        last = Some(request_token(&app, &bad, "system/Patient.rs").await);
    }
    let (status, headers, body) = last.unwrap();
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(headers.contains_key("retry-after"));
    // Even a good assertion waits now.
    let good = assertion(&app, &b.client_id, Algorithm::ES384, |_| {});
    assert_eq!(
        request_token(&app, &good, "system/Patient.rs").await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn an_assertion_replayed_on_another_server_loses_its_token() {
    let dir =
        std::env::temp_dir().join(format!("sidecar-shared-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = support::fresh_database_url(&dir).await;
    let master_key = Some("7a".repeat(32));
    let first = spawn_app_with(Options {
        database_url: Some(url.clone()),
        master_key: master_key.clone(),
        ..Options::default()
    })
    .await;
    let b = backend(&first).await;
    // Two replicas behind one public address.
    let second = spawn_app_with(Options {
        database_url: Some(url),
        public_url: Some(first.base.clone()),
        master_key,
        ..Options::default()
    })
    .await;
    let once = assertion(&first, &b.client_id, Algorithm::ES384, |_| {});
    let (status, _, _) = request_token(&first, &once, "system/Patient.rs").await;
    assert_eq!(status, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // The second server has not seen it, so it answers; then finds out.
    let (status, _, body) = request_token(&second, &once, "system/Patient.rs").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let replayed = body["access_token"].as_str().unwrap().to_owned();
    let mut inactive = false;
    for _ in 0..30 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if introspect(&second, &b.introspect, &replayed).await == json!({"active": false}) {
            inactive = true;
            break;
        }
    }
    assert!(inactive, "the replayed assertion's token stayed active");
}
