//! Hand-offs: an install moved between servers (provisioned at the new
//! one, then removed from the old), and a manual server, where a tenant
//! admin enters the client by hand.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::peers::{Peer, PeerServer};
use crate::support::smtp::free_port;

use super::{charts_clients, world, IAT};

#[tokio::test]
#[ignore = "needs Node.js, tests/peers/oidc-provider and Python's authlib (scripts/test.sh runs it)"]
async fn oidc_provider_to_authlib_to_builtin_an_install_moves_and_leaves_nothing_behind() {
    let provider = PeerServer::start(Peer::OidcProvider, Some(IAT)).await;
    let authlib = PeerServer::start(Peer::Authlib, Some(IAT)).await;
    let w = world(&provider.issuer).await;
    let (status, second) = w
        .app
        .api(
            Method::POST,
            "/api/v1/tenants/north/authorization-servers",
            Some(&w.admin),
            Some(
                json!({"name": "Authlib", "kind": "rfc7591", "issuer": authlib.issuer,
                        "initial_access_token": IAT}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    let second = second["id"].as_str().unwrap().to_owned();
    let install = w.install().await;
    let id = install["id"].as_str().unwrap();
    w.until(id, "active").await;
    assert_eq!(charts_clients(&provider).await.len(), 1);

    // To the Authlib server: registered there, then removed from the first.
    let move_to = |to: &str| {
        let body = json!({ "authorization_server": to });
        let path = format!("/api/v1/tenants/north/installs/{id}/move");
        let app = &w.app;
        let admin = w.admin.clone();
        async move { app.api(Method::POST, &path, Some(&admin), Some(body)).await }
    };
    let (status, moved) = move_to(&second).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{moved}");
    assert_eq!(
        moved["provisioning"]["authorization_server"],
        second.as_str()
    );
    let active = w.until(id, "active").await;
    assert_eq!(active["provisioning"]["issuer"], authlib.issuer.as_str());
    assert_eq!(charts_clients(&authlib).await.len(), 1);
    w.eventually(|| async { charts_clients(&provider).await.is_empty() })
        .await;

    // To the built-in server: nothing to provision, and Authlib's client goes.
    let (status, moved) = move_to("builtin").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{moved}");
    assert!(moved.get("provisioning").is_none(), "{moved}");
    w.eventually(|| async { charts_clients(&authlib).await.is_empty() })
        .await;
    let (status, again) = move_to("builtin").await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");

    let audit = w.app.audit_log("north", &w.admin).await.to_string();
    assert!(audit.contains("install.moved"), "{audit}");
    assert!(audit.contains("provisioning.retired"), "{audit}");
    provider.stop().await;
    authlib.stop().await;
}

async fn handoff(w: &super::World, id: &str) -> (StatusCode, Value) {
    w.app
        .api(
            Method::GET,
            &format!("/api/v1/tenants/north/installs/{id}/provisioning/manual"),
            Some(&w.admin),
            None,
        )
        .await
}

async fn complete(w: &super::World, id: &str, body: Value) -> (StatusCode, Value) {
    w.app
        .api(
            Method::POST,
            &format!("/api/v1/tenants/north/installs/{id}/provisioning/manual"),
            Some(&w.admin),
            Some(body),
        )
        .await
}

#[tokio::test]
async fn at_a_manual_server_the_admin_enters_the_client_and_removes_it_by_hand() {
    // An EHR vendor's server with no registration API (and nothing at its
    // issuer that Sidecar reads).
    let issuer = format!("http://127.0.0.1:{}", free_port());
    let w = world(&issuer).await;
    let (status, manual) = w
        .app
        .api(
            Method::POST,
            "/api/v1/tenants/north/authorization-servers",
            Some(&w.admin),
            Some(json!({"name": "Vendor EHR", "kind": "manual",
                        "issuer": format!("http://127.0.0.1:{}", free_port()), "default": true})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{manual}");
    let install = w.install_at(manual["id"].as_str().unwrap()).await;
    let id = install["id"].as_str().unwrap();
    assert_eq!(
        install["provisioning"]["state"], "awaiting_manual",
        "{install}"
    );

    // What to enter there, as RFC 7591 JSON and as a table.
    let (status, shown) = handoff(&w, id).await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert_eq!(shown["action"], "register");
    assert_eq!(
        shown["registration"]["redirect_uris"],
        json!(["https://charts.example.org/cb"])
    );
    assert_eq!(
        shown["registration"]["scope"],
        "launch openid patient/Observation.rs"
    );
    let table = shown["table"].to_string();
    assert!(
        table.contains("Launch URL") && table.contains("https://charts.example.org/launch"),
        "{table}"
    );

    // Bad input changes nothing.
    for (body, field) in [
        (json!({}), "client_id"),
        (json!({"client_id": "   "}), "client_id"),
        (json!({"client_id": "x".repeat(256)}), "client_id"),
    ] {
        let (status, refused) = complete(&w, id, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        assert_eq!(refused["field"], field, "{refused}");
    }
    let (status, refused) = complete(&w, id, json!({"client_id": "a", "nonsense": 1})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(
        w.get_install(id).await["provisioning"]["state"],
        "awaiting_manual"
    );

    // Entered: active, with the vendor's client id in the registry, and
    // the secret waiting for the developer alone.
    let (status, done) = complete(
        &w,
        id,
        json!({"client_id": "vendor-123", "client_secret": "s3cret"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["provisioning"]["state"], "active", "{done}");
    assert_eq!(done["provisioning"]["client_id"], "vendor-123");
    assert_eq!(done["provisioning"]["secret_waiting"], true);
    let (status, refused) = w
        .app
        .api(
            Method::POST,
            &format!("/api/v1/tenants/north/installs/{id}/move"),
            Some(&w.admin),
            Some(json!({"authorization_server": "srv_nope"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["field"], "authorization_server", "{refused}");
    assert!(!done.to_string().contains("s3cret"), "{done}");
    let (status, again) = complete(&w, id, json!({"client_id": "vendor-123"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    let (status, secret) = w
        .post(
            "/api/v1/publisher/apps/charts/installs/north/server-secret",
            &w.dev,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{secret}");
    assert_eq!(secret["client_id"], "vendor-123");
    assert_eq!(secret["client_secret"], "s3cret");

    // Suspended: the admin is asked to remove it there, and says so.
    let (status, _) = w
        .post(
            &format!("/api/v1/tenants/north/installs/{id}/suspend"),
            &w.admin,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, shown) = handoff(&w, id).await;
    assert_eq!(shown["action"], "remove", "{shown}");
    assert_eq!(shown["client_id"], "vendor-123");
    let (status, removed) = complete(&w, id, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{removed}");
    assert_eq!(
        removed["provisioning"]["state"], "deprovisioned",
        "{removed}"
    );

    // An install at a server Sidecar provisions has no hand-off.
    let (status, _) = w
        .post(
            &format!("/api/v1/tenants/north/installs/{id}/provisioning/retry"),
            &w.admin,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let audit = w.app.audit_log("north", &w.admin).await.to_string();
    assert!(audit.contains("provisioning.entered_by_hand"), "{audit}");
    assert!(audit.contains("provisioning.removed_by_hand"), "{audit}");
}
