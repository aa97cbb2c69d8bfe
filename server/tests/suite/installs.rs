//! Tenants install published apps with the scopes they grant, get client
//! ids of their own, and their EHR reads the registrations with a tenant
//! API key. Another tenant's ids are never found.

use crate::support;

use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};
use support::{spawn_app, TestApp, PASSWORD};

struct World {
    dev: String,
    admin_a: String,
    admin_b: String,
}

/// Publisher `acme` with published `charts` (public) and `labs`
/// (confidential symmetric); tenants `north` and `south`, one admin each.
async fn world(app: &TestApp) -> World {
    let dev = app.developer("dev@example.org").await;
    let reviewer = app.reviewer("reviewer@example.org").await;
    for (slug, auth, scope) in [
        ("charts", "none", "launch openid fhirUser patient/*.rs"),
        (
            "labs",
            "client_secret_basic",
            "launch openid user/Observation.rs user/Patient.rs",
        ),
    ] {
        app.publish(
            &dev,
            &reviewer,
            slug,
            json!({
                "client_name": slug,
                "redirect_uris": [format!("https://{slug}.example.org/cb")],
                "launch_url": format!("https://{slug}.example.org/launch"),
                "scope": scope,
                "token_endpoint_auth_method": auth,
                "launch_types": ["ehr"],
                "fhir_versions": ["4.0.1"],
            }),
        )
        .await;
    }
    let mut admins = Vec::new();
    for tenant in ["north", "south"] {
        let email = format!("admin@{tenant}.example.org");
        let admin = app
            .engine
            .create_verified_user(&email, PASSWORD, None)
            .await
            .unwrap();
        app.engine
            .create_tenant_as_operator(tenant, &format!("{tenant} health"), &email)
            .await
            .unwrap();
        admins.push(app.token(&admin, &["tenant-admin"]).await);
    }
    World {
        dev: app.token(&dev, &["publisher"]).await,
        admin_b: admins.pop().unwrap(),
        admin_a: admins.pop().unwrap(),
    }
}

async fn install(app: &TestApp, token: &str, tenant: &str, body: Value) -> (StatusCode, Value) {
    app.api(
        Method::POST,
        &format!("/api/v1/tenants/{tenant}/installs"),
        Some(token),
        Some(body),
    )
    .await
}

