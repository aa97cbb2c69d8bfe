//! The server keeps answering when nobody reads its log output.
//!
//! A server started with its standard output on a pipe that is not read
//! (a supervisor that stopped reading, a terminal on hold) used to stop
//! answering altogether once the pipe filled: every worker thread sat in
//! `write(1, …)` for a request's log line, new connections included. This
//! test starts the real binary that way and sends ten pipes' worth of log
//! lines through it.

use std::process::Stdio;
use std::time::Duration;

/// Each request logs a line of 300 bytes or so; a Linux pipe holds 64 KiB.
const REQUESTS: usize = 2_500;
const CONCURRENCY: usize = 8;

#[tokio::test]
async fn the_server_answers_while_nobody_reads_its_log_output() {
    let dir = std::env::temp_dir().join(format!("sidecar-log-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = tokio::process::Command::new(env!("CARGO_BIN_EXE_sidecar"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SIDECAR_DATA_DIR", &dir)
        .env("SIDECAR_ADDR", format!("127.0.0.1:{port}"))
        .env("PUBLIC_URL", &base)
        .env("RUST_LOG", "info")
        // Both held open and never read.
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let healthz = format!("{base}/healthz");
    let mut up = false;
    for _ in 0..300 {
        if client.get(&healthz).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "the server did not start");

    let mut unanswered = Vec::new();
    for batch in (0..REQUESTS).collect::<Vec<_>>().chunks(CONCURRENCY) {
        let mut requests = tokio::task::JoinSet::new();
        for &i in batch {
            let request = client.get(format!("{base}/api/v1/catalog/apps?q=word{i}"));
            requests.spawn(async move { (i, request.send().await) });
        }
        while let Some(done) = requests.join_next().await {
            match done.unwrap() {
                (_, Ok(response)) if response.status().is_success() => {}
                (i, Ok(response)) => panic!("request {i} answered {}", response.status()),
                (i, Err(e)) => unanswered.push(format!("request {i}: {e}")),
            }
        }
        if !unanswered.is_empty() {
            break;
        }
    }
    assert!(
        unanswered.is_empty(),
        "the server stopped answering with its log pipe full: {unanswered:?}"
    );
    let health = client.get(&healthz).send().await;
    assert!(health.is_ok_and(|r| r.status().is_success()));

    server.kill().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
