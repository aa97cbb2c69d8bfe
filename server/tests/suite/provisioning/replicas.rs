//! Real Sidecar processes working the provisioning queue: one killed
//! between the server's answer and its commit, and two replicas on one
//! PostgreSQL sharing the queue while one of them is killed (SIGKILL).
//! Each ends with every install active and every extra client at the
//! server reported, none silent.

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::process::{Child, Command};

use crate::support::peers::{Peer, PeerServer};
use crate::support::smtp::free_port;
use crate::support::{fresh_database_url, fresh_postgres_url, Options};

use super::{charts_clients, world_with, World, IAT};

const MASTER_KEY: &str = "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed";

fn scratch() -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("sidecar-replica-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A `sidecar serve` replica on `database_url`, with a short lease.
fn replica(data_dir: &Path, database_url: &str) -> Command {
    let port = free_port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_sidecar"));
    command
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SIDECAR_DATA_DIR", data_dir)
        .env("DATABASE_URL", database_url)
        .env("SIDECAR_ADDR", format!("127.0.0.1:{port}"))
        .env("PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("SIDECAR_MASTER_KEY", MASTER_KEY)
        .env("SIDECAR_ALLOW_PRIVATE_FETCH", "true")
        .env("SIDECAR_PROVISIONING_LEASE_SECONDS", "15")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    command
}

/// A world whose own process runs no provisioning worker: the replicas do.
async fn shared_world(issuer: &str, database_url: String) -> World {
    world_with(
        issuer,
        Options {
            database_url: Some(database_url),
            master_key: Some(MASTER_KEY.to_owned()),
            no_provisioning_worker: true,
            ..Options::default()
        },
    )
    .await
}

/// Every install of the tenant, once all are `active` (real time: replicas
/// run on the real clock).
async fn all_active(w: &World, within: Duration) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let (status, list) = w
            .app
            .api(
                Method::GET,
                "/api/v1/tenants/north/installs",
                Some(&w.admin),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let items = list["items"].as_array().unwrap().clone();
        if items.iter().all(|i| i["provisioning"]["state"] == "active") {
            return items;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not all active: {:?}",
            items
                .iter()
                .map(|i| i["provisioning"]["state"].clone())
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Every client at the server is an install's, or a reported orphan.
async fn none_silent(provider: &PeerServer, installs: &[Value]) {
    let clients = charts_clients(provider).await;
    let used: Vec<&str> = installs
        .iter()
        .map(|i| i["provisioning"]["client_id"].as_str().unwrap())
        .collect();
    let reported: Vec<&str> = installs
        .iter()
        .flat_map(|i| i["provisioning"]["possible_orphans"].as_array().unwrap())
        .map(|n| n.as_str().unwrap())
        .collect();
    for client in &clients {
        let id = client["client_id"].as_str().unwrap();
        let name = client["client_name"].as_str().unwrap();
        assert!(
            used.contains(&id) || reported.contains(&name),
            "a client nobody knows of: {client}"
        );
    }
    assert_eq!(
        clients.len(),
        installs.len() + reported.len(),
        "{clients:?}"
    );
}

#[tokio::test]
#[ignore = "needs Node.js and tests/peers/oidc-provider installed (scripts/test.sh runs it)"]
async fn oidc_provider_a_replica_killed_between_the_answer_and_the_commit_leaves_a_reported_orphan()
{
    let provider = PeerServer::start(Peer::OidcProvider, Some(IAT)).await;
    let dir = scratch();
    let db = fresh_database_url(&dir).await;
    let w = shared_world(&provider.issuer, db.clone()).await;
    w.install().await;

    // The server makes the client; the replica dies before recording it.
    let mut doomed = replica(&dir, &db)
        .env("SIDECAR_TEST_FAILPOINT", "provisioning-after-register")
        .spawn()
        .unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(60), doomed.wait())
        .await
        .expect("the failpoint ends the replica")
        .unwrap();
    assert!(!ended.success());
    assert_eq!(charts_clients(&provider).await.len(), 1);

    // Started again, it takes the job over when the lease runs out.
    let _again = replica(&dir, &db).spawn().unwrap();
    let installs = all_active(&w, Duration::from_secs(60)).await;
    assert_eq!(
        installs[0]["provisioning"]["possible_orphans"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    none_silent(&provider, &installs).await;
    provider.stop().await;
}

#[tokio::test]
#[ignore = "needs Node.js, tests/peers/oidc-provider and PostgreSQL (scripts/test.sh runs it)"]
async fn postgres_replicas_share_the_provisioning_queue_through_a_sigkill() {
    let provider = PeerServer::start(Peer::OidcProvider, Some(IAT)).await;
    let dir = scratch();
    let db = fresh_postgres_url().await;
    let w = shared_world(&provider.issuer, db.clone()).await;
    const APPS: usize = 40;
    for n in 0..APPS {
        let slug = format!("charts-{n}");
        let mut manifest = super::charts(&[&format!("https://{slug}.example.org/cb")]);
        manifest["launch_url"] = json!(format!("https://{slug}.example.org/launch"));
        w.app
            .publish(&w.dev_account, &w.reviewer, &slug, manifest)
            .await;
    }
    let mut first: Child = replica(&dir, &db).spawn().unwrap();
    let _second = replica(&dir, &db).spawn().unwrap();
    for n in 0..APPS {
        let (status, body) = w
            .app
            .api(
                Method::POST,
                "/api/v1/tenants/north/installs",
                Some(&w.admin),
                Some(json!({ "app": format!("charts-{n}") })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        if n == APPS / 2 {
            // Mid-way, with jobs in flight: SIGKILL, and a replacement.
            first.kill().await.unwrap();
        }
    }
    let _third = replica(&dir, &db).spawn().unwrap();
    let installs = all_active(&w, Duration::from_secs(120)).await;
    assert_eq!(installs.len(), APPS);
    none_silent(&provider, &installs).await;
    provider.stop().await;
}
