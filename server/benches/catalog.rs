//! Catalog search under load: a real Sidecar on a loopback port with a
//! catalog of published apps (registered, submitted and approved through
//! the engine, as a developer and a reviewer would), searched over HTTP by
//! concurrent keep-alive clients.
//!
//! ```text
//! cargo bench -p server --bench catalog -- [--database sqlite|postgres]
//!     [--apps 10000] [--connections 32] [--seconds 20] [--distinct]
//! ```
//!
//! Clients cycle through a fixed list of searches (so, as on a real
//! gallery, most pages are answered from the catalog's short-lived cache);
//! with `--distinct` every request is a two-word search not sent before.
//!
//! PostgreSQL: a fresh database is created next to the one named by
//! `SIDECAR_BENCH_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`)
//! and dropped afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use domain::{ManifestInput, PlatformRole};
use engine::Engine;
use sea_orm::ConnectionTrait;

struct Args {
    database: String,
    apps: usize,
    connections: usize,
    seconds: u64,
    /// Every request a different two-word search, so no page is cached.
    distinct: bool,
}

fn args() -> Args {
    let mut args = Args {
        database: "sqlite".into(),
        apps: 10_000,
        connections: 32,
        seconds: 20,
        distinct: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().expect("a value after the flag");
        match flag.as_str() {
            "--database" => args.database = value(),
            "--apps" => args.apps = value().parse().expect("--apps N"),
            "--connections" => args.connections = value().parse().expect("--connections N"),
            "--seconds" => args.seconds = value().parse().expect("--seconds N"),
            "--distinct" => args.distinct = true,
            "--bench" => {}
            other => panic!("unknown option {other}"),
        }
    }
    args
}

const WORDS: &[&str] = &[
    "growth",
    "chart",
    "cardiac",
    "risk",
    "sepsis",
    "alert",
    "medication",
    "list",
    "allergy",
    "pediatric",
    "vitals",
    "diabetes",
    "insulin",
    "dose",
    "imaging",
    "viewer",
    "genomic",
    "report",
    "care",
    "plan",
    "referral",
    "triage",
    "asthma",
    "kidney",
    "oncology",
    "trial",
    "consent",
    "telehealth",
    "visit",
    "lab",
    "trend",
    "immunization",
    "schedule",
    "prenatal",
    "stroke",
    "score",
    "opioid",
    "monitor",
    "sleep",
    "nutrition",
    "anemia",
    "arthritis",
    "blood",
    "pressure",
    "cholesterol",
    "copd",
    "dementia",
    "depression",
    "dermatology",
    "dialysis",
    "discharge",
    "eczema",
    "epilepsy",
    "fall",
    "fever",
    "fracture",
    "glucose",
    "hearing",
    "heart",
    "hepatitis",
    "hospice",
    "hypertension",
    "infection",
    "infusion",
    "injury",
    "intake",
    "journal",
    "lung",
    "malaria",
    "maternal",
    "mental",
    "migraine",
    "mobility",
    "neonatal",
    "nurse",
    "obesity",
    "ortho",
    "pain",
    "pharmacy",
    "physio",
    "pregnancy",
    "pulse",
    "radiology",
    "rehab",
    "renal",
    "respiratory",
    "rheumatology",
    "screening",
    "seizure",
    "smoking",
    "spine",
    "surgery",
    "symptom",
    "thyroid",
    "tobacco",
    "transplant",
    "trauma",
    "ulcer",
    "urology",
    "vaccine",
    "vision",
    "weight",
    "wound",
    "wellness",
    "workflow",
    "quality",
    "registry",
    "billing",
    "coding",
    "claims",
    "audit",
    "roster",
    "handoff",
    "census",
    "bedside",
    "ward",
    "clinic",
];
const CATEGORIES: &[&str] = domain::manifest::CATEGORIES;

/// A small deterministic generator, so every run indexes the same catalog.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }

    fn word(&mut self) -> &'static str {
        WORDS[self.next() % WORDS.len()]
    }
}