/// A tenant key with `installs:write`, for an EHR that installs.
async fn installs_key(app: &TestApp, token: &str, tenant: &str) -> String {
    let (status, body) = app
        .api(
            Method::POST,
            &format!("/api/v1/tenants/{tenant}/keys"),
            Some(token),
            Some(json!({"name": "Installer", "scopes": ["installs:write"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["key"].as_str().unwrap().to_owned()
}

async fn key(app: &TestApp, token: &str, tenant: &str) -> String {
    let (status, body) = app
        .api(
            Method::POST,
            &format!("/api/v1/tenants/{tenant}/keys"),
            Some(token),
            Some(json!({"name": "EHR", "scopes": ["registrations:read"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["key"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_tenant_grants_a_narrower_scope_and_the_registry_shows_exactly_that() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (status, body) = install(
        &app,
        &w.admin_a,
        "north",
        json!({"app": "charts", "scope": "patient/Observation.cruds"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "scope");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("patient/Observation.cruds"));

    let (status, installed) = install(
        &app,
        &w.admin_a,
        "north",
        json!({"app": "charts", "scope": "launch openid patient/Observation.read"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{installed}");
    assert_eq!(installed["scope"], "launch openid patient/Observation.rs");
    assert_eq!(installed["state"], "active");
    let client_id = installed["client_id"].as_str().unwrap().to_owned();
    let (status, _) = install(&app, &w.admin_a, "north", json!({"app": "charts"})).await;
    assert_eq!(status, StatusCode::CONFLICT);

    let ehr = key(&app, &w.admin_a, "north").await;
    let (status, page) = app
        .api(Method::GET, "/api/v1/registrations", Some(&ehr), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let reg = &page["items"][0];
    assert_eq!(reg["client_id"], client_id.as_str());
    assert_eq!(reg["scope"], "launch openid patient/Observation.rs");
    assert_eq!(
        reg["redirect_uris"],
        json!(["https://charts.example.org/cb"])
    );
    assert_eq!(reg["token_endpoint_auth_method"], "none");
    assert_eq!(reg["issuer"], format!("{}/t/north", app.base));
    let (status, one) = app
        .api(
            Method::GET,
            &format!("/api/v1/registrations/{client_id}"),
            Some(&ehr),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["client_id"], client_id.as_str());

    // An unpublished app cannot be installed.
    let (status, body) = install(&app, &w.admin_a, "north", json!({"app": "nothing"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test]
async fn registrations_page_by_change_with_etags() {
    let app = spawn_app().await;
    let w = world(&app).await;
    install(&app, &w.admin_a, "north", json!({"app": "charts"})).await;
    app.clock.advance(chrono::Duration::seconds(5));
    let (_, labs) = install(&app, &w.admin_a, "north", json!({"app": "labs"})).await;
    let ehr = key(&app, &w.admin_a, "north").await;
    let get = |path: String, etag: Option<String>| {
        let mut request = reqwest::Client::new().get(app.url(&path)).bearer_auth(&ehr);
        if let Some(etag) = etag {
            request = request.header(header::IF_NONE_MATCH, etag);
        }
        request.send()
    };
    let first = get("/api/v1/registrations?limit=1".into(), None)
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let page: Value = first.json().await.unwrap();
    assert_eq!(page["items"][0]["app"], "charts");
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let second: Value = get(
        format!("/api/v1/registrations?limit=1&cursor={cursor}"),
        None,
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(second["items"][0]["app"], "labs");
    assert_eq!(second["next_cursor"], Value::Null);

    // Changed since the second's last change: only the second.
    let since = second["items"][0]["updated_at"]
        .as_str()
        .unwrap()
        .to_owned();
    let changed: Value = get(
        format!(
            "/api/v1/registrations?updated_since={}",
            since.replace('+', "%2B")
        ),
        None,
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(changed["items"].as_array().unwrap().len(), 1, "{changed}");
    assert_eq!(changed["items"][0]["app"], "labs");

    // Unchanged: 304. Changed: a new body and ETag.
    let all = get("/api/v1/registrations".into(), None).await.unwrap();
    let etag = all.headers()[header::ETAG].to_str().unwrap().to_owned();
    let again = get("/api/v1/registrations".into(), Some(etag.clone()))
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let id = labs["id"].as_str().unwrap();
    app.clock.advance(chrono::Duration::seconds(5));
    let (status, suspended) = app
        .api(
            Method::POST,
            &format!("/api/v1/tenants/north/installs/{id}/suspend"),
            Some(&w.admin_a),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{suspended}");
    let (status, _) = app
        .api(
            Method::POST,
            &format!("/api/v1/tenants/north/installs/{id}/suspend"),
            Some(&w.admin_a),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let after = get("/api/v1/registrations".into(), Some(etag.clone()))
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::OK);
    assert_ne!(after.headers()[header::ETAG].to_str().unwrap(), etag);
    let page: Value = after.json().await.unwrap();
    assert_eq!(page["items"][1]["status"], "suspended");

    for bad in ["cursor=nope", "updated_since=yesterday"] {
        let response = get(format!("/api/v1/registrations?{bad}"), None)
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
    }

    // The page size is what the OpenAPI document says, 1 to 200: out of
    // range is refused (not quietly clamped), unreadable is a bad request.
    for (limit, expected) in [
        ("0", StatusCode::UNPROCESSABLE_ENTITY),
        ("201", StatusCode::UNPROCESSABLE_ENTITY),
        ("9223372036854775808", StatusCode::UNPROCESSABLE_ENTITY),
        ("18446744073709551616", StatusCode::BAD_REQUEST),
        ("ten", StatusCode::BAD_REQUEST),
    ] {
        let response = get(format!("/api/v1/registrations?limit={limit}"), None)
            .await
            .unwrap();
        assert_eq!(response.status(), expected, "limit={limit}");
        let body: Value = response.json().await.unwrap();
        assert!(
            body["message"].as_str().unwrap().contains("limit"),
            "{body}"
        );
    }
    let most = get("/api/v1/registrations?limit=200".into(), None)
        .await
        .unwrap();
    assert_eq!(most.status(), StatusCode::OK);
}

#[tokio::test]
async fn secrets_are_shown_once_and_the_old_one_lasts_a_grace_period() {
    let app = spawn_app().await;
    let w = world(&app).await;
    install(&app, &w.admin_a, "north", json!({"app": "labs"})).await;
    install(&app, &w.admin_a, "north", json!({"app": "charts"})).await;
    let rotate = |slug: &'static str| {
        let path = format!("/api/v1/publisher/apps/{slug}/installs/north/secret");
        let (app, token) = (&app, w.dev.clone());
        async move { app.api(Method::POST, &path, Some(&token), None).await }
    };
    let (status, first) = rotate("labs").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let client_id = first["client_id"].as_str().unwrap().to_owned();
    let one = first["client_secret"].as_str().unwrap().to_owned();
    assert!(one.len() >= 43, "256 bits or more");
    assert!(app
        .engine
        .verify_client_secret(&client_id, &one)
        .await
        .unwrap());
    let (_, second) = rotate("labs").await;
    let two = second["client_secret"].as_str().unwrap().to_owned();
    assert_ne!(one, two);
    assert!(app
        .engine
        .verify_client_secret(&client_id, &one)
        .await
        .unwrap());
    assert!(app
        .engine
        .verify_client_secret(&client_id, &two)
        .await
        .unwrap());
    app.clock.advance(chrono::Duration::hours(25));
    assert!(!app
        .engine
        .verify_client_secret(&client_id, &one)
        .await
        .unwrap());
    assert!(app
        .engine
        .verify_client_secret(&client_id, &two)
        .await
        .unwrap());
    assert!(!app
        .engine
        .verify_client_secret(&client_id, "guess")
        .await
        .unwrap());

    // A public client has no secret; the developer sees client ids per tenant.
    let (status, body) = rotate("charts").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (_, listed) = app
        .api(
            Method::GET,
            "/api/v1/publisher/apps/labs/installs",
            Some(&w.dev),
            None,
        )
        .await;
    assert_eq!(listed["items"][0]["tenant"], "north");
    assert_eq!(listed["items"][0]["client_id"], client_id.as_str());
    // The tenant admin never sees a secret.
    let (_, installs) = app
        .api(
            Method::GET,
            "/api/v1/tenants/north/installs",
            Some(&w.admin_a),
            None,
        )
        .await;
    assert!(!installs.to_string().contains(&two));
    // A suspended install's secret does not authenticate.
    let id = listed["items"][0]["id"].as_str().unwrap();
    app.api(
        Method::POST,
        &format!("/api/v1/tenants/north/installs/{id}/suspend"),
        Some(&w.admin_a),
        None,
    )
    .await;
    assert!(!app
        .engine
        .verify_client_secret(&client_id, &two)
        .await
        .unwrap());
}

#[tokio::test]
async fn another_tenants_ids_are_never_found() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (_, installed) = install(&app, &w.admin_a, "north", json!({"app": "charts"})).await;
    let id = installed["id"].as_str().unwrap().to_owned();
    let client_id = installed["client_id"].as_str().unwrap().to_owned();
    let north_key = key(&app, &w.admin_a, "north").await;
    let (_, keys) = app
        .api(
            Method::GET,
            "/api/v1/tenants/north/keys",
            Some(&w.admin_a),
            None,
        )
        .await;
    let key_id = keys["items"][0]["id"].as_str().unwrap().to_owned();
    let south_key = key(&app, &w.admin_b, "south").await;

    // South's admin, on south's routes, with north's ids: 404, nothing changes.
    for (method, path) in [
        (
            Method::POST,
            format!("/api/v1/tenants/south/installs/{id}/suspend"),
        ),
        (
            Method::POST,
            format!("/api/v1/tenants/south/installs/{id}/resume"),
        ),
        (
            Method::DELETE,
            format!("/api/v1/tenants/south/installs/{id}"),
        ),
        (
            Method::DELETE,
            format!("/api/v1/tenants/south/keys/{key_id}"),
        ),
    ] {
        let (status, body) = app.api(method, &path, Some(&w.admin_b), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
    }
    // South's admin on north's routes: north does not exist for them.
    for (method, path) in [
        (Method::GET, "/api/v1/tenants/north".to_owned()),
        (Method::GET, "/api/v1/tenants/north/members".to_owned()),
        (
            Method::DELETE,
            "/api/v1/tenants/north/members/admin@north.example.org".to_owned(),
        ),
        (Method::GET, "/api/v1/tenants/north/installs".to_owned()),
        (Method::GET, "/api/v1/tenants/north/keys".to_owned()),
        (Method::GET, "/api/v1/tenants/north/audit".to_owned()),
        (Method::GET, "/api/v1/tenants/north/webhook".to_owned()),
        (
            Method::POST,
            format!("/api/v1/tenants/north/installs/{id}/suspend"),
        ),
        (
            Method::DELETE,
            format!("/api/v1/tenants/north/keys/{key_id}"),
        ),
    ] {
        let (status, body) = app.api(method, &path, Some(&w.admin_b), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
    }
    for (method, path, body) in [
        (
            Method::PUT,
            "/api/v1/tenants/north",
            json!({"name": "Taken", "fhir_base_urls": []}),
        ),
        (
            Method::POST,
            "/api/v1/tenants/north/members",
            json!({"email": "spy@example.org", "role": "admin"}),
        ),
        (
            Method::PUT,
            "/api/v1/tenants/north/webhook",
            json!({"url": "https://spy.example.org/hook"}),
        ),
    ] {
        let (status, body) = app.api(method, path, Some(&w.admin_b), Some(body)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
    }
    let (status, _) = install(&app, &w.admin_b, "north", json!({"app": "labs"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // South's key, even one allowed to install, does not reach north.
    let south_installer = installs_key(&app, &w.admin_b, "south").await;
    let (status, _) = install(&app, &south_installer, "north", json!({"app": "labs"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .api(
            Method::POST,
            &format!("/api/v1/tenants/south/installs/{id}/suspend"),
            Some(&south_installer),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // South's key sees none of north's registrations.
    let (_, page) = app
        .api(Method::GET, "/api/v1/registrations", Some(&south_key), None)
        .await;
    assert_eq!(page["items"], json!([]));
    let (status, _) = app
        .api(
            Method::GET,
            &format!("/api/v1/registrations/{client_id}"),
            Some(&south_key),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // North's own log has its events, as JSON and CSV.
    let (status, log) = app
        .api(
            Method::GET,
            "/api/v1/tenants/north/audit",
            Some(&w.admin_a),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"install.created") && actions.contains(&"key.created"),
        "{actions:?}"
    );
    let (status, csv) = app
        .api(
            Method::GET,
            "/api/v1/tenants/north/audit?format=csv",
            Some(&w.admin_a),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(csv.as_str().unwrap().starts_with("at,actor,origin,action"));
    for (query, expected) in [
        ("limit=0", StatusCode::UNPROCESSABLE_ENTITY),
        ("limit=10001", StatusCode::UNPROCESSABLE_ENTITY),
        ("format=xml", StatusCode::BAD_REQUEST),
    ] {
        let (status, body) = app
            .api(
                Method::GET,
                &format!("/api/v1/tenants/north/audit?{query}"),
                Some(&w.admin_a),
                None,
            )
            .await;
        assert_eq!(status, expected, "{query}: {body}");
        assert!(body["message"].is_string(), "{query}: {body}");
    }

    // Nothing changed in north.
    let (_, installs) = app
        .api(
            Method::GET,
            "/api/v1/tenants/north/installs",
            Some(&w.admin_a),
            None,
        )
        .await;
    assert_eq!(installs["items"][0]["state"], "active");
    let (status, _) = app
        .api(Method::GET, "/api/v1/registrations", Some(&north_key), None)
        .await;
    assert_eq!(status, StatusCode::OK);

    // A revoked key, a personal token and junk are all 401 on the registry.
    app.api(
        Method::DELETE,
        &format!("/api/v1/tenants/north/keys/{key_id}"),
        Some(&w.admin_a),
        None,
    )
    .await;
    for bearer in [north_key.as_str(), w.admin_a.as_str(), "sdc_key_nope"] {
        let (status, _) = app
            .api(Method::GET, "/api/v1/registrations", Some(bearer), None)
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{bearer}");
    }
}

/// Publishes a new version of `slug` with `scope` and `redirect`.
async fn new_version(app: &TestApp, slug: &str, scope: &str, redirect: &str) {
    let dev = app.account("dev@example.org").await;
    let reviewer = app.account("reviewer@example.org").await;
    let mut draft = app.engine.publisher_app(&dev, slug).await.unwrap().draft;
    draft.scope = Some(scope.to_owned());
    draft.redirect_uris = Some(vec![redirect.to_owned()]);
    app.engine.update_draft(&dev, slug, draft).await.unwrap();
    let version = app.engine.submit_app(&dev, slug).await.unwrap();
    app.clock.advance(chrono::Duration::seconds(1));
    app.engine
        .approve_submission(&reviewer, &version.id)
        .await
        .unwrap();
}

#[tokio::test]
async fn installs_follow_narrower_versions_and_wait_for_wider_ones() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (_, installed) = install(
        &app,
        &w.admin_a,
        "north",
        json!({"app": "charts", "scope": "launch openid patient/Observation.rs patient/Condition.rs"}),
    )
    .await;
    let id = installed["id"].as_str().unwrap().to_owned();
    let ehr = key(&app, &w.admin_a, "north").await;
    let registration = || async {
        let (_, page) = app
            .api(Method::GET, "/api/v1/registrations", Some(&ehr), None)
            .await;
        page["items"][0].clone()
    };

    // Version 2 asks for less (no conditions): the install moves up and
    // its grant shrinks with it.
    new_version(
        &app,
        "charts",
        "launch openid patient/Observation.rs",
        "https://charts.example.org/cb",
    )
    .await;
    let reg = registration().await;
    assert_eq!(reg["version"], 2);
    assert_eq!(reg["scope"], "launch openid patient/Observation.rs");

    // Version 3 adds a redirect URI and a scope: the install stays on 2.
    new_version(
        &app,
        "charts",
        "launch openid patient/Observation.rs patient/MedicationRequest.rs",
        "https://charts.example.org/callback",
    )
    .await;
    let reg = registration().await;
    assert_eq!(reg["version"], 2);
    assert_eq!(
        reg["redirect_uris"],
        json!(["https://charts.example.org/cb"])
    );
    let (_, installs) = app
        .api(
            Method::GET,
            "/api/v1/tenants/north/installs",
            Some(&w.admin_a),
            None,
        )
        .await;
    assert_eq!(installs["items"][0]["pending_version"], 3);
    assert_eq!(
        installs["items"][0]["pending_changes"]["scopes_added"],
        json!(["patient/MedicationRequest.rs"])
    );
    app.log_in("admin@north.example.org", PASSWORD).await;
    app.get("/t/north/admin")
        .await
        .assert_contains("Version 3 waits for your approval");

    // Another tenant cannot approve it; this one can.
    let (status, _) = app
        .api(
            Method::POST,
            &format!("/api/v1/tenants/south/installs/{id}/update"),
            Some(&w.admin_b),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, updated) = app
        .api(
            Method::POST,
            &format!("/api/v1/tenants/north/installs/{id}/update"),
            Some(&w.admin_a),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["pending_version"], Value::Null);
    let reg = registration().await;
    assert_eq!(reg["version"], 3);
    assert_eq!(
        reg["scope"],
        "launch openid patient/Observation.rs patient/MedicationRequest.rs"
    );
    assert_eq!(
        reg["redirect_uris"],
        json!(["https://charts.example.org/callback"])
    );
    let (status, _) = app
        .api(
            Method::POST,
            &format!("/api/v1/tenants/north/installs/{id}/update"),
            Some(&w.admin_a),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn the_grace_period_is_configurable() {
    let app = support::spawn_app_with(support::Options {
        secret_grace_hours: Some(1),
        ..support::Options::default()
    })
    .await;
    let w = world(&app).await;
    install(&app, &w.admin_a, "north", json!({"app": "labs"})).await;
    let path = "/api/v1/publisher/apps/labs/installs/north/secret";
    let (_, first) = app.api(Method::POST, path, Some(&w.dev), None).await;
    let (_, second) = app.api(Method::POST, path, Some(&w.dev), None).await;
    assert_eq!(second["previous_valid_for_seconds"], 3600);
    let client_id = first["client_id"].as_str().unwrap();
    let old = first["client_secret"].as_str().unwrap();
    assert!(app
        .engine
        .verify_client_secret(client_id, old)
        .await
        .unwrap());
    app.clock.advance(chrono::Duration::minutes(61));
    assert!(!app
        .engine
        .verify_client_secret(client_id, old)
        .await
        .unwrap());
}
