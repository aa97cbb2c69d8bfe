//! Provisioning installs into a tenant's own authorization server: against
//! real ones (oidc-provider and an Authlib server, behind a fault proxy for
//! the faults a network makes) the whole lifecycle of a client, and what
//! Sidecar does when the server is down, slow to answer, refusing, or loses
//! a client; without a server, the API's refusals.

mod faults;
mod hostile;
mod lifecycle;
mod moves;
mod replicas;

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::fault_proxy::FaultProxy;
use crate::support::peers::{Peer, PeerServer};
use crate::support::smtp::free_port;
use crate::support::{spawn_app_with, Options, TestApp};

pub(super) const IAT: &str = "iat-for-sidecar";

/// How many tenths of a second a wait lasts before it fails: long, since
/// the service tests all run at once beside their peers on two cores.
pub(super) const PATIENCE: usize = 300;

pub(super) struct World {
    pub(super) app: TestApp,
    pub(super) admin: String,
    pub(super) dev: String,
    pub(super) dev_account: engine::people::accounts::Account,
    pub(super) reviewer: engine::people::accounts::Account,
    pub(super) server_id: String,
}

pub(super) fn charts(redirects: &[&str]) -> Value {
    json!({
        "client_name": "Charts",
        "redirect_uris": redirects,
        "launch_url": "https://charts.example.org/launch",
        "scope": "launch openid patient/Observation.rs",
        "launch_types": ["ehr"],
        "fhir_versions": ["4.0.1"],
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code", "client_credentials"],
    })
}

/// A tenant `north` with `issuer` added as its default server, and the
/// app `charts` published.
pub(super) async fn world(issuer: &str) -> World {
    world_with(issuer, Options::default()).await
}

/// `world`, its app started with `options` (fetches to loopback allowed).
pub(super) async fn world_with(issuer: &str, options: Options) -> World {
    let app = spawn_app_with(Options {
        allow_private_fetch: true,
        ..options
    })
    .await;
    let admin = app.tenant_with_admin("north", "North Health").await;
    let dev_account = app.developer("dev@example.org").await;
    let dev = app.token(&dev_account, &["publisher"]).await;
    let reviewer = app.reviewer("reviewer@example.org").await;
    app.publish(
        &dev_account,
        &reviewer,
        "charts",
        charts(&["https://charts.example.org/cb"]),
    )
    .await;
    let (status, added) = app
        .api(
            Method::POST,
            "/api/v1/tenants/north/authorization-servers",
            Some(&admin),
            Some(
                json!({"name": "North IdP", "kind": "rfc7591", "issuer": issuer,
                        "initial_access_token": IAT, "default": true}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    World {
        server_id: added["id"].as_str().unwrap().to_owned(),
        app,
        admin,
        dev,
        dev_account,
        reviewer,
    }
}

impl World {
    pub(super) async fn install(&self) -> Value {
        let (status, install) = self
            .app
            .api(
                Method::POST,
                "/api/v1/tenants/north/installs",
                Some(&self.admin),
                Some(json!({"app": "charts"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{install}");
        assert_eq!(
            install["provisioning"]["authorization_server"],
            self.server_id.as_str()
        );
        install
    }

    /// Installs `charts` at the tenant's server `server`.
    pub(super) async fn install_at(&self, server: &str) -> Value {
        let (status, install) = self
            .app
            .api(
                Method::POST,
                "/api/v1/tenants/north/installs",
                Some(&self.admin),
                Some(json!({"app": "charts", "authorization_server": server})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{install}");
        install
    }

    pub(super) async fn get_install(&self, id: &str) -> Value {
        let (status, list) = self
            .app
            .api(
                Method::GET,
                "/api/v1/tenants/north/installs",
                Some(&self.admin),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .cloned()
            .unwrap()
    }

    /// Waits (on the real clock, the worker running) until the install's
    /// provisioning is `state`.
    pub(super) async fn until(&self, id: &str, state: &str) -> Value {
        for _ in 0..PATIENCE {
            let install = self.get_install(id).await;
            if install["provisioning"]["state"] == state {
                return install;
            }
            self.app.engine.wake_provisioning_worker();
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "provisioning never became {state}: {}",
            self.get_install(id).await
        );
    }

    /// Moves the engine's clock past the job's next attempt.
    pub(super) fn later(&self, seconds: i64) {
        self.app.clock.advance(chrono::Duration::seconds(seconds));
        self.app.engine.wake_provisioning_worker();
    }

    /// Waits (on the real clock, the worker running) until `done` holds.
    pub(super) async fn eventually<F, Fut>(&self, done: F)
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        for _ in 0..PATIENCE {
            if done().await {
                return;
            }
            self.app.engine.wake_provisioning_worker();
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("never came to pass");
    }

    pub(super) async fn post(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.app.api(Method::POST, path, Some(token), None).await
    }
}

/// The clients the server holds that Sidecar made for `charts`.
pub(super) async fn charts_clients(provider: &PeerServer) -> Vec<Value> {
    provider
        .clients()
        .await
        .into_iter()
        .filter(|c| {
            c["client_name"]
                .as_str()
                .unwrap_or("")
                .starts_with("Charts [sidecar ")
        })
        .collect()
}

/// `peer` behind a fault proxy: the proxy's origin is its issuer.
pub(super) async fn provider_behind_proxy(peer: Peer) -> (PeerServer, FaultProxy) {
    let port = free_port();
    let proxy = FaultProxy::start(&format!("http://127.0.0.1:{port}")).await;
    let provider = PeerServer::start_as(peer, Some(IAT), port, &proxy.origin).await;
    (provider, proxy)
}

pub(super) async fn client_credentials(issuer: &str, id: &str, secret: &str) -> StatusCode {
    reqwest::Client::new()
        .post(format!("{issuer}/token"))
        .basic_auth(id, Some(secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "patient/Observation.rs"),
        ])
        .send()
        .await
        .unwrap()
        .status()
}
