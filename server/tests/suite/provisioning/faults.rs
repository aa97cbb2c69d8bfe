//! What Sidecar does when a server is down, busy, loses an answer, refuses
//! a registration or loses a client; and the API's refusals.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::fault_proxy::Fault;
use crate::support::peers::Peer;
use crate::support::smtp::free_port;
use engine::Clock as _;

use super::{charts_clients, provider_behind_proxy, world, World};

#[tokio::test]
#[ignore = "needs Node.js and tests/peers/oidc-provider installed (scripts/test.sh runs it)"]
async fn oidc_provider_down_or_busy_during_an_install_ends_with_exactly_one_client() {
    let (provider, proxy) = provider_behind_proxy(Peer::OidcProvider).await;
    let w = world(&provider.issuer).await;

    // Busy: 503 with Retry-After, which is honoured.
    proxy.then(&[Fault::Status(503, Some(120))]);
    let install = w.install().await;
    let id = install["id"].as_str().unwrap();
    let retrying = w.until(id, "retrying").await;
    assert_eq!(retrying["provisioning"]["attempts"], 1);
    assert!(
        retrying["provisioning"]["last_error"]
            .as_str()
            .unwrap()
            .contains("503"),
        "{retrying}"
    );
    let next: chrono::DateTime<chrono::Utc> = retrying["provisioning"]["next_attempt_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        next - w.app.clock.now() >= chrono::Duration::seconds(119),
        "{retrying}"
    );
    w.later(121);
    w.until(id, "active").await;

    // Down during a second install, long enough for the backoff to grow.
    w.app
        .publish(
            &w.dev_account,
            &w.reviewer,
            "charts-two",
            json!({
        "client_name": "Charts", "redirect_uris": ["https://two.example.org/cb"],
        "launch_url": "https://two.example.org/launch", "scope": "launch patient/Observation.rs",
        "launch_types": ["ehr"], "fhir_versions": ["4.0.1"]}),
        )
        .await;
    proxy.go_down();
    let (status, second) = w
        .app
        .api(
            Method::POST,
            "/api/v1/tenants/north/installs",
            Some(&w.admin),
            Some(json!({"app": "charts-two"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    let second = second["id"].as_str().unwrap();
    w.until_attempts(second, 1).await;
    for attempt in 2..=9 {
        w.later(16 * 60);
        w.until_attempts(second, attempt).await;
    }
    let waiting = w.get_install(second).await;
    assert_eq!(
        waiting["provisioning"]["error_code"], "unreachable",
        "{waiting}"
    );

    // Back: the probe notices long before the backoff (minutes) is over.
    proxy.come_back().await;
    w.later(11);
    w.until(second, "active").await;
    assert_eq!(charts_clients(&provider).await.len(), 2);
    provider.stop().await;
}

#[tokio::test]
#[ignore = "needs Node.js and tests/peers/oidc-provider installed (scripts/test.sh runs it)"]
async fn oidc_provider_answer_lost_after_it_made_the_client_is_reported_not_silent() {
    let (provider, proxy) = provider_behind_proxy(Peer::OidcProvider).await;
    let w = world(&provider.issuer).await;
    proxy.then(&[Fault::LoseAnswer]);
    let install = w.install().await;
    let id = install["id"].as_str().unwrap();
    w.later(5);
    let active = w.until(id, "active").await;
    // The server made two clients; Sidecar uses one and names the other.
    let clients = charts_clients(&provider).await;
    assert_eq!(clients.len(), 2, "{clients:?}");
    let orphans = active["provisioning"]["possible_orphans"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(orphans.len(), 1, "{active}");
    let used = active["provisioning"]["client_id"].as_str().unwrap();
    let orphan = clients.iter().find(|c| c["client_id"] != used).unwrap();
    assert_eq!(orphan["client_name"], orphans[0]);
    let audit = w.app.audit_log("north", &w.admin).await.to_string();
    assert!(audit.contains("provisioning.possible_orphan"), "{audit}");
    provider.stop().await;
}

#[tokio::test]
#[ignore = "needs Node.js and tests/peers/oidc-provider installed (scripts/test.sh runs it)"]
async fn oidc_provider_refusing_a_scope_rejects_and_a_deleted_client_is_orphaned() {
    let (provider, _proxy) = provider_behind_proxy(Peer::OidcProvider).await;
    let w = world(&provider.issuer).await;
    // A scope the server does not list: refused for good, in its words.
    let manifest = json!({
        "client_name": "Labs",
        "redirect_uris": ["https://labs.example.org/cb"],
        "launch_url": "https://labs.example.org/launch",
        "scope": "launch patient/Condition.rs",
        "launch_types": ["ehr"],
        "fhir_versions": ["4.0.1"],
    });
    w.app
        .publish(&w.dev_account, &w.reviewer, "labs", manifest)
        .await;
    let (status, labs) = w
        .app
        .api(
            Method::POST,
            "/api/v1/tenants/north/installs",
            Some(&w.admin),
            Some(json!({"app": "labs"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{labs}");
    let labs_id = labs["id"].as_str().unwrap();
    let rejected = w.until(labs_id, "rejected").await;
    assert_eq!(
        rejected["provisioning"]["error_code"], "invalid_client_metadata",
        "{rejected}"
    );
    assert!(
        rejected["provisioning"]["last_error"]
            .as_str()
            .unwrap()
            .contains("scope"),
        "{rejected}"
    );

    // A client deleted at the server behind Sidecar's back: the drift
    // check finds it gone.
    let install = w.install().await;
    let id = install["id"].as_str().unwrap();
    let active = w.until(id, "active").await;
    let client = active["provisioning"]["client_id"].as_str().unwrap();
    let deleted = reqwest::Client::new()
        .delete(format!("{}/test/clients/{client}", provider.issuer))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    w.later(3601);
    let orphaned = w.until(id, "orphaned").await;
    assert!(
        orphaned["provisioning"]["last_error"]
            .as_str()
            .unwrap()
            .contains(client),
        "{orphaned}"
    );

    // "Retry now" registers it anew.
    let (status, body) = w
        .post(
            &format!("/api/v1/tenants/north/installs/{id}/provisioning/retry"),
            &w.admin,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let again = w.until(id, "active").await;
    assert_ne!(again["provisioning"]["client_id"], client);
    assert_eq!(charts_clients(&provider).await.len(), 1);
    provider.stop().await;
}

impl World {
    async fn until_attempts(&self, id: &str, attempts: i64) -> Value {
        for _ in 0..super::PATIENCE {
            let install = self.get_install(id).await;
            if install["provisioning"]["attempts"] == attempts {
                return install;
            }
            self.app.engine.wake_provisioning_worker();
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("never {attempts} attempts: {}", self.get_install(id).await);
    }
}

#[tokio::test]
async fn a_server_that_never_answers_is_retried_then_given_up_and_retried_on_request() {
    // Nothing listens there.
    let issuer = format!("http://127.0.0.1:{}", free_port());
    let w = world(&issuer).await;
    let install = w.install().await;
    let id = install["id"].as_str().unwrap();
    let first = w.until(id, "retrying").await;
    assert_eq!(first["provisioning"]["attempts"], 1);
    assert!(
        first["provisioning"]["next_attempt_at"].is_string(),
        "{first}"
    );
    for attempt in 2..=12 {
        w.later(16 * 60);
        if attempt < 12 {
            w.until_attempts(id, attempt).await;
        }
    }
    let failed = w.until(id, "failed").await;
    assert_eq!(failed["provisioning"]["attempts"], 12, "{failed}");

    // "Retry now" starts again; the server is still not there.
    let (status, body) = w
        .post(
            &format!("/api/v1/tenants/north/installs/{id}/provisioning/retry"),
            &w.admin,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    w.until_attempts(id, 1).await;

    // A server installs use is not removed.
    let (status, body) = w
        .app
        .api(
            Method::DELETE,
            &format!(
                "/api/v1/tenants/north/authorization-servers/{}",
                w.server_id
            ),
            Some(&w.admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
}

#[tokio::test]
async fn installs_name_a_server_of_their_tenant_or_get_the_default() {
    let issuer = format!("http://127.0.0.1:{}", free_port());
    let w = world(&issuer).await;
    for (server, status) in [
        (json!("srv_nope"), StatusCode::UNPROCESSABLE_ENTITY),
        (json!("builtin"), StatusCode::CREATED),
    ] {
        let (got, body) = w
            .app
            .api(
                Method::POST,
                "/api/v1/tenants/north/installs",
                Some(&w.admin),
                Some(json!({"app": "charts", "authorization_server": server})),
            )
            .await;
        assert_eq!(got, status, "{body}");
        if status == StatusCode::CREATED {
            // At the built-in server: no provisioning, and nothing to retry.
            assert!(body.get("provisioning").is_none(), "{body}");
            let (got, _) = w
                .post(
                    &format!(
                        "/api/v1/tenants/north/installs/{}/provisioning/retry",
                        body["id"].as_str().unwrap()
                    ),
                    &w.admin,
                )
                .await;
            assert_eq!(got, StatusCode::NOT_FOUND);
        } else {
            assert_eq!(body["field"], "authorization_server", "{body}");
        }
    }
}

#[tokio::test]
#[ignore = "needs Node.js and tests/peers/oidc-provider installed (scripts/test.sh runs it)"]
async fn oidc_provider_drift_is_put_back_and_ehrs_and_admins_are_told_of_a_lost_client() {
    let (provider, _proxy) = provider_behind_proxy(Peer::OidcProvider).await;
    let w = world(&provider.issuer).await;
    // The EHR's webhook (the delivery log shows what was sent to it).
    let hook = json!({ "url": format!("http://127.0.0.1:{}/hook", free_port()) });
    let (status, body) = w
        .app
        .api(
            Method::PUT,
            "/api/v1/tenants/north/webhook",
            Some(&w.admin),
            Some(hook),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let install = w.install().await;
    let id = install["id"].as_str().unwrap();
    let active = w.until(id, "active").await;
    let client = active["provisioning"]["client_id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Changed at the server: the next drift check puts it back.
    let changed = reqwest::Client::new()
        .patch(format!(
            "{}/test/clients/{client}?redirect_uri=https://elsewhere.example/cb",
            provider.issuer
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);
    w.later(3601);
    w.eventually(|| async {
        charts_clients(&provider).await[0]["redirect_uris"]
            == json!(["https://charts.example.org/cb"])
    })
    .await;
    let audit = w.app.audit_log("north", &w.admin).await.to_string();
    assert!(audit.contains("provisioning.drift_repaired"), "{audit}");
    assert!(audit.contains("redirect_uris"), "{audit}");

    // Deleted at the server: orphaned, and the EHR and the admins are told.
    reqwest::Client::new()
        .delete(format!("{}/test/clients/{client}", provider.issuer))
        .send()
        .await
        .unwrap();
    w.later(3601);
    w.until(id, "orphaned").await;
    let (_, webhook) = w
        .app
        .api(
            Method::GET,
            "/api/v1/tenants/north/webhook",
            Some(&w.admin),
            None,
        )
        .await;
    let events: Vec<&str> = webhook["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["event"].as_str().unwrap())
        .collect();
    assert!(events.contains(&"registration.provisioned"), "{events:?}");
    assert!(
        events.contains(&"registration.provisioning_failed"),
        "{events:?}"
    );
    let mail = w.app.wait_for_mail("admin@north.example.org", 1).await;
    assert!(
        mail.contains("orphaned") && mail.contains("North IdP"),
        "{mail}"
    );
    assert!(mail.contains(&client), "{mail}");

    // The queue and the calls show in /metrics.
    let metrics = reqwest::get(w.app.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for name in [
        "sidecar_provisioning_jobs{state=\"active\"}",
        "sidecar_provisioning_attempts_total{",
        "sidecar_provisioning_call_seconds",
    ] {
        assert!(metrics.contains(name), "{name} missing from {metrics}");
    }
    provider.stop().await;
}
