//! `/readyz` follows the database: down while it is unreachable, up again
//! by itself once it answers. PostgreSQL only (the database is reached
//! through a TCP proxy the test can cut); run by `scripts/test.sh`.

use crate::support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// A loopback TCP proxy to PostgreSQL that can refuse and cut connections.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    cut: Arc<Notify>,
}

impl Proxy {
    async fn start(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let cut = Arc::new(Notify::new());
        let (up2, cut2) = (up.clone(), cut.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if !up2.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let target = target.clone();
                let cut = cut2.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.notified() => {}
                    }
                });
            }
        });
        Proxy { port, up, cut }
    }

    fn down(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.notify_waiters();
    }

    fn up(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

async fn ready(app: &support::TestApp) -> StatusCode {
    reqwest::get(app.url("/readyz")).await.unwrap().status()
}

#[tokio::test]
#[ignore = "needs PostgreSQL; scripts/test.sh runs it"]
async fn readiness_fails_while_the_database_is_unreachable_and_recovers() {
    std::env::set_var("SIDECAR_TEST_DATABASE", "postgres");
    let dir = std::env::temp_dir().join(format!("sidecar-ready-{}", uuid::Uuid::new_v4().simple()));
    let direct = support::fresh_database_url(&dir).await;
    let url = url::Url::parse(&direct).unwrap();
    let proxy = Proxy::start(format!(
        "{}:{}",
        url.host_str().unwrap(),
        url.port().unwrap_or(5432)
    ))
    .await;
    let mut proxied = url.clone();
    proxied.set_port(Some(proxy.port)).unwrap();

    let app = support::spawn_app_with(support::Options {
        database_url: Some(proxied.to_string()),
        ..Default::default()
    })
    .await;
    assert_eq!(ready(&app).await, StatusCode::OK);

    proxy.down();
    let mut saw_down = false;
    for _ in 0..50 {
        if ready(&app).await == StatusCode::SERVICE_UNAVAILABLE {
            saw_down = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        saw_down,
        "/readyz should fail while the database is unreachable"
    );
    let health = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(
        health.status(),
        StatusCode::OK,
        "the process itself is still up"
    );

    proxy.up();
    let mut recovered = false;
    for _ in 0..100 {
        if ready(&app).await == StatusCode::OK {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        recovered,
        "/readyz should recover by itself once the database answers"
    );
}
