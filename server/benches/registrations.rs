//! The EHR registry under load: 1,000 tenants with 50 installs each, and
//! `GET /api/v1/registrations` from concurrent keep-alive clients, each
//! with its tenant's API key; beside it, in the same process and run, a
//! bare axum handler answering a static JSON body of the same size.
//!
//! ```text
//! cargo bench -p server --bench registrations -- [--database postgres|sqlite]
//!     [--tenants 1000] [--apps 50] [--connections 64] [--seconds 15]
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::ConnectionTrait;

struct Args {
    database: String,
    tenants: usize,
    apps: usize,
    connections: usize,
    seconds: u64,
}

fn args() -> Args {
    let mut args = Args {
        database: "postgres".into(),
        tenants: 1000,
        apps: 50,
        connections: 64,
        seconds: 15,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().expect("a value after the flag");
        match flag.as_str() {
            "--database" => args.database = value(),
            "--tenants" => args.tenants = value().parse().expect("--tenants N"),
            "--apps" => args.apps = value().parse().expect("--apps N"),
            "--connections" => args.connections = value().parse().expect("--connections N"),
            "--seconds" => args.seconds = value().parse().expect("--seconds N"),
            "--bench" => {}
            other => panic!("unknown option {other}"),
        }
    }
    args
}

struct Run {
    requests: usize,
    elapsed: Duration,
    p50: Duration,
    p99: Duration,
}

impl Run {
    fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
}

/// Makes the i-th request of a client.
type MakeRequest = Arc<dyn Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync>;

/// `connections` clients for `seconds`, each sending what `request` makes
/// for its i-th request; every answer must have `expect` status.
async fn load(connections: usize, seconds: u64, expect: u16, request: MakeRequest) -> Run {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..connections)
        .map(|w| {
            let request = request.clone();
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .pool_max_idle_per_host(1)
                    .build()
                    .unwrap();
                let mut latencies = Vec::new();
                let mut i = w;
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    let response = request(&client, i).send().await.unwrap();
                    assert_eq!(response.status().as_u16(), expect);
                    response.bytes().await.unwrap();
                    latencies.push(sent.elapsed());
                    i += connections;
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.unwrap());
    }
    let elapsed = started.elapsed();
    all.sort();
    let at = |p: f64| all[((all.len() as f64 - 1.0) * p).round() as usize];
    Run {
        requests: all.len(),
        elapsed,
        p50: at(0.5),
        p99: at(0.99),
    }
}

