//! The tenant console and the approval screen, as forms: install with
//! narrowed scopes, manage the install, make an API key; the developer
//! takes a new secret from the console.

use crate::support;

use reqwest::StatusCode;
use serde_json::json;
use support::{spawn_app, TestApp, PASSWORD};

/// `acme` publishes `watch` (confidential, asks for `user/*.rs`); `north`
/// has admin@north.example.org.
async fn world(app: &TestApp) {
    let dev = app.developer("dev@example.org").await;
    let reviewer = app.reviewer("reviewer@example.org").await;
    app.publish(
        &dev,
        &reviewer,
        "watch",
        json!({
            "client_name": "Sepsis Watch",
            "redirect_uris": ["https://watch.example.org/cb"],
            "launch_url": "https://watch.example.org/launch",
            "scope": "launch openid user/Patient.rs user/*.rs",
            "token_endpoint_auth_method": "client_secret_basic",
            "launch_types": ["ehr"],
            "fhir_versions": ["4.0.1"],
        }),
    )
    .await;
    app.engine
        .create_verified_user("admin@north.example.org", PASSWORD, None)
        .await
        .unwrap();
    app.engine
        .create_tenant_as_operator("north", "North Health", "admin@north.example.org")
        .await
        .unwrap();
}

async fn north_admin(app: &TestApp) -> engine::people::accounts::Account {
    app.account("admin@north.example.org").await
}

async fn north(
    app: &TestApp,
    admin: &engine::people::accounts::Account,
) -> engine::tenancy::Tenant {
    app.engine.tenant(admin, "north").await.unwrap()
}

