//! The whole life of an install's client at each real server, its
//! secret used there by openid-client.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::peers::{openid_client_token, Peer};

use super::{charts, charts_clients, client_credentials, provider_behind_proxy, world};

#[tokio::test]
#[ignore = "needs Node.js and tests/peers/oidc-provider installed (scripts/test.sh runs it)"]
async fn oidc_provider_holds_each_install_through_its_whole_lifecycle() {
    lifecycle(Peer::OidcProvider).await;
}

#[tokio::test]
#[ignore = "needs Python's authlib and flask (scripts/test.sh installs them)"]
async fn authlib_holds_each_install_through_its_whole_lifecycle() {
    lifecycle(Peer::Authlib).await;
}

/// Install, reveal and use the secret, update, suspend, resume, revoke:
/// each step checked at the server itself.
async fn lifecycle(peer: Peer) {
    let (provider, _proxy) = provider_behind_proxy(peer).await;
    let w = world(&provider.issuer).await;
    let install = w.install().await;
    let id = install["id"].as_str().unwrap();
    let active = w.until(id, "active").await;

    // The client exists at the server with what the tenant granted.
    let clients = charts_clients(&provider).await;
    assert_eq!(clients.len(), 1, "{clients:?}");
    let server_client = active["provisioning"]["client_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(clients[0]["client_id"], server_client.as_str());
    assert_eq!(
        clients[0]["redirect_uris"],
        json!(["https://charts.example.org/cb"])
    );
    assert_eq!(clients[0]["scope"], "launch openid patient/Observation.rs");
    assert_eq!(active["provisioning"]["secret_waiting"], true);

    // The developer reveals the server's secret once; it gets a token there.
    let reveal = "/api/v1/publisher/apps/charts/installs/north/server-secret";
    let (status, secret) = w.post(reveal, &w.dev).await;
    assert_eq!(status, StatusCode::OK, "{secret}");
    assert_eq!(secret["client_id"], server_client.as_str());
    let secret = secret["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(
        client_credentials(&provider.issuer, &server_client, &secret).await,
        StatusCode::OK
    );
    // So does a real client library, from the server's own metadata.
    let granted = openid_client_token(
        peer,
        &provider.issuer,
        &server_client,
        &secret,
        "patient/Observation.rs",
    )
    .await;
    assert_eq!(
        granted.as_deref(),
        Ok("patient/Observation.rs"),
        "{granted:?}"
    );
    let (status, again) = w.post(reveal, &w.dev).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{again}");
    // A tenant admin is not a developer of the app: no secrets.
    let (status, _) = w.post(reveal, &w.admin).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The registry shows the server's client id with its issuer, and
    // finds the install by either id.
    let (_, key) = w
        .app
        .api(
            Method::POST,
            "/api/v1/tenants/north/keys",
            Some(&w.admin),
            Some(json!({"name": "EHR", "scopes": ["registrations:read"]})),
        )
        .await;
    let key = key["key"].as_str().unwrap().to_owned();
    for lookup in [
        server_client.as_str(),
        install["client_id"].as_str().unwrap(),
    ] {
        let (status, reg) = w
            .app
            .api(
                Method::GET,
                &format!("/api/v1/registrations/{lookup}"),
                Some(&key),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{reg}");
        assert_eq!(reg["client_id"], server_client.as_str());
        assert_eq!(reg["issuer"], provider.issuer.as_str());
        assert_eq!(reg["authorization_server"]["provisioning_state"], "active");
    }

    // A new version with a new redirect URI, approved: the server has it
    // (through a token the server rotated on the first update).
    let manifest = charts(&[
        "https://charts.example.org/cb",
        "https://charts.example.org/cb2",
    ]);
    w.app
        .engine
        .update_draft(
            &w.dev_account,
            "charts",
            serde_json::from_value(manifest).unwrap(),
        )
        .await
        .unwrap();
    let version = w
        .app
        .engine
        .submit_app(&w.dev_account, "charts")
        .await
        .unwrap();
    w.app
        .engine
        .approve_submission(&w.reviewer, &version.id)
        .await
        .unwrap();
    let (status, body) = w
        .post(
            &format!("/api/v1/tenants/north/installs/{id}/update"),
            &w.admin,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    w.until(id, "active").await;
    for _ in 0..50 {
        if charts_clients(&provider).await[0]["redirect_uris"]
            .as_array()
            .unwrap()
            .len()
            == 2
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let clients = charts_clients(&provider).await;
    assert_eq!(clients.len(), 1);
    assert_eq!(
        clients[0]["redirect_uris"],
        json!([
            "https://charts.example.org/cb",
            "https://charts.example.org/cb2"
        ])
    );

    // Rotation: a new client is registered alongside (202); the old one
    // works through the grace period, then is deleted there.
    let (status, queued) = w
        .post(
            "/api/v1/publisher/apps/charts/installs/north/secret",
            &w.dev,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
    assert_eq!(queued["provisioning"]["state"], "pending", "{queued}");
    let rotated = w.until(id, "active").await;
    let old_client = server_client;
    let old_secret = secret;
    let server_client = rotated["provisioning"]["client_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(server_client, old_client);
    assert_eq!(charts_clients(&provider).await.len(), 2);
    let (status, fresh) = w.post(reveal, &w.dev).await;
    assert_eq!(status, StatusCode::OK, "{fresh}");
    let secret = fresh["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(
        client_credentials(&provider.issuer, &server_client, &secret).await,
        StatusCode::OK
    );
    assert_eq!(
        client_credentials(&provider.issuer, &old_client, &old_secret).await,
        StatusCode::OK
    );
    let grace = queued["previous_valid_for_seconds"].as_i64().unwrap();
    w.later(grace + 1);
    w.eventually(|| async {
        let left = charts_clients(&provider).await;
        left.len() == 1 && left[0]["client_id"] == server_client.as_str()
    })
    .await;
    assert_ne!(
        client_credentials(&provider.issuer, &old_client, &old_secret).await,
        StatusCode::OK
    );

    // Suspended: the client is removed, so the server issues nothing.
    let (status, _) = w
        .post(
            &format!("/api/v1/tenants/north/installs/{id}/suspend"),
            &w.admin,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    w.until(id, "deprovisioned").await;
    assert!(charts_clients(&provider).await.is_empty());
    assert_ne!(
        client_credentials(&provider.issuer, &server_client, &secret).await,
        StatusCode::OK
    );

    // Resumed: registered anew, under a new client id.
    let (status, _) = w
        .post(
            &format!("/api/v1/tenants/north/installs/{id}/resume"),
            &w.admin,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let resumed = w.until(id, "active").await;
    assert_ne!(resumed["provisioning"]["client_id"], server_client.as_str());
    assert_eq!(charts_clients(&provider).await.len(), 1);

    // Revoked: gone from the server.
    let (status, _) = w
        .app
        .api(
            Method::DELETE,
            &format!("/api/v1/tenants/north/installs/{id}"),
            Some(&w.admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    w.until(id, "deprovisioned").await;
    assert!(charts_clients(&provider).await.is_empty());

    // The trail: registered, deprovisioned, registered, deprovisioned.
    let audit = w.app.audit_log("north", &w.admin).await.to_string();
    assert!(audit.contains("provisioning.registered"), "{audit}");
    assert!(audit.contains("provisioning.deprovisioned"), "{audit}");
    provider.stop().await;
}