fn manifest(i: usize, rng: &mut Lcg) -> ManifestInput {
    let name = format!("{} {} {i}", capitalise(rng.word()), capitalise(rng.word()));
    let tagline = format!("{} {} for {} teams", rng.word(), rng.word(), rng.word());
    let description = (0..30).map(|_| rng.word()).collect::<Vec<_>>().join(" ");
    let launch = ["ehr", "standalone", "backend"][rng.next() % 3];
    let (scope, audience, auth) = match launch {
        "backend" => (
            "system/Patient.rs system/Observation.rs",
            "backend",
            "private_key_jwt",
        ),
        "standalone" => (
            "openid fhirUser launch/patient patient/Observation.rs",
            "patient",
            "none",
        ),
        _ => (
            "launch openid fhirUser user/Patient.rs user/Observation.rs",
            "clinician",
            "client_secret_basic",
        ),
    };
    let mut value = serde_json::json!({
        "client_name": name,
        "tagline": tagline,
        "description": description,
        "scope": scope,
        "token_endpoint_auth_method": auth,
        "launch_types": [launch],
        "fhir_versions": ["4.0.1"],
        "audience": [audience],
        "categories": [CATEGORIES[rng.next() % CATEGORIES.len()]],
    });
    if launch == "backend" {
        value["jwks_uri"] = format!("https://app{i}.example.com/jwks.json").into();
    } else {
        value["launch_url"] = format!("https://app{i}.example.com/launch").into();
        value["redirect_uris"] = serde_json::json!([format!("https://app{i}.example.com/cb")]);
    }
    serde_json::from_value(value).expect("manifest")
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

async fn seed(engine: &Engine, apps: usize) {
    let developer = engine
        .create_verified_user("bench-dev@sidecar.test", "bench password 1", None)
        .await
        .expect("developer");
    let reviewer = engine
        .create_verified_user(
            "bench-reviewer@sidecar.test",
            "bench password 2",
            Some(PlatformRole::Reviewer),
        )
        .await
        .expect("reviewer");
    let mut rng = Lcg(7);
    let started = Instant::now();
    for p in 0..(apps / 50).max(1) {
        engine
            .create_publisher(
                &developer,
                &format!("publisher-{p}"),
                &format!("Publisher {p}"),
            )
            .await
            .expect("publisher");
    }
    for i in 0..apps {
        let publisher = format!("publisher-{}", i % (apps / 50).max(1));
        let app = engine
            .create_app(
                &developer,
                &publisher,
                Some(&format!("app-{i}")),
                manifest(i, &mut rng),
            )
            .await
            .expect("create");
        let version = engine
            .submit_app(&developer, &app.slug)
            .await
            .expect("submit");
        engine
            .approve_submission(&reviewer, &version.id)
            .await
            .expect("approve");
        if (i + 1) % 1000 == 0 {
            eprintln!("  {} apps published ({:.0?})", i + 1, started.elapsed());
        }
    }
}

/// The searches clients cycle through, by kind: words, prefixes, filters,
/// sorts and later pages, as the gallery and the API send them.
fn queries() -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for (i, w) in WORDS.iter().enumerate() {
        out.push(("one word", format!("/api/v1/catalog/apps?q={w}")));
        out.push((
            "a 3-letter prefix",
            format!("/api/v1/catalog/apps?q={}", &w[..3]),
        ));
        out.push((
            "two words, newest first",
            format!(
                "/api/v1/catalog/apps?q={w}+{}&sort=newest",
                WORDS[(i + 7) % WORDS.len()]
            ),
        ));
        out.push((
            "category + launch filters",
            format!(
                "/api/v1/catalog/apps?category={}&launch=ehr",
                CATEGORIES[i % CATEGORIES.len()]
            ),
        ));
        out.push((
            "word + audience, page 2",
            format!("/api/v1/catalog/apps?q={w}&audience=patient&cursor=1"),
        ));
    }
    out.push(("no query", "/api/v1/catalog/apps".into()));
    out.push((
        "newest, page 41",
        "/api/v1/catalog/apps?sort=newest&cursor=40".into(),
    ));
    out
}

