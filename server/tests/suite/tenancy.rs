//! What a tenant is beyond installs: a publisher's sandbox where drafts
//! install at once, members with roles, the tenant's own API key
//! installing for the EHR, FHIR base URLs, and health systems applying.

use crate::support;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::{spawn_app, TestApp, PASSWORD};

fn manifest(slug: &str, scope: &str) -> Value {
    json!({
        "client_name": slug,
        "redirect_uris": [format!("https://{slug}.example.org/cb")],
        "launch_url": format!("https://{slug}.example.org/launch"),
        "scope": scope,
        "token_endpoint_auth_method": "client_secret_basic",
        "launch_types": ["ehr"],
        "fhir_versions": ["4.0.1"],
    })
}

/// A tenant `north` with its admin; returns the admin's token.
async fn north(app: &TestApp) -> String {
    let admin = app
        .engine
        .create_verified_user("admin@north.example.org", PASSWORD, None)
        .await
        .unwrap();
    app.engine
        .create_tenant_as_operator("north", "North Health", "admin@north.example.org")
        .await
        .unwrap();
    app.token(&admin, &["tenant-admin"]).await
}

#[tokio::test]
async fn a_publishers_drafts_install_in_its_sandbox_and_follow_each_save() {
    let app = spawn_app().await;
    let dev = app.developer("dev@example.org").await;
    app.engine
        .create_app(
            &dev,
            "acme",
            Some("charts"),
            serde_json::from_value(manifest("charts", "launch patient/Observation.rs")).unwrap(),
        )
        .await
        .unwrap();
    let token = app.token(&dev, &["tenant-admin", "publisher"]).await;

    // The sandbox is there, the publisher's members run it.
    let (status, tenant) = app
        .api(
            Method::GET,
            "/api/v1/tenants/sandbox-acme",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{tenant}");
    assert_eq!(tenant["sandbox"], true);
    assert_eq!(tenant["role"], "admin");

    // A draft that was never reviewed installs at once.
    let (status, installed) = app
        .api(
            Method::POST,
            "/api/v1/tenants/sandbox-acme/installs",
            Some(&token),
            Some(json!({"app": "charts"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{installed}");
    assert_eq!(installed["version"], 0);
    assert_eq!(installed["scope"], "launch patient/Observation.rs");
    // …and gets a secret like any install.
    let (status, secret) = app
        .api(
            Method::POST,
            "/api/v1/publisher/apps/charts/installs/sandbox-acme/secret",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{secret}");

    // Saving the draft moves the sandbox install along, new scope granted.
    let (status, body) = app
        .api(
            Method::PUT,
            "/api/v1/publisher/apps/charts/draft",
            Some(&token),
            Some(manifest(
                "charts",
                "launch patient/Observation.rs patient/Condition.rs",
            )),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, installs) = app
        .api(
            Method::GET,
            "/api/v1/tenants/sandbox-acme/installs",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(
        installs["items"][0]["scope"],
        "launch patient/Observation.rs patient/Condition.rs"
    );
    // A review publishes the draft for everyone, but the sandbox stays on
    // the draft.
    let version = app.engine.submit_app(&dev, "charts").await.unwrap();
    let reviewer = app.reviewer("reviewer@example.org").await;
    app.engine
        .approve_submission(&reviewer, &version.id)
        .await
        .unwrap();
    let (_, installs) = app
        .api(
            Method::GET,
            "/api/v1/tenants/sandbox-acme/installs",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(installs["items"][0]["version"], 0);
    assert_eq!(installs["items"][0]["pending_version"], Value::Null);
    // The draft row is no version of the app's history.
    let (_, detail) = app
        .api(
            Method::GET,
            "/api/v1/publisher/apps/charts",
            Some(&token),
            None,
        )
        .await;
    let numbers: Vec<&Value> = detail["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| &v["number"])
        .collect();
    assert_eq!(numbers, [&json!(1)], "{detail}");

    // Outside its sandbox, an unreviewed app does not install.
    app.engine
        .create_app(
            &dev,
            "acme",
            Some("draft-only"),
            serde_json::from_value(manifest("draft-only", "launch")).unwrap(),
        )
        .await
        .unwrap();
    let north_admin = north(&app).await;
    let (status, body) = app
        .api(
            Method::POST,
            "/api/v1/tenants/north/installs",
            Some(&north_admin),
            Some(json!({"app": "draft-only"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // The sandbox is nobody else's: north's admin does not find it.
    let (status, _) = app
        .api(
            Method::GET,
            "/api/v1/tenants/sandbox-acme/installs",
            Some(&north_admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Another publisher's sandbox holds only its own apps.
    let other = app
        .engine
        .create_verified_user("other@example.org", PASSWORD, None)
        .await
        .unwrap();
    app.engine
        .create_publisher(&other, "beta", "Beta Apps")
        .await
        .unwrap();
    let other_token = app.token(&other, &["tenant-admin"]).await;
    let (status, body) = app
        .api(
            Method::POST,
            "/api/v1/tenants/sandbox-beta/installs",
            Some(&other_token),
            Some(json!({"app": "charts"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "app");
    // And nobody creates a tenant in the sandbox namespace.
    let err = app
        .engine
        .create_tenant_as_operator("sandbox-zeta", "Zeta", "admin@north.example.org")
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("slug"));
}

#[tokio::test]
async fn viewers_look_admins_invite_and_the_last_admin_stays() {
    let app = spawn_app().await;
    let admin = north(&app).await;
    let viewer = app
        .engine
        .create_verified_user("viewer@north.example.org", PASSWORD, None)
        .await
        .unwrap();
    let (status, body) = app
        .api(
            Method::POST,
            "/api/v1/tenants/north/members",
            Some(&admin),
            Some(json!({"email": "viewer@north.example.org", "role": "viewer"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["status"], "active");
    app.wait_for_mail("viewer@north.example.org", 1).await;
    let (status, body) = app
        .api(
            Method::POST,
            "/api/v1/tenants/north/members",
            Some(&admin),
            Some(json!({"email": "new@north.example.org", "role": "admin"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["status"], "invited");
    let (status, body) = app
        .api(
            Method::POST,
            "/api/v1/tenants/north/members",
            Some(&admin),
            Some(json!({"email": "x@north.example.org", "role": "owner"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "role");

    // The viewer sees installs, members and the log, and changes nothing.
    let viewer_token = app.token(&viewer, &["tenant-admin"]).await;
    for path in [
        "/api/v1/tenants/north",
        "/api/v1/tenants/north/installs",
        "/api/v1/tenants/north/members",
        "/api/v1/tenants/north/audit",
    ] {
        let (status, body) = app.api(Method::GET, path, Some(&viewer_token), None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    for (method, path, body) in [
        (
            Method::POST,
            "/api/v1/tenants/north/installs",
            json!({"app": "anything"}),
        ),
        (
            Method::POST,
            "/api/v1/tenants/north/keys",
            json!({"name": "EHR", "scopes": ["registrations:read"]}),
        ),
        (
            Method::POST,
            "/api/v1/tenants/north/members",
            json!({"email": "friend@example.org", "role": "admin"}),
        ),
        (
            Method::PUT,
            "/api/v1/tenants/north",
            json!({"name": "Mine now", "fhir_base_urls": []}),
        ),
    ] {
        let (status, body) = app.api(method, path, Some(&viewer_token), Some(body)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
    }

    // The only admin cannot be removed; a viewer and an invitation can.
    let (status, body) = app
        .api(
            Method::DELETE,
            "/api/v1/tenants/north/members/admin@north.example.org",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    for email in ["viewer@north.example.org", "new@north.example.org"] {
        let (status, body) = app
            .api(
                Method::DELETE,
                &format!("/api/v1/tenants/north/members/{email}"),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{email}: {body}");
    }
    let (_, members) = app
        .api(
            Method::GET,
            "/api/v1/tenants/north/members",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(
        members["items"],
        json!([{"email": "admin@north.example.org", "role": "admin", "status": "active"}])
    );
    // The removed viewer no longer finds the tenant.
    let (status, _) = app
        .api(
            Method::GET,
            "/api/v1/tenants/north",
            Some(&viewer_token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Every change is in the log, with who and from where.
    let (_, log) = app
        .api(
            Method::GET,
            "/api/v1/tenants/north/audit",
            Some(&admin),
            None,
        )
        .await;
    let entries = log["items"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in ["member.added", "member.invited", "member.removed"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    assert!(
        entries.iter().all(|e| e["origin"] == "127.0.0.1"),
        "{entries:?}"
    );
    assert_eq!(entries[0]["actor"], "admin@north.example.org");
}

#[tokio::test]
async fn the_tenants_key_with_installs_write_installs_for_its_ehr() {
    let app = spawn_app().await;
    let dev = app.developer("dev@example.org").await;
    let reviewer = app.reviewer("reviewer@example.org").await;
    app.publish(
        &dev,
        &reviewer,
        "labs",
        manifest("labs", "launch user/Observation.rs"),
    )
    .await;
    let admin = north(&app).await;
    let mut keys = Vec::new();
    for scope in ["installs:write", "registrations:read"] {
        let (status, body) = app
            .api(
                Method::POST,
                "/api/v1/tenants/north/keys",
                Some(&admin),
                Some(json!({"name": format!("EHR {scope}"), "scopes": [scope]})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        keys.push(body["key"].as_str().unwrap().to_owned());
    }
    let (installer, reader) = (&keys[0], &keys[1]);

    // A key without installs:write may not install.
    let (status, body) = app
        .api(
            Method::POST,
            "/api/v1/tenants/north/installs",
            Some(reader),
            Some(json!({"app": "labs"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, installed) = app
        .api(
            Method::POST,
            "/api/v1/tenants/north/installs",
            Some(installer),
            Some(json!({"app": "labs"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{installed}");
    let id = installed["id"].as_str().unwrap();
    let (status, body) = app
        .api(
            Method::POST,
            &format!("/api/v1/tenants/north/installs/{id}/suspend"),
            Some(installer),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "suspended");
    // Keys never manage keys, members or the webhook.
    for path in [
        "/api/v1/tenants/north/keys",
        "/api/v1/tenants/north/members",
    ] {
        let (status, body) = app.api(Method::GET, path, Some(installer), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}: {body}");
    }
    // The log names the key.
    let (_, log) = app
        .api(
            Method::GET,
            "/api/v1/tenants/north/audit",
            Some(&admin),
            None,
        )
        .await;
    let created = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "install.created")
        .unwrap();
    assert_eq!(created["actor"], "API key \"EHR installs:write\"");
}

#[tokio::test]
async fn fhir_base_urls_are_checked_and_kept() {
    let app = spawn_app().await;
    let admin = north(&app).await;
    let (status, body) = app
        .api(
            Method::PUT,
            "/api/v1/tenants/north",
            Some(&admin),
            Some(json!({"name": "North Health", "fhir_base_urls": ["https://fhir.north.example.org/r4", "ftp://nope"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "fhir_base_urls");
    assert!(
        body["message"].as_str().unwrap().contains("ftp://nope"),
        "{body}"
    );
    let (_, tenant) = app
        .api(Method::GET, "/api/v1/tenants/north", Some(&admin), None)
        .await;
    assert_eq!(tenant["fhir_base_urls"], json!([]));

    let (status, tenant) = app
        .api(
            Method::PUT,
            "/api/v1/tenants/north",
            Some(&admin),
            Some(json!({"name": "North Health System", "fhir_base_urls": ["https://fhir.north.example.org/r4/"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{tenant}");
    assert_eq!(tenant["name"], "North Health System");
    assert_eq!(
        tenant["fhir_base_urls"],
        json!(["https://fhir.north.example.org/r4"])
    );
}

#[tokio::test]
async fn the_operator_creates_a_tenant_with_its_fhir_servers() {
    let app = spawn_app().await;
    let err = app
        .engine
        .create_tenant_with_urls(
            "west",
            "West",
            "admin@west.example.org",
            "https://fhir.west.example.org/r4 ftp://nope",
        )
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("fhir_base_urls"));
    assert!(app.mails_to("admin@west.example.org").is_empty());
    let user = app
        .engine
        .create_verified_user("admin@west.example.org", PASSWORD, None)
        .await
        .unwrap();
    app.engine
        .create_tenant_with_urls(
            "west",
            "West",
            "admin@west.example.org",
            "https://fhir.west.example.org/r4/",
        )
        .await
        .unwrap();
    let tenant = app.engine.tenant(&user, "west").await.unwrap();
    assert_eq!(
        tenant.fhir_base_urls().unwrap()[0].as_str(),
        "https://fhir.west.example.org/r4"
    );
}

#[tokio::test]
async fn a_health_system_applies_and_an_admin_decides() {
    let app = spawn_app().await;
    app.engine
        .create_verified_user("cio@harbor.example.org", PASSWORD, None)
        .await
        .unwrap();
    app.engine
        .create_verified_user(
            "root@sidecar.test",
            PASSWORD,
            Some(domain::PlatformRole::Admin),
        )
        .await
        .unwrap();
    app.log_in("cio@harbor.example.org", PASSWORD).await;
    let refused = app
        .submit(
            "/account/tenant-applications",
            &[
                ("name", "Harbor Health"),
                ("slug", "harbor"),
                ("fhir_base_urls", ""),
                ("message", ""),
            ],
        )
        .await;
    refused.assert_contains("Give the base URL of at least one of your FHIR servers.");
    let applied = app
        .submit(
            "/account/tenant-applications",
            &[
                ("name", "Harbor Health"),
                ("slug", "harbor"),
                ("fhir_base_urls", "https://fhir.harbor.example.org/r4"),
                ("message", "Three hospitals, one Epic."),
            ],
        )
        .await;
    applied.assert_contains("is with the platform");
    applied.assert_contains("pending");

    let admin = app.other_browser();
    admin.log_in("root@sidecar.test", PASSWORD).await;
    let console = admin.get("/admin").await;
    console.assert_contains("Three hospitals, one Epic.");
    let pending = app
        .engine
        .pending_tenant_applications(&app.account("root@sidecar.test").await)
        .await
        .unwrap();
    let id = pending[0].id.clone();
    // Declining needs a reason.
    let declined = admin
        .submit(
            &format!("/admin/applications/{id}/reject"),
            &[("reason", "")],
        )
        .await;
    declined.assert_contains("Say why");
    let approved = admin
        .submit(&format!("/admin/applications/{id}/approve"), &[])
        .await;
    approved.assert_contains("Harbor Health is created; cio@harbor.example.org is its admin.");
    let again = admin
        .post_form(
            &format!("/admin/applications/{id}/reject"),
            &[("reason", "late")],
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let mail = app.wait_for_mail("cio@harbor.example.org", 1).await;
    assert!(mail.contains("/t/harbor/admin"), "{mail}");

    // The applicant runs the new tenant, with its FHIR server.
    let cio = app.account("cio@harbor.example.org").await;
    let tenant = app.engine.tenant(&cio, "harbor").await.unwrap();
    assert!(tenant.is_admin());
    assert_eq!(
        tenant.fhir_base_urls().unwrap()[0].as_str(),
        "https://fhir.harbor.example.org/r4"
    );
    // Anyone who is not a platform admin decides nothing.
    let err = app
        .engine
        .decide_tenant_application(&cio, &id, true, "")
        .await
        .unwrap_err();
    assert!(matches!(err, engine::EngineError::Forbidden(_)), "{err}");
}

/// Polls `path` on `app` with `key` until `done` holds (at most 3 s).
async fn eventually(
    app: &TestApp,
    path: &str,
    key: &str,
    done: impl Fn(StatusCode, &Value) -> bool,
) -> (StatusCode, Value) {
    let started = std::time::Instant::now();
    loop {
        let (status, body) = app.api(Method::GET, path, Some(key), None).await;
        if done(status, &body) || started.elapsed() > std::time::Duration::from_secs(3) {
            return (status, body);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn another_process_sees_registry_changes_and_revoked_keys_within_a_second() {
    let dir =
        std::env::temp_dir().join(format!("sidecar-shared-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = support::fresh_database_url(&dir).await;
    let options = support::Options {
        database_url: Some(url),
        ..Default::default()
    };
    let one = support::spawn_app_with(options.clone()).await;
    let other = support::spawn_app_with(options).await;
    let dev = one.developer("dev@example.org").await;
    let reviewer = one.reviewer("reviewer@example.org").await;
    one.publish(
        &dev,
        &reviewer,
        "labs",
        manifest("labs", "launch user/Observation.rs"),
    )
    .await;
    let admin = north(&one).await;
    let (_, installed) = one
        .api(
            Method::POST,
            "/api/v1/tenants/north/installs",
            Some(&admin),
            Some(json!({"app": "labs"})),
        )
        .await;
    let (_, key) = one
        .api(
            Method::POST,
            "/api/v1/tenants/north/keys",
            Some(&admin),
            Some(json!({"name": "EHR", "scopes": ["registrations:read"]})),
        )
        .await;
    let key = key["key"].as_str().unwrap().to_owned();

    // The other process answers (and keeps) the page…
    let (status, page) = other
        .api(Method::GET, "/api/v1/registrations", Some(&key), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["items"][0]["status"], "active");
    // …until a change made through the first one reaches it.
    let id = installed["id"].as_str().unwrap();
    let (status, _) = one
        .api(
            Method::POST,
            &format!("/api/v1/tenants/north/installs/{id}/suspend"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, page) = eventually(&other, "/api/v1/registrations", &key, |_, page| {
        page["items"][0]["status"] == "suspended"
    })
    .await;
    assert_eq!(page["items"][0]["status"], "suspended");

    // A key revoked in one process stops working in the other.
    let (_, keys) = one
        .api(
            Method::GET,
            "/api/v1/tenants/north/keys",
            Some(&admin),
            None,
        )
        .await;
    let key_id = keys["items"][0]["id"].as_str().unwrap();
    let (status, _) = one
        .api(
            Method::DELETE,
            &format!("/api/v1/tenants/north/keys/{key_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = eventually(&other, "/api/v1/registrations", &key, |status, _| {
        status == StatusCode::UNAUTHORIZED
    })
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}
