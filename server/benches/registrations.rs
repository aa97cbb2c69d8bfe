//! The EHR registry under load: 1,000 tenants with 50 installs each, and
//! `GET /api/v1/registrations` from concurrent keep-alive clients, each
//! with its tenant's API key; beside it, in the same process and run, a
//! bare axum handler answering a static JSON body of the same size. The
//! three are measured in turns of three seconds, so that the machine's
//! other work falls on all three alike.
//!
//! ```text
//! cargo bench -p server --bench registrations -- [--database postgres|sqlite]
//!     [--tenants 1000] [--apps 50] [--connections 64] [--seconds 15]
//! ```

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use engine::Engine;
use support::{interleaved, load, Flags, MakeRequest, People, Run, Server};

/// 50 confidential apps, `tenants` tenants with every app installed and a
/// key each; the keys, in tenant order.
async fn seed(engine: &Engine, tenants: usize, apps: usize) -> Result<Vec<String>> {
    let started = Instant::now();
    let people = People::create(engine).await?;
    for a in 0..apps {
        let manifest = serde_json::json!({
            "client_name": format!("App {a}"),
            "redirect_uris": [format!("https://app{a}.example.com/cb"), format!("https://app{a}.example.com/cb2")],
            "launch_url": format!("https://app{a}.example.com/launch"),
            "scope": "launch openid fhirUser user/Patient.rs user/Observation.rs user/Condition.rs",
            "token_endpoint_auth_method": "client_secret_basic",
            "launch_types": ["ehr"],
            "fhir_versions": ["4.0.1"],
        });
        people
            .publish(engine, &format!("app-{a}"), manifest)
            .await?;
    }
    let admin = people.admin;
    let mut keys = Vec::with_capacity(tenants);
    for t in 0..tenants {
        let tenant = format!("tenant-{t}");
        engine
            .create_tenant_as_operator(&tenant, &format!("Tenant {t}"), People::ADMIN_EMAIL)
            .await?;
        let context = engine.tenant(&admin, &tenant).await?;
        for a in 0..apps {
            engine
                .install_app(&context, &format!("app-{a}"), None, None)
                .await?;
        }
        let (_, key) = engine
            .create_tenant_key(&context, "EHR", &["registrations:read".to_owned()])
            .await?;
        keys.push(key);
        if (t + 1) % 100 == 0 {
            eprintln!("  {} tenants ({:.0?})", t + 1, started.elapsed());
        }
    }
    Ok(keys)
}

#[tokio::main]
async fn main() -> Result<()> {
    let flags = Flags::parse(&[])?;
    let database: String = flags.get("database", "postgres".to_owned())?;
    let tenants: usize = flags.get("tenants", 1000)?;
    let apps: usize = flags.get("apps", 50)?;
    let connections: usize = flags.get("connections", 64)?;
    let seconds: u64 = flags.get("seconds", 15)?;

    let mut server = Server::start(&database).await?;
    eprintln!("seeding {apps} apps, {tenants} tenants with {apps} installs each…");
    let keys = Arc::new(seed(&server.engine, tenants, apps).await?);
    server.settle().await?;
    server.serve()?;
    let base = server.base.clone();

    // Each tenant's page once: its size and its ETag.
    let client = reqwest::Client::new();
    let mut etags = Vec::with_capacity(keys.len());
    let mut body = axum::body::Bytes::new();
    for key in keys.iter() {
        let response = client
            .get(format!("{base}/api/v1/registrations"))
            .bearer_auth(key)
            .send()
            .await?;
        let etag = response
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .context("a registrations page without an ETag")?
            .to_owned();
        etags.push(etag);
        body = response.bytes().await?;
    }
    let etags = Arc::new(etags);
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
    let bare_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let bare_addr = bare_listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(bare_listener, bare).await {
            eprintln!("the bare handler stopped: {e}");
        }
    });

    let n = keys.len();
    let page: MakeRequest = {
        let (base, keys) = (base.clone(), keys.clone());
        Arc::new(move |c, worker, i| {
            c.get(format!("{base}/api/v1/registrations"))
                .bearer_auth(&keys[(worker + i * connections) % n])
        })
    };
    let not_modified: MakeRequest = {
        let (base, keys, etags) = (base.clone(), keys.clone(), etags.clone());
        Arc::new(move |c, worker, i| {
            let t = (worker + i * connections) % n;
            c.get(format!("{base}/api/v1/registrations"))
                .bearer_auth(&keys[t])
                .header("if-none-match", &etags[t])
        })
    };
    let bare_request: MakeRequest =
        Arc::new(move |c, _, _| c.get(format!("http://{bare_addr}/bare")));
    let duration = Duration::from_secs(seconds);
    eprintln!("warming up…");
    load(connections, Duration::from_secs(3), 200, page.clone()).await?;
    let runs = interleaved(
        connections,
        duration,
        Duration::from_secs(3),
        &[(page, 200), (not_modified, 304), (bare_request, 200)],
    )
    .await?;
    let [full, cached, bare] =
        <[Run; 3]>::try_from(runs).map_err(|_| anyhow::anyhow!("three workloads, three runs"))?;
    println!(
        "registrations · {database} · {tenants} tenants × {apps} installs · {connections} connections · {} bytes a page",
        body.len()
    );
    let line = |name: &str, run: &Run| {
        println!(
            "  {name:30} {:7.0} requests/s · p50 {:6.2} ms · p99 {:6.2} ms ({:.0} % of bare)",
            run.rps(),
            run.ms(0.5),
            run.ms(0.99),
            100.0 * run.rps() / bare.rps()
        );
    };
    line("GET /api/v1/registrations", &full);
    line("… with If-None-Match (304)", &cached);
    line("bare handler, same body", &bare);
    server.finish().await
}
