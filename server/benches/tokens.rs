//! Token endpoint and introspection under load, beside oidc-provider 8
//! configured for the same work, on the same machine in the same run:
//!
//! (a) `client_credentials` with a `private_key_jwt` assertion (RS384 by
//!     default, SMART Backend Services' usual choice; or ES384) and
//!     a JWT access token (ES256);
//! (b) introspection of an access token.
//!
//! ```text
//! cargo bench -p server --bench tokens -- [--database postgres] [--alg RS384|ES384]
//!     [--connections 32] [--seconds 10] [--assertions 150000]
//! ```
//!
//! Each token request carries a new assertion (both servers refuse a
//! replay), made before the load starts. oidc-provider runs as one Node.js
//! process (its packages are installed into `benches/oidc-provider` on
//! first run); it does not keep JWT access tokens and so cannot introspect
//! them, so its introspection is measured on an opaque token.

mod support;

use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use support::{load, Flags, MakeRequest, Run, Server};

const ES384_PEM: &str = include_str!("../tests/suite/fixtures/backend-es384.pem");
const RS384_PEM: &str = include_str!("../tests/suite/fixtures/backend-rs384.pem");
const JWKS: &str = include_str!("../tests/suite/fixtures/backend-jwks.json");
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const SCOPE: &str = "system/Patient.rs";

/// `count` assertions for `client_id` at `aud` (`jti`s starting with
/// `batch`), made on every core.
fn assertions(
    alg: Algorithm,
    batch: &str,
    client_id: &str,
    aud: &str,
    count: usize,
) -> Result<Arc<Vec<String>>> {
    let (key, kid) = match alg {
        Algorithm::ES384 => (
            EncodingKey::from_ec_pem(ES384_PEM.as_bytes())?,
            "es384-test",
        ),
        _ => (
            EncodingKey::from_rsa_pem(RS384_PEM.as_bytes())?,
            "rs384-test",
        ),
    };
    let mut header = Header::new(alg);
    header.kid = Some(kid.into());
    let threads = cores();
    let exp = chrono::Utc::now().timestamp() + 290;
    let made: Vec<Vec<String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (key, header) = (&key, &header);
                scope.spawn(move || {
                    (t..count)
                        .step_by(threads)
                        .map(|i| {
                            let claims = json!({
                                "iss": client_id, "sub": client_id, "aud": aud,
                                "exp": exp, "jti": format!("{batch}-{i}"),
                            });
                            jsonwebtoken::encode(header, &claims, key)
                        })
                        .collect::<Result<Vec<_>, _>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .map_err(|_| anyhow::anyhow!("a signing thread panicked"))?
                    .map_err(Into::into)
            })
            .collect::<Result<Vec<_>>>()
    })?;
    Ok(Arc::new(made.into_iter().flatten().collect()))
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Token requests, each with the next unused assertion; the form bodies
/// are encoded before the load, so that the clients spend their share of
/// the cores on sending, not on encoding.
fn token_requests(url: String, pool: Arc<Vec<String>>, connections: usize) -> MakeRequest {
    let bodies: Arc<Vec<axum::body::Bytes>> = Arc::new(
        pool.iter()
            .map(|assertion| {
                let body = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("grant_type", "client_credentials")
                    .append_pair("scope", SCOPE)
                    .append_pair("client_assertion_type", ASSERTION_TYPE)
                    .append_pair("client_assertion", assertion)
                    .finish();
                axum::body::Bytes::from(body)
            })
            .collect(),
    );
    Arc::new(move |client, worker, i| {
        let body = &bodies[(worker + i * connections) % bodies.len()];
        client
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.clone())
    })
}

/// A tenant `north` with the backend service `cohort` installed; its
/// client id and a tenant key with `introspect`.
async fn seed(engine: &engine::Engine) -> Result<(String, String)> {
    let password = "lantern orchard pivot";
    let dev = engine
        .create_verified_user("dev@example.org", password, None)
        .await?;
    let reviewer = engine
        .create_verified_user(
            "reviewer@example.org",
            password,
            Some(domain::PlatformRole::Reviewer),
        )
        .await?;
    engine.create_publisher(&dev, "acme", "Acme").await?;
    let manifest = serde_json::from_value(json!({
        "client_name": "Cohort Export",
        "scope": SCOPE,
        "token_endpoint_auth_method": "private_key_jwt",
        "grant_types": ["client_credentials"],
        "jwks": serde_json::from_str::<Value>(JWKS)?,
        "launch_types": ["backend"],
        "fhir_versions": ["4.0.1"],
        "audience": ["backend"],
    }))?;
    engine
        .create_app(&dev, "acme", Some("cohort"), manifest)
        .await?;
    let version = engine.submit_app(&dev, "cohort").await?;
    engine.approve_submission(&reviewer, &version.id).await?;
    let admin = engine
        .create_verified_user("admin@north.example.org", password, None)
        .await?;
    engine
        .create_tenant_with_urls(
            "north",
            "North",
            "admin@north.example.org",
            "https://fhir.north.example.org/r4",
        )
        .await?;
    let tenant = engine.tenant(&admin, "north").await?;
    let install = engine
        .install_app(&tenant, "cohort", Some(SCOPE), None)
        .await?;
    let (_, key) = engine
        .create_tenant_key(&tenant, "EHR", &["introspect".to_owned()])
        .await?;
    Ok((install.client_id, key))
}

