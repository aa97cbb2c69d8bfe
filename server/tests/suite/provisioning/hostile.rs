//! A server that tries to send Sidecar elsewhere: a management URL on
//! another origin, or a redirect. Sidecar sends nothing there and says why.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::http::{header, StatusCode as AxumStatus};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::authorization_servers::{json_answer, metadata_server};

use super::world;

/// A loopback server that counts what reaches it (and answers 404).
async fn elsewhere() -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let origin = metadata_server(move |_| {
        counted.fetch_add(1, Ordering::SeqCst);
        HashMap::new()
    })
    .await;
    (origin, hits)
}

/// An authorization server whose registration endpoint answers `register`.
async fn server_answering(register: impl Fn(&str) -> Response + Send + Sync + 'static) -> String {
    metadata_server(move |origin| {
        HashMap::from([
            (
                "/.well-known/openid-configuration",
                json_answer(json!({
                    "issuer": origin,
                    "registration_endpoint": format!("{origin}/register"),
                    "token_endpoint": format!("{origin}/token"),
                    "scopes_supported": ["launch", "openid", "patient/Observation.rs"],
                })),
            ),
            ("/register", register(origin)),
        ])
    })
    .await
}

fn created(body: Value) -> Response {
    (
        AxumStatus::CREATED,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

#[tokio::test]
async fn a_management_url_on_another_origin_is_refused_and_never_called() {
    let (other, hits) = elsewhere().await;
    let issuer = server_answering(move |_| {
        created(json!({
            "client_id": "c-1",
            "client_secret": "s",
            "registration_client_uri": format!("{other}/register/c-1"),
            "registration_access_token": "rat",
        }))
    })
    .await;
    let w = world(&issuer).await;
    let install = w.install().await;
    let id = install["id"].as_str().unwrap();
    let failed = w.until(id, "failed").await;
    let error = failed["provisioning"]["last_error"].as_str().unwrap();
    assert!(error.contains("origin"), "{failed}");
    // Suspending needs the management URL, which Sidecar does not keep.
    let (status, _) = w
        .post(
            &format!("/api/v1/tenants/north/installs/{id}/suspend"),
            &w.admin,
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK);
    w.until(id, "failed").await;
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "a request reached the other origin"
    );
}

#[tokio::test]
async fn a_registration_endpoint_that_redirects_is_not_followed() {
    let (other, hits) = elsewhere().await;
    let issuer = server_answering(move |_| {
        (
            AxumStatus::TEMPORARY_REDIRECT,
            [(header::LOCATION, format!("{other}/register"))],
        )
            .into_response()
    })
    .await;
    let w = world(&issuer).await;
    let install = w.install().await;
    let id = install["id"].as_str().unwrap();
    let failed = w.until(id, "failed").await;
    let error = failed["provisioning"]["last_error"].as_str().unwrap();
    assert!(error.contains("redirect"), "{failed}");
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the redirect was followed");
}