#[tokio::test]
async fn an_admin_approves_an_install_with_less_than_asked() {
    let app = spawn_app().await;
    world(&app).await;
    app.log_in("admin@north.example.org", PASSWORD).await;
    let gallery = app.get("/apps/watch").await;
    gallery.assert_contains(r#"href="/t/north/admin/install/watch""#);
    let screen = app.get("/t/north/admin/install/watch").await;
    screen.assert_contains("Install Sepsis Watch in North Health");
    screen.assert_contains("Only these resource types");

    // Nothing ticked: refused, nothing installed.
    let refused = app
        .submit("/t/north/admin/installs", &[("app", "watch")])
        .await;
    refused.assert_contains("Grant at least one scope");
    // A narrowing to something that is no resource type: refused on the screen.
    let refused = app
        .submit(
            "/t/north/admin/installs",
            &[
                ("app", "watch"),
                ("scope", "user/*.rs"),
                ("narrow:user/*.rs", "Nothing"),
            ],
        )
        .await;
    refused.assert_contains("Nothing");
    refused.assert_contains("field-error");

    // `launch` and `user/*.rs` narrowed to two types; `openid` and
    // `user/Patient.rs` left out.
    let console = app
        .submit(
            "/t/north/admin/installs",
            &[
                ("app", "watch"),
                ("scope", "launch"),
                ("scope", "user/*.rs"),
                ("narrow:user/*.rs", "Observation, Condition"),
            ],
        )
        .await;
    console.assert_contains("Sepsis Watch is installed with 3 scope(s)");
    console.assert_contains("user/Observation.rs");
    console.assert_contains("user/Condition.rs");
    let admin = north_admin(&app).await;
    let installs = app
        .engine
        .list_installs(&north(&app, &admin).await)
        .await
        .unwrap();
    assert_eq!(
        installs[0].granted_scope.to_string(),
        "launch user/Observation.rs user/Condition.rs"
    );

    // A revoked install cannot be suspended.
    app.engine
        .change_install(
            &north(&app, &admin).await,
            &installs[0].id,
            engine::tenancy::installs::InstallAction::Revoke,
        )
        .await
        .unwrap();

    let suspended = app
        .submit(
            &format!("/t/north/admin/installs/{}/suspend", installs[0].id),
            &[],
        )
        .await;
    suspended.assert_contains("cannot be changed that way");

    // A key is shown once.
    let keyed = app
        .submit(
            "/t/north/admin/keys",
            &[("name", "EHR"), ("scopes", "registrations:read")],
        )
        .await;
    keyed.assert_contains("sdc_key_");
    let again = app.get("/t/north/admin").await;
    assert!(!again.body.contains("sdc_key_"));
    again.assert_contains("EHR");
    let bad = app
        .submit(
            "/t/north/admin/keys",
            &[("name", "EHR 2"), ("scopes", "publisher")],
        )
        .await;
    bad.assert_contains("personal access tokens");

    // A webhook: a bad URL stays on the field; a good one shows its secret once.
    let bad = app
        .submit("/t/north/admin/webhook", &[("url", "not a url")])
        .await;
    bad.assert_contains(r#"id="field-url-error""#);
    let saved = app
        .submit(
            "/t/north/admin/webhook",
            &[("url", "https://ehr.north.example.org/hooks")],
        )
        .await;
    saved.assert_contains("The signing secret.");
    saved.assert_contains(r#"value="https://ehr.north.example.org/hooks""#);
    assert!(!app
        .get("/t/north/admin")
        .await
        .body
        .contains("The signing secret."));

    // The audit log: on the console, and whole as CSV.
    let console = app.get("/t/north/admin").await;
    console.assert_contains("installed watch (version 1)");
    console.assert_contains(r#"created the API key "EHR""#);
    let csv = app.get("/t/north/admin/audit.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(
        lines[0],
        "at,actor,origin,action,target_type,target_id,detail"
    );
    // Changes asked over HTTP name the client's address.
    assert!(lines
        .iter()
        .any(|l| l.contains("admin@north.example.org,127.0.0.1,install.created,")));
    for action in ["install.created", "install.revoked", "key.created"] {
        assert!(
            lines
                .iter()
                .any(|l| l.contains("admin@north.example.org,")
                    && l.contains(&format!(",{action},"))),
            "{action} missing from {lines:?}"
        );
    }
}

#[tokio::test]
async fn the_developer_takes_a_secret_and_strangers_see_no_console() {
    let app = spawn_app().await;
    world(&app).await;
    let admin = north_admin(&app).await;
    let install = app
        .engine
        .install_app(&north(&app, &admin).await, "watch", None, None)
        .await
        .unwrap();

    app.log_in("dev@example.org", PASSWORD).await;
    assert_eq!(
        app.get("/t/north/admin").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/t/north/admin/install/watch").await.status,
        StatusCode::NOT_FOUND
    );
    let page = app.get("/dev/apps/watch").await;
    page.assert_contains(&install.client_id);
    let revealed = app
        .submit("/dev/apps/watch/installs/north/secret", &[])
        .await;
    revealed.assert_contains("The new client secret");
    let secret = revealed
        .body
        .split(r#"data-testid="new-secret" class="token-value">"#)
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_owned();
    assert!(app
        .engine
        .verify_client_secret(&install.client_id, &secret)
        .await
        .unwrap());
    let later = app.get("/dev/apps/watch").await;
    assert!(!later.body.contains(&secret));
    assert_eq!(
        app.get("/t/north/admin/audit.csv").await.status,
        StatusCode::NOT_FOUND
    );
    // The developer cannot act in the tenant.
    let posted = app
        .post_form(
            &format!("/t/north/admin/installs/{}/revoke", install.id),
            &[],
        )
        .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER);
    let installs = app
        .engine
        .list_installs(&north(&app, &admin).await)
        .await
        .unwrap();
    assert_eq!(installs[0].state, "active");
}

#[tokio::test]
async fn platform_admins_create_tenants_and_nobody_else_does() {
    let app = spawn_app().await;
    app.engine
        .create_verified_user(
            "root@example.org",
            PASSWORD,
            Some(domain::PlatformRole::Admin),
        )
        .await
        .unwrap();
    app.engine
        .create_verified_user("someone@example.org", PASSWORD, None)
        .await
        .unwrap();
    app.log_in("root@example.org", PASSWORD).await;
    app.get("/admin").await.assert_contains("Create a tenant");
    let bad = app
        .submit(
            "/admin/tenants",
            &[
                ("name", "East"),
                ("slug", "East!"),
                ("admin_email", "someone@example.org"),
            ],
        )
        .await;
    bad.assert_contains(r#"id="field-slug-error""#);
    bad.assert_contains(r#"value="East""#);
    let made = app
        .submit(
            "/admin/tenants",
            &[
                ("name", "East Health"),
                ("slug", "east"),
                ("admin_email", "someone@example.org"),
            ],
        )
        .await;
    made.assert_contains("East Health is created; someone@example.org is its admin.");
    made.assert_contains("<code>east");
    let invited = app
        .submit(
            "/admin/tenants",
            &[
                ("name", "West Health"),
                ("slug", "west"),
                ("admin_email", "new@example.org"),
            ],
        )
        .await;
    invited.assert_contains("new@example.org is invited");
    app.wait_for_mail("new@example.org", 1).await;

    let other = app.other_browser();
    other.log_in("someone@example.org", PASSWORD).await;
    other
        .get("/admin")
        .await
        .assert_contains("For the platform's admins");
    other
        .submit(
            "/admin/tenants",
            &[
                ("name", "Mine"),
                ("slug", "mine"),
                ("admin_email", "someone@example.org"),
            ],
        )
        .await
        .assert_contains("Only the platform's admins manage tenants.");
    // The new tenant's admin has its console.
    other
        .get("/t/east/admin")
        .await
        .assert_contains("East Health");
}

#[tokio::test]
async fn admins_add_and_remove_end_users_on_the_console() {
    let app = spawn_app().await;
    world(&app).await;
    app.log_in("admin@north.example.org", PASSWORD).await;
    app.get("/t/north/admin").await.assert_contains("End users");

    // A bad fhirUser stays on its field, the form refilled but for the password.
    let secret = "violet harbour lantern";
    let refused = app
        .submit(
            "/t/north/admin/users",
            &[
                ("username", "dr.chen"),
                ("password", secret),
                ("fhir_user", "Doctor/1"),
            ],
        )
        .await;
    refused.assert_contains(r#"id="field-fhir_user-error""#);
    refused.assert_contains(r#"value="dr.chen""#);
    assert!(!refused.body.contains(secret));

    let added = app
        .submit(
            "/t/north/admin/users",
            &[
                ("username", "dr.chen"),
                ("password", secret),
                ("fhir_user", "Practitioner/123"),
            ],
        )
        .await;
    added.assert_contains("dr.chen can now log in as Practitioner/123.");
    added.assert_contains("<td><code>Practitioner/123");
    assert!(!added.body.contains(secret));

    let admin = north_admin(&app).await;
    let tenant = north(&app, &admin).await;
    let users = app.engine.tenant_users(&tenant).await.unwrap();
    assert_eq!(users.len(), 1);
    let removed = app
        .submit("/t/north/admin/users/remove", &[("id", &users[0].id)])
        .await;
    removed.assert_contains("The user is removed.");
    removed.assert_contains("added the end user dr.chen");
    assert!(app.engine.tenant_users(&tenant).await.unwrap().is_empty());
}