/// oidc-provider on a free loopback port, its packages installed first.
async fn oidc_provider() -> Result<(tokio::process::Child, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/oidc-provider");
    if !dir.join("node_modules/oidc-provider").exists() {
        eprintln!("installing oidc-provider…");
        let status = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status()
            .context("npm, to install oidc-provider")?;
        if !status.success() {
            bail!("npm ci failed in {}", dir.display());
        }
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let jwks: Value = serde_json::from_str(JWKS)?;
    let child = tokio::process::Command::new("node")
        .arg("server.mjs")
        .arg(port.to_string())
        .arg(jwks.to_string())
        .current_dir(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("node, to run oidc-provider")?;
    let issuer = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if reqwest::get(format!("{issuer}/.well-known/openid-configuration"))
            .await
            .is_ok()
        {
            return Ok((child, issuer));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("oidc-provider did not start")
}

async fn token(client: &reqwest::Client, url: &str, assertion: &str) -> Result<String> {
    let answer: Value = client
        .post(url)
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", SCOPE),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", assertion),
        ])
        .send()
        .await?
        .json()
        .await?;
    answer["access_token"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no token from {url}: {answer}"))
}

#[tokio::main]
async fn main() -> Result<()> {
    let flags = Flags::parse(&[])?;
    let database: String = flags.get("database", "postgres".to_owned())?;
    let connections: usize = flags.get("connections", 32)?;
    let seconds: u64 = flags.get("seconds", 10)?;
    let count: usize = flags.get("assertions", 150_000)?;
    let alg = match flags.get("alg", "RS384".to_owned())?.as_str() {
        "RS384" => Algorithm::RS384,
        "ES384" => Algorithm::ES384,
        other => bail!("--alg is RS384 or ES384, not {other}"),
    };
    let duration = Duration::from_secs(seconds);

    let mut sidecar = Server::start(&database).await?;
    let (client_id, key) = seed(&sidecar.engine).await?;
    sidecar.serve()?;
    let (_node, op) = oidc_provider().await?;

    let sidecar_token = format!("{}/t/north/oauth/token", sidecar.base);
    let op_token = format!("{op}/token");
    eprintln!("signing {count} assertions for each server…");
    let ours = assertions(alg, "load", &client_id, &sidecar_token, count)?;
    let theirs = assertions(alg, "load", "backend", &op, count)?;

    // What one assertion's check (signature, claims, client) costs one
    // core with nothing else running: the ceiling of the token endpoint.
    let issuer = sidecar.engine.issuer("north").await?;
    let sample = &ours[..ours.len().min(2_000)];
    let started = std::time::Instant::now();
    for assertion in sample {
        sidecar
            .engine
            .authenticate_assertion(&issuer, Some(ASSERTION_TYPE), Some(assertion))
            .await
            .map_err(|e| anyhow::anyhow!("a bench assertion was refused: {}", e.description))?;
    }
    let check = started.elapsed() / sample.len() as u32;

    // One token each to introspect.
    let client = reqwest::Client::new();
    let our_token = token(
        &client,
        &sidecar_token,
        &assertions(alg, "one", &client_id, &sidecar_token, 1)?[0],
    )
    .await?;
    let their_token = token(
        &client,
        &op_token,
        &assertions(alg, "one", "backend-opaque", &op, 1)?[0],
    )
    .await?;

    let our_tokens = load(
        connections,
        duration,
        200,
        token_requests(sidecar_token, ours, connections),
    )
    .await?;
    let their_tokens = load(
        connections,
        duration,
        200,
        token_requests(op_token, theirs, connections),
    )
    .await?;

    let our_introspection: MakeRequest = {
        let (url, key, token) = (
            format!("{}/t/north/oauth/introspect", sidecar.base),
            key.clone(),
            our_token,
        );
        Arc::new(move |c, _, _| {
            c.post(&url)
                .bearer_auth(&key)
                .form(&[("token", token.as_str())])
        })
    };
    let their_introspection: MakeRequest = {
        let (url, token) = (format!("{op}/token/introspection"), their_token);
        Arc::new(move |c, _, _| {
            c.post(&url)
                .basic_auth(
                    "resource-server",
                    Some("a resource server secret that is long enough"),
                )
                .form(&[("token", token.as_str())])
        })
    };
    let ours_in = load(connections, duration, 200, our_introspection).await?;
    let theirs_in = load(connections, duration, 200, their_introspection).await?;

    println!("tokens · {database} · {alg:?} client assertions · {connections} connections · {seconds} s each");
    println!(
        "  checking one assertion takes {:.0} µs of one core: at most {:.0} tokens/s on {} cores doing nothing else",
        check.as_secs_f64() * 1e6,
        cores() as f64 / check.as_secs_f64(),
        cores()
    );
    let line = |name: &str, run: &Run, other: &Run| {
        println!(
            "  {name:46} {:7.0} requests/s · p50 {:6.2} ms · p99 {:6.2} ms ({:.1}× oidc-provider)",
            run.rps(),
            run.ms(0.5),
            run.ms(0.99),
            run.rps() / other.rps()
        );
    };
    let theirs_line = |name: &str, run: &Run| {
        println!(
            "  {name:46} {:7.0} requests/s · p50 {:6.2} ms · p99 {:6.2} ms",
            run.rps(),
            run.ms(0.5),
            run.ms(0.99)
        );
    };
    line(
        "Sidecar client_credentials (private_key_jwt)",
        &our_tokens,
        &their_tokens,
    );
    theirs_line("oidc-provider client_credentials (same)", &their_tokens);
    line("Sidecar introspection (JWT token)", &ours_in, &theirs_in);
    theirs_line("oidc-provider introspection (opaque token)", &theirs_in);
    sidecar.finish().await
}