async fn fresh_postgres() -> (String, String, String) {
    let admin_url = std::env::var("SIDECAR_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("sidecar_bench_{}", uuid::Uuid::new_v4().simple());
    let admin = engine::db::connect(&admin_url).await.expect("PostgreSQL");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create database");
    let (base, _) = admin_url.rsplit_once('/').expect("a database in the URL");
    (format!("{base}/{name}"), admin_url, name)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    let args = args();
    let data_dir =
        std::env::temp_dir().join(format!("sidecar-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&data_dir).unwrap();
    let (database_url, pg_admin) = match args.database.as_str() {
        "postgres" => {
            let (url, admin, name) = fresh_postgres().await;
            (url, Some((admin, name)))
        }
        "sqlite" => (
            format!(
                "sqlite://{}?mode=rwc",
                data_dir.join("sidecar.db").display()
            ),
            None,
        ),
        other => panic!("--database is sqlite or postgres, not {other}"),
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
    eprintln!("seeding {} published apps on {}…", args.apps, args.database);
    seed(&sidecar.engine, args.apps).await;
    let router = sidecar.router;
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });

    let queries = Arc::new(queries());
    let base = format!("http://{addr}");
    let (distinct, connections) = (args.distinct, args.connections);
    let run = |duration: Duration| {
        let queries = queries.clone();
        let base = base.clone();
        async move {
            let deadline = Instant::now() + duration;
            let workers = (0..args.connections).map(|w| {
                let queries = queries.clone();
                let base = base.clone();
                tokio::spawn(async move {
                    let client = reqwest::Client::builder()
                        .pool_max_idle_per_host(1)
                        .build()
                        .unwrap();
                    let mut latencies = Vec::new();
                    let mut i = w * 7;
                    while Instant::now() < deadline {
                        let url = if distinct {
                            // Worker w takes every n-th pair of words, from its own start.
                            let pair = (w + i * connections) % (WORDS.len() * WORDS.len());
                            format!(
                                "{base}/api/v1/catalog/apps?q={}+{}",
                                WORDS[pair / WORDS.len()],
                                WORDS[pair % WORDS.len()]
                            )
                        } else {
                            format!("{base}{}", queries[i % queries.len()].1)
                        };
                        i += 1;
                        let started = Instant::now();
                        let response = client.get(&url).send().await.unwrap();
                        assert!(
                            response.status().is_success(),
                            "{url}: {}",
                            response.status()
                        );
                        response.bytes().await.unwrap();
                        latencies.push(started.elapsed());
                    }
                    latencies
                })
            });
            let mut all = Vec::new();
            for worker in workers.collect::<Vec<_>>() {
                all.extend(worker.await.unwrap());
            }
            all
        }
    };
    eprintln!("one request at a time, by kind…");
    let client = reqwest::Client::new();
    let mut by_kind: Vec<(&str, Vec<Duration>)> = Vec::new();
    for (kind, path) in queries.iter() {
        let started = Instant::now();
        let response = client.get(format!("{base}{path}")).send().await.unwrap();
        assert!(response.status().is_success(), "{path}");
        response.bytes().await.unwrap();
        let took = started.elapsed();
        match by_kind.iter_mut().find(|(k, _)| k == kind) {
            Some((_, times)) => times.push(took),
            None => by_kind.push((kind, vec![took])),
        }
    }
    println!("sequential latency by kind (p50 / max, ms):");
    for (kind, mut times) in by_kind {
        times.sort();
        println!(
            "  {kind:28} {:6.2} / {:6.2}",
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            times[times.len() - 1].as_secs_f64() * 1e3
        );
    }
    eprintln!("warming up…");
    run(Duration::from_secs(3)).await;
    eprintln!(
        "measuring for {} s at {} connections…",
        args.seconds, args.connections
    );
    let started = Instant::now();
    let mut latencies = run(Duration::from_secs(args.seconds)).await;
    let elapsed = started.elapsed();
    latencies.sort();
    println!(
        "catalog search · {} · {} · {} apps · {} connections · {} requests in {:.1} s",
        args.database,
        if args.distinct {
            "distinct searches"
        } else {
            "repeated searches"
        },
        args.apps,
        args.connections,
        latencies.len(),
        elapsed.as_secs_f64()
    );
    println!(
        "p50 {:.2} ms · p95 {:.2} ms · p99 {:.2} ms · {:.0} requests/s",
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.95).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.len() as f64 / elapsed.as_secs_f64()
    );
    drop(sidecar.engine);
    if let Some((admin_url, name)) = pg_admin {
        let admin = engine::db::connect(&admin_url).await.unwrap();
        let _ = admin
            .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .await;
    }
    let _ = std::fs::remove_dir_all(&data_dir);
}
