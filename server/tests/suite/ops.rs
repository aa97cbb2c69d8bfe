//! Operations endpoints and the command line.

use crate::support;

use std::process::Stdio;

use reqwest::StatusCode;
use support::spawn_app;
use tokio::io::AsyncWriteExt;

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let app = spawn_app().await;
    let health = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let ready = reqwest::get(app.url("/readyz")).await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    app.get("/login").await;
    let metrics = reqwest::get(app.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("http_requests_total"), "{metrics}");
    assert!(metrics.contains("route=\"/login\""), "{metrics}");

    // Every request counts, and a made-up method counts as OTHER (so that
    // such methods cannot grow the metrics without bound).
    let logins = |metrics: &str| -> u64 {
        metrics
            .lines()
            .find(|l| {
                l.starts_with("http_requests_total{")
                    && l.contains("method=\"GET\"")
                    && l.contains("route=\"/login\"")
                    && l.contains("status=\"200\"")
            })
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let before = logins(&metrics);
    app.get("/login").await;
    app.get("/login").await;
    reqwest::Client::new()
        .request(
            reqwest::Method::from_bytes(b"BREW").unwrap(),
            app.url("/healthz"),
        )
        .send()
        .await
        .unwrap();
    let metrics = reqwest::get(app.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(logins(&metrics), before + 2, "{metrics}");
    assert!(
        metrics.contains("method=\"OTHER\",route=\"/healthz\""),
        "{metrics}"
    );
    assert!(!metrics.contains("BREW"));
}

fn sidecar(data_dir: &std::path::Path, database_url: &str) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_sidecar"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SIDECAR_DATA_DIR", data_dir)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn");
    command
}

#[tokio::test]
async fn the_command_line_creates_users_tokens_and_tenants() {
    let dir = std::env::temp_dir().join(format!("sidecar-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = support::fresh_database_url(&dir).await;

    let migrate = sidecar(&dir, &db).arg("migrate").output().await.unwrap();
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );

    let mut child = sidecar(&dir, &db)
        .args([
            "user",
            "create",
            "--email",
            "Root@Example.org",
            "--role",
            "admin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"lantern orchard pivot\n")
        .await
        .unwrap();
    let created = child.wait_with_output().await.unwrap();
    assert!(created.status.success());
    assert!(String::from_utf8_lossy(&created.stdout).contains("root@example.org"));

    let token = sidecar(&dir, &db)
        .args([
            "token",
            "create",
            "--email",
            "root@example.org",
            "--scope",
            "review",
            "--scope",
            "publisher",
        ])
        .output()
        .await
        .unwrap();
    assert!(
        token.status.success(),
        "{}",
        String::from_utf8_lossy(&token.stderr)
    );
    let stdout = String::from_utf8(token.stdout).unwrap();
    let last = stdout.lines().last().unwrap();
    assert!(last.starts_with("sdc_pat_") && last.len() > 40, "{stdout}");

    let bad = sidecar(&dir, &db)
        .args([
            "token",
            "create",
            "--email",
            "root@example.org",
            "--scope",
            "root",
        ])
        .output()
        .await
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown scope `root`"));

    let tenant = sidecar(&dir, &db)
        .args([
            "tenant",
            "create",
            "--slug",
            "demo-health",
            "--name",
            "Demo Health",
            "--admin-email",
            "root@example.org",
        ])
        .output()
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&tenant.stdout).contains("root@example.org is its admin"));
    let again = sidecar(&dir, &db)
        .args([
            "tenant",
            "create",
            "--slug",
            "demo-health",
            "--name",
            "Demo Health",
            "--admin-email",
            "root@example.org",
        ])
        .output()
        .await
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));

    // Signing keys: rotated twice, each time to new ones.
    let mut kids = Vec::new();
    for _ in 0..2 {
        let rotated = sidecar(&dir, &db)
            .args(["keys", "rotate", "--tenant", "demo-health"])
            .output()
            .await
            .unwrap();
        assert!(
            rotated.status.success(),
            "{}",
            String::from_utf8_lossy(&rotated.stderr)
        );
        let stdout = String::from_utf8(rotated.stdout).unwrap();
        assert!(stdout.contains("signs with new keys"), "{stdout}");
        kids.push(stdout);
    }
    assert_ne!(kids[0], kids[1]);
    let unknown = sidecar(&dir, &db)
        .args(["keys", "rotate", "--tenant", "nowhere"])
        .output()
        .await
        .unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no tenant `nowhere`"));

    let weak = sidecar(&dir, &db)
        .args(["user", "create", "--email", "x@example.org"])
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("password"));
}

#[tokio::test]
async fn an_invalid_setting_stops_start_up_naming_the_variable() {
    let dir = std::env::temp_dir().join(format!("sidecar-cfg-{}", uuid::Uuid::new_v4().simple()));
    let out = sidecar(&dir, "sqlite::memory:")
        .env("PUBLIC_URL", "not a url")
        .arg("migrate")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("PUBLIC_URL"));
}

#[tokio::test]
async fn seed_demo_prints_one_login_per_role_and_can_run_twice() {
    let dir = std::env::temp_dir().join(format!("sidecar-seed-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = support::fresh_database_url(&dir).await;
    for _ in 0..2 {
        let out = sidecar(&dir, &db).arg("seed-demo").output().await.unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        for email in [
            "admin@sidecar.test",
            "reviewer@sidecar.test",
            "developer@sidecar.test",
            "tenant-admin@sidecar.test",
        ] {
            assert!(text.contains(email), "{text}");
        }
    }
}
