//! A tenant admin's authorization servers from the console, as forms: add
//! one, see what the connection test found, choose the default, remove it.

use crate::authorization_servers::{json_answer, metadata_server};
use crate::support;

use std::collections::HashMap;

use serde_json::json;
use support::{spawn_app_with, Options, TestApp, PASSWORD};

/// North's servers as the engine has them.
async fn north_servers(app: &TestApp) -> Vec<engine::provisioning::AuthorizationServer> {
    let admin = app.account("admin@north.example.org").await;
    let north = app.engine.tenant(&admin, "north").await.unwrap();
    app.engine.authorization_servers(&north).await.unwrap()
}

#[tokio::test]
async fn an_admin_adds_tests_defaults_and_removes_a_server_from_the_console() {
    let app = spawn_app_with(Options {
        allow_private_fetch: true,
        ..Options::default()
    })
    .await;
    app.engine
        .create_verified_user("admin@north.example.org", PASSWORD, None)
        .await
        .unwrap();
    app.engine
        .create_tenant_as_operator("north", "North Health", "admin@north.example.org")
        .await
        .unwrap();
    let origin = metadata_server(|origin| {
        HashMap::from([(
            "/.well-known/openid-configuration",
            json_answer(json!({
                "issuer": origin,
                "registration_endpoint": format!("{origin}/register"),
                "scopes_supported": ["openid"],
            })),
        )])
    })
    .await;
    app.log_in("admin@north.example.org", PASSWORD).await;

    let console = app.get("/t/north/admin").await;
    console.assert_contains("Authorization servers");
    console.assert_contains("Sidecar (built in)");

    // Refused with why, next to the field, and what was typed kept.
    let refused = app
        .submit(
            "/t/north/admin/authorization-servers",
            &[
                ("name", "Typo"),
                ("kind", "rfc7591"),
                ("issuer", "not a url"),
            ],
        )
        .await;
    refused.assert_contains("is not a URL");
    refused.assert_contains(r#"value="Typo""#);

    let added = app
        .submit(
            "/t/north/admin/authorization-servers",
            &[
                ("name", "North IdP"),
                ("kind", "rfc7591"),
                ("issuer", &origin),
                ("initial_access_token", "iat-1"),
            ],
        )
        .await;
    assert!(
        added.body.contains("Added \"North IdP\".")
            || added.body.contains("Added &quot;North IdP&quot;."),
        "no confirmation in: {}",
        added.body
    );
    added.assert_contains(r#"data-testid="server-North IdP""#);
    added.assert_contains(&origin);
    assert!(!added.body.contains("iat-1"));

    let id = north_servers(&app)
        .await
        .into_iter()
        .find(|s| s.name == "North IdP")
        .unwrap()
        .id;
    let checked = app
        .submit(
            &format!("/t/north/admin/authorization-servers/{id}/check"),
            &[],
        )
        .await;
    checked.assert_contains(&format!("Registrations go to {origin}/register."));

    let defaulted = app
        .submit(
            &format!("/t/north/admin/authorization-servers/{id}/default"),
            &[],
        )
        .await;
    defaulted.assert_contains("The default authorization server is changed.");
    let servers = north_servers(&app).await;
    assert!(servers.iter().any(|s| s.id == id && s.default));
    assert!(servers.iter().any(|s| s.id == "builtin" && !s.default));
    app.submit("/t/north/admin/authorization-servers/builtin/default", &[])
        .await
        .assert_contains("The default authorization server is changed.");
    let servers = north_servers(&app).await;
    assert!(servers.iter().any(|s| s.id == "builtin" && s.default));
    assert!(servers.iter().any(|s| s.id == id && !s.default));

    let removed = app
        .submit(
            &format!("/t/north/admin/authorization-servers/{id}/remove"),
            &[],
        )
        .await;
    removed.assert_contains("The authorization server is removed.");
    // Gone from the list (the audit log below still tells of it).
    assert!(!removed.body.contains(r#"data-testid="server-North IdP""#));
    removed.assert_contains("removed the authorization server");
}
