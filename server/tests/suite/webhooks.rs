//! Webhooks delivered to a receiver on loopback: signed, retried after a
//! failure, logged.

use crate::support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode as AxumStatus};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::{spawn_app_with, Options, TestApp, PASSWORD};

#[derive(Default)]
struct Receiver {
    /// Statuses to answer, in turn; 200 once they run out.
    answers: Vec<u16>,
    got: Vec<(HeaderMap, String)>,
}

async fn receiver(answers: Vec<u16>) -> (String, Arc<Mutex<Receiver>>) {
    let state = Arc::new(Mutex::new(Receiver {
        answers,
        got: Vec::new(),
    }));
    let shared = state.clone();
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let shared = shared.clone();
            async move {
                let mut r = shared.lock().unwrap();
                r.got.push((headers, body));
                let status = if r.answers.is_empty() {
                    200
                } else {
                    r.answers.remove(0)
                };
                AxumStatus::from_u16(status).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (format!("http://{addr}/hook"), state)
}

async fn wait_for(state: &Arc<Mutex<Receiver>>, n: usize) -> Vec<(HeaderMap, String)> {
    for _ in 0..100 {
        if state.lock().unwrap().got.len() >= n {
            return state.lock().unwrap().got.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the receiver got {} of {n} deliveries",
        state.lock().unwrap().got.len()
    );
}

async fn world(app: &TestApp) -> String {
    let dev = app.developer("dev@example.org").await;
    let reviewer = app.reviewer("reviewer@example.org").await;
    app.publish(
        &dev,
        &reviewer,
        "charts",
        json!({
            "client_name": "Charts",
            "redirect_uris": ["https://charts.example.org/cb"],
            "launch_url": "https://charts.example.org/launch",
            "scope": "launch openid patient/Observation.rs",
            "launch_types": ["ehr"],
            "fhir_versions": ["4.0.1"],
        }),
    )
    .await;
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
async fn registration_events_are_signed_retried_and_logged() {
    let app = spawn_app_with(Options {
        allow_private_fetch: true,
        ..Options::default()
    })
    .await;
    let admin = world(&app).await;
    let (url, received) = receiver(vec![500]).await;

    let (status, body) = app
        .api(
            Method::PUT,
            "/api/v1/tenants/north/webhook",
            Some(&admin),
            Some(json!({"url": "ftp://example.org/hook"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "url");
    let (status, set) = app
        .api(
            Method::PUT,
            "/api/v1/tenants/north/webhook",
            Some(&admin),
            Some(json!({"url": url})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{set}");
    let secret = set["secret"].as_str().unwrap().to_owned();

    let (_, installed) = app
        .api(
            Method::POST,
            "/api/v1/tenants/north/installs",
            Some(&admin),
            Some(json!({"app": "charts"})),
        )
        .await;
    // The first attempt fails (500) and is logged with its retry.
    wait_for(&received, 1).await;
    let (_, log) = app
        .api(
            Method::GET,
            "/api/v1/tenants/north/webhook",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(log["deliveries"][0]["attempts"], 1);
    assert_eq!(log["deliveries"][0]["last_status"], 500);
    assert_eq!(log["deliveries"][0]["delivered_at"], Value::Null);

    // Ten seconds later it is retried and delivered.
    app.clock.advance(chrono::Duration::seconds(11));
    app.engine.wake_webhook_worker();
    let got = wait_for(&received, 2).await;
    let (headers, body) = &got[1];
    assert_eq!(headers["sidecar-event"], "registration.created");
    let signature = headers["sidecar-signature"].to_str().unwrap();
    let (t, v1) = signature
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
        .unwrap();
    assert_eq!(
        v1,
        engine::tenancy::webhooks::signature(&secret, t.parse().unwrap(), body),
        "the signature is HMAC-SHA-256 of `t.body` under the secret"
    );
    let event: Value = serde_json::from_str(body).unwrap();
    assert_eq!(event["type"], "registration.created");
    assert_eq!(event["data"]["client_id"], installed["client_id"]);
    assert_eq!(
        event["data"]["scope"],
        "launch openid patient/Observation.rs"
    );
    for _ in 0..50 {
        let (_, log) = app
            .api(
                Method::GET,
                "/api/v1/tenants/north/webhook",
                Some(&admin),
                None,
            )
            .await;
        if log["deliveries"][0]["delivered_at"] != Value::Null {
            assert_eq!(log["deliveries"][0]["attempts"], 2);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Suspending sends its own event.
    let id = installed["id"].as_str().unwrap();
    app.api(
        Method::POST,
        &format!("/api/v1/tenants/north/installs/{id}/suspend"),
        Some(&admin),
        None,
    )
    .await;
    let got = wait_for(&received, 3).await;
    assert_eq!(got[2].0["sidecar-event"], "registration.suspended");

    // Setting the webhook again makes a new secret.
    let (_, again) = app
        .api(
            Method::PUT,
            "/api/v1/tenants/north/webhook",
            Some(&admin),
            Some(json!({"url": url})),
        )
        .await;
    assert_ne!(again["secret"], set["secret"]);
}

#[tokio::test]
async fn webhooks_to_private_addresses_fail_without_the_development_setting() {
    let app = support::spawn_app().await;
    let admin = world(&app).await;
    let (url, received) = receiver(vec![]).await;
    let (status, body) = app
        .api(
            Method::PUT,
            "/api/v1/tenants/north/webhook",
            Some(&admin),
            Some(json!({"url": url.replace("http://", "https://")})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.api(
        Method::POST,
        "/api/v1/tenants/north/installs",
        Some(&admin),
        Some(json!({"app": "charts"})),
    )
    .await;
    let mut error = Value::Null;
    for _ in 0..50 {
        let (_, log) = app
            .api(
                Method::GET,
                "/api/v1/tenants/north/webhook",
                Some(&admin),
                None,
            )
            .await;
        error = log["deliveries"][0]["last_error"].clone();
        if error != Value::Null {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        error.as_str().unwrap().contains("private, loopback"),
        "{error}"
    );
    assert!(received.lock().unwrap().got.is_empty());
}

#[tokio::test]
async fn workers_racing_for_an_event_post_it_once() {
    let app = spawn_app_with(Options {
        allow_private_fetch: true,
        ..Options::default()
    })
    .await;
    let admin = world(&app).await;
    let (url, received) = receiver(vec![]).await;
    app.api(
        Method::PUT,
        "/api/v1/tenants/north/webhook",
        Some(&admin),
        Some(json!({"url": url})),
    )
    .await;
    let (_, installed) = app
        .api(
            Method::POST,
            "/api/v1/tenants/north/installs",
            Some(&admin),
            Some(json!({"app": "charts"})),
        )
        .await;
    wait_for(&received, 1).await;
    let id = installed["id"].as_str().unwrap();
    app.api(
        Method::DELETE,
        &format!("/api/v1/tenants/north/installs/{id}"),
        Some(&admin),
        None,
    )
    .await;
    // The app's own worker and two more passes race for the one event.
    let (a, b) = tokio::join!(app.engine.deliver_webhooks(), app.engine.deliver_webhooks());
    a.unwrap();
    b.unwrap();
    wait_for(&received, 2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let revoked = received
        .lock()
        .unwrap()
        .got
        .iter()
        .filter(|(h, _)| h["sidecar-event"] == "registration.revoked")
        .count();
    assert_eq!(revoked, 1);
}
