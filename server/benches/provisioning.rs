//! Provisioning under a burst: 1,000 installs approved at once into a real
//! oidc-provider (tests/peers/oidc-provider, dynamic registration behind an
//! initial access token), timed from the first approval until every
//! install is `active`; with `--down 30`, the server is not there for the
//! first 30 seconds and the backlog drains when it comes up. Afterwards the
//! server's clients are counted: exactly one per install.
//!
//! ```text
//! cargo bench -p server --bench provisioning -- [--database sqlite|postgres]
//!     [--installs 1000] [--down 0]
//! ```

mod support;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use engine::provisioning::ServerInput;
use engine::Engine;
use sea_orm::{ConnectionTrait, Statement};
use support::{Flags, People, Server};

const IAT: &str = "bench-initial-access-token";

/// The provider on `port`, once its metadata answers.
async fn provider(port: u16) -> Result<tokio::process::Child> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/oidc-provider");
    let child = tokio::process::Command::new("node")
        .current_dir(&dir)
        .args(["server.mjs", &port.to_string(), IAT])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("node (run `npm ci` in tests/peers/oidc-provider)")?;
    let metadata = format!("http://127.0.0.1:{port}/.well-known/openid-configuration");
    for _ in 0..100 {
        if reqwest::get(&metadata)
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(child);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("oidc-provider did not answer at {metadata}")
}

/// `apps` published apps and a tenant `north` whose default server is
/// `issuer`; the tenant's admin.
async fn seed(
    engine: &Engine,
    apps: usize,
    issuer: &str,
) -> Result<engine::people::accounts::Account> {
    let people = People::create(engine).await?;
    for a in 0..apps {
        let manifest = serde_json::json!({
            "client_name": format!("App {a}"),
            "redirect_uris": [format!("https://app{a}.example.com/cb")],
            "launch_url": format!("https://app{a}.example.com/launch"),
            "scope": "launch openid patient/Observation.rs",
            "token_endpoint_auth_method": "client_secret_basic",
            "launch_types": ["ehr"],
            "fhir_versions": ["4.0.1"],
        });
        people
            .publish(engine, &format!("app-{a}"), manifest)
            .await?;
    }
    let admin = people.admin;
    engine
        .create_tenant_as_operator("north", "North Health", People::ADMIN_EMAIL)
        .await?;
    let tenant = engine.tenant(&admin, "north").await?;
    engine
        .add_authorization_server(
            &tenant,
            ServerInput {
                name: "North IdP".into(),
                kind: "rfc7591".into(),
                issuer: issuer.into(),
                initial_access_token: Some(IAT.into()),
                default: Some(true),
            },
        )
        .await?;
    Ok(admin)
}

async fn active(engine: &Engine) -> Result<i64> {
    let db = engine.db();
    let row = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM provisionings WHERE state = 'active'",
        ))
        .await?
        .context("a count")?;
    Ok(row.try_get::<i64>("", "n")?)
}

#[tokio::main]
async fn main() -> Result<()> {
    let flags = Flags::parse(&[])?;
    let database: String = flags.get("database", "sqlite".to_owned())?;
    let installs: usize = flags.get("installs", 1000)?;
    let down: u64 = flags.get("down", 0)?;

    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let issuer = format!("http://127.0.0.1:{port}");
    let mut server =
        Server::start_provisioning(&database, &[("SIDECAR_ALLOW_PRIVATE_FETCH", "true")]).await?;
    let mut peer = if down == 0 {
        Some(provider(port).await?)
    } else {
        None
    };
    eprintln!("seeding {installs} apps…");
    let admin = seed(&server.engine, installs, &issuer).await?;
    server.serve()?;
    let tenant = server.engine.tenant(&admin, "north").await?;

    let started = Instant::now();
    for a in 0..installs {
        server
            .engine
            .install_app(&tenant, &format!("app-{a}"), None, None)
            .await?;
    }
    let approved = started.elapsed();
    eprintln!("{installs} installs approved in {approved:.1?}");
    let mut reachable_at = started;
    if down > 0 {
        tokio::time::sleep(Duration::from_secs(down).saturating_sub(started.elapsed())).await;
        reachable_at = Instant::now();
        peer = Some(provider(port).await?);
        eprintln!("the server is up after {:.1?}", started.elapsed());
    }
    loop {
        let n = active(&server.engine).await?;
        if n as usize >= installs {
            break;
        }
        if started.elapsed() > Duration::from_secs(down + 600) {
            bail!("only {n} of {installs} active after ten minutes");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let total = started.elapsed();
    let drain = reachable_at.elapsed();
    let clients: Vec<serde_json::Value> = reqwest::get(format!("{issuer}/test/clients"))
        .await?
        .json()
        .await?;
    println!(
        "{database}: {installs} installs, server down {down} s: all active {total:.1?} after the first approval, {drain:.1?} after the server was reachable ({:.0} jobs/s); {} clients at the server",
        installs as f64 / drain.as_secs_f64(),
        clients.len()
    );
    if clients.len() != installs {
        bail!(
            "{} clients at the server for {installs} installs",
            clients.len()
        );
    }
    drop(peer);
    server.finish().await
}