#[tokio::main]
async fn main() {
    let args = args();
    let data_dir =
        std::env::temp_dir().join(format!("sidecar-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&data_dir).unwrap();
    let mut pg = None;
    let database_url = match args.database.as_str() {
        "postgres" => {
            let admin_url = std::env::var("SIDECAR_BENCH_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
            let name = format!("sidecar_bench_{}", uuid::Uuid::new_v4().simple());
            let admin = engine::db::connect(&admin_url).await.unwrap();
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            let (base, _) = admin_url.rsplit_once('/').unwrap();
            pg = Some((admin_url.clone(), name.clone()));
            format!("{base}/{name}")
        }
        "sqlite" => format!(
            "sqlite://{}?mode=rwc",
            data_dir.join("sidecar.db").display()
        ),
        other => panic!("--database is postgres or sqlite, not {other}"),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let values = BTreeMap::from([
        ("SIDECAR_ADDR".to_owned(), addr.to_string()),
        ("PUBLIC_URL".to_owned(), format!("http://{addr}")),
        (
            "SIDECAR_DATA_DIR".to_owned(),
            data_dir.display().to_string(),
        ),
        ("DATABASE_URL".to_owned(), database_url),
    ]);
    let config = server::config::Config::from_values(&values).unwrap();
    let leptos = leptos::prelude::LeptosOptions::builder()
        .output_name("sidecar")
        .site_root("target/site")
        .site_pkg_dir("pkg")
        .build();
    let sidecar = server::build(config, leptos, None).await.unwrap();
    let engine = sidecar.engine.clone();

    eprintln!(
        "seeding {} apps, {} tenants with {} installs each…",
        args.apps, args.tenants, args.apps
    );
    let started = Instant::now();
    let dev = engine
        .create_verified_user("bench-dev@sidecar.test", "bench password 1", None)
        .await
        .unwrap();
    let reviewer = engine
        .create_verified_user(
            "bench-reviewer@sidecar.test",
            "bench password 2",
            Some(domain::PlatformRole::Reviewer),
        )
        .await
        .unwrap();
    let admin = engine
        .create_verified_user("bench-admin@sidecar.test", "bench password 3", None)
        .await
        .unwrap();
    engine
        .create_publisher(&dev, "bench", "Bench Publisher")
        .await
        .unwrap();
    for a in 0..args.apps {
        let manifest = serde_json::from_value(serde_json::json!({
            "client_name": format!("App {a}"),
            "redirect_uris": [format!("https://app{a}.example.com/cb"), format!("https://app{a}.example.com/cb2")],
            "launch_url": format!("https://app{a}.example.com/launch"),
            "scope": "launch openid fhirUser user/Patient.rs user/Observation.rs user/Condition.rs",
            "token_endpoint_auth_method": "client_secret_basic",
            "launch_types": ["ehr"],
            "fhir_versions": ["4.0.1"],
        }))
        .unwrap();
        let slug = format!("app-{a}");
        engine
            .create_app(&dev, "bench", Some(&slug), manifest)
            .await
            .unwrap();
        let version = engine.submit_app(&dev, &slug).await.unwrap();
        engine
            .approve_submission(&reviewer, &version.id)
            .await
            .unwrap();
    }
    let mut keys = Vec::with_capacity(args.tenants);
    for t in 0..args.tenants {
        let tenant = format!("tenant-{t}");
        engine
            .create_tenant_as_operator(&tenant, &format!("Tenant {t}"), "bench-admin@sidecar.test")
            .await
            .unwrap();
        for a in 0..args.apps {
            engine
                .install_app(&admin, &tenant, &format!("app-{a}"), None)
                .await
                .unwrap();
        }
        let (_, key) = engine
            .create_tenant_key(&admin, &tenant, "EHR", &["registrations:read".to_owned()])
            .await
            .unwrap();
        keys.push(key);
        if (t + 1) % 100 == 0 {
            eprintln!("  {} tenants ({:.0?})", t + 1, started.elapsed());
        }
    }
    let router = sidecar.router;
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });

    // One tenant's page, for its size and ETag.
    let base = format!("http://{addr}");
    let probe = reqwest::Client::new()
        .get(format!("{base}/api/v1/registrations"))
        .bearer_auth(&keys[0])
        .send()
        .await
        .unwrap();
    let etags: Arc<Vec<String>> = {
        let mut etags = Vec::new();
        for key in &keys {
            let response = reqwest::Client::new()
                .get(format!("{base}/api/v1/registrations"))
                .bearer_auth(key)
                .send()
                .await
                .unwrap();
            etags.push(response.headers()["etag"].to_str().unwrap().to_owned());
        }
        Arc::new(etags)
    };
    let body = probe.bytes().await.unwrap();
    eprintln!("a tenant's page is {} bytes", body.len());

    // The bare handler: the same bytes, no work.
    let bare_body = body.clone();
    let bare = axum::Router::new().route(
        "/bare",
        axum::routing::get(move || {
            let body = bare_body.clone();
            async move { ([("content-type", "application/json")], body) }
        }),
    );
    let bare_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bare_addr = bare_listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(bare_listener, bare).await.unwrap() });

    let keys = Arc::new(keys);
    let n = keys.len();
    let (k1, k2) = (keys.clone(), keys.clone());
    let (b1, b2) = (base.clone(), base.clone());
    let e2 = etags.clone();
    eprintln!("warming up…");
    load(
        args.connections,
        3,
        200,
        Arc::new(move |c, i| {
            c.get(format!("{b1}/api/v1/registrations"))
                .bearer_auth(&k1[i % n])
        }),
    )
    .await;
    let (b0, k0) = (base.clone(), keys.clone());
    let full = load(
        args.connections,
        args.seconds,
        200,
        Arc::new(move |c, i| {
            c.get(format!("{b0}/api/v1/registrations"))
                .bearer_auth(&k0[i % n])
        }),
    )
    .await;
    let cached = load(
        args.connections,
        args.seconds,
        304,
        Arc::new(move |c, i| {
            c.get(format!("{b2}/api/v1/registrations"))
                .bearer_auth(&k2[i % n])
                .header("if-none-match", &e2[i % n])
        }),
    )
    .await;
    let bare = load(
        args.connections,
        args.seconds,
        200,
        Arc::new(move |c, _| c.get(format!("http://{bare_addr}/bare"))),
    )
    .await;
    println!(
        "registrations · {} · {} tenants × {} installs · {} connections · {} bytes a page",
        args.database,
        args.tenants,
        args.apps,
        args.connections,
        body.len()
    );
    for (name, run) in [
        ("GET /api/v1/registrations", &full),
        ("… with If-None-Match (304)", &cached),
        ("bare handler, same body", &bare),
    ] {
        println!(
            "  {name:30} {:7.0} requests/s · p50 {:6.2} ms · p99 {:6.2} ms ({:.0} % of bare)",
            run.rps(),
            run.p50.as_secs_f64() * 1e3,
            run.p99.as_secs_f64() * 1e3,
            100.0 * run.rps() / bare.rps()
        );
    }
    drop(engine);
    drop(sidecar.engine);
    if let Some((admin_url, name)) = pg {
        let admin = engine::db::connect(&admin_url).await.unwrap();
        let _ = admin
            .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .await;
    }
    let _ = std::fs::remove_dir_all(&data_dir);
}
