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

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use domain::{ManifestInput, PlatformRole};
use engine::Engine;
use support::{load, percentile, timed, Flags, Server};

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

fn manifest(i: usize, rng: &mut Lcg) -> Result<ManifestInput> {
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
    serde_json::from_value(value).context("a bench manifest")
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

async fn seed(engine: &Engine, apps: usize) -> Result<()> {
    let developer = engine
        .create_verified_user("bench-dev@sidecar.test", "bench password 1", None)
        .await?;
    let reviewer = engine
        .create_verified_user(
            "bench-reviewer@sidecar.test",
            "bench password 2",
            Some(PlatformRole::Reviewer),
        )
        .await?;
    let mut rng = Lcg(7);
    let started = Instant::now();
    for p in 0..(apps / 50).max(1) {
        engine
            .create_publisher(
                &developer,
                &format!("publisher-{p}"),
                &format!("Publisher {p}"),
            )
            .await?;
    }
    for i in 0..apps {
        let publisher = format!("publisher-{}", i % (apps / 50).max(1));
        let app = engine
            .create_app(
                &developer,
                &publisher,
                Some(&format!("app-{i}")),
                manifest(i, &mut rng)?,
            )
            .await?;
        let version = engine.submit_app(&developer, &app.slug).await?;
        engine.approve_submission(&reviewer, &version.id).await?;
        if (i + 1) % 1000 == 0 {
            eprintln!("  {} apps published ({:.0?})", i + 1, started.elapsed());
        }
    }
    Ok(())
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

#[tokio::main]
async fn main() -> Result<()> {
    let flags = Flags::parse(&["distinct"])?;
    let database: String = flags.get("database", "sqlite".to_owned())?;
    let apps: usize = flags.get("apps", 10_000)?;
    let connections: usize = flags.get("connections", 32)?;
    let seconds: u64 = flags.get("seconds", 20)?;
    let distinct = flags.on("distinct");

    let mut server = Server::start(&database).await?;
    eprintln!("seeding {apps} published apps on {database}…");
    seed(&server.engine, apps).await?;
    server.serve()?;
    let base = server.base.clone();
    let queries = Arc::new(queries());

    eprintln!("one request at a time, by kind…");
    let client = reqwest::Client::new();
    let mut by_kind: Vec<(&str, Vec<Duration>)> = Vec::new();
    for (kind, path) in queries.iter() {
        let took = timed(client.get(format!("{base}{path}")), 200).await?;
        match by_kind.iter_mut().find(|(k, _)| k == kind) {
            Some((_, times)) => times.push(took),
            None => by_kind.push((kind, vec![took])),
        }
    }
    println!("sequential latency by kind (p50 / max, ms):");
    for (kind, mut times) in by_kind {
        times.sort();
        let max = times.last().copied().unwrap_or_default();
        println!(
            "  {kind:28} {:6.2} / {:6.2}",
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3
        );
    }

    let make: support::MakeRequest = Arc::new(move |client, worker, i| {
        let url = if distinct {
            // Worker w takes every n-th pair of words, from its own start.
            let pair = (worker + i * connections) % (WORDS.len() * WORDS.len());
            format!(
                "{base}/api/v1/catalog/apps?q={}+{}",
                WORDS[pair / WORDS.len()],
                WORDS[pair % WORDS.len()]
            )
        } else {
            format!("{base}{}", queries[(worker * 7 + i) % queries.len()].1)
        };
        client.get(url)
    });
    eprintln!("warming up…");
    load(connections, Duration::from_secs(3), 200, make.clone()).await?;
    eprintln!("measuring for {seconds} s at {connections} connections…");
    let run = load(connections, Duration::from_secs(seconds), 200, make).await?;
    println!(
        "catalog search · {database} · {} · {apps} apps · {connections} connections · {} requests in {:.1} s",
        if distinct {
            "distinct searches"
        } else {
            "repeated searches"
        },
        run.latencies.len(),
        run.elapsed.as_secs_f64()
    );
    println!(
        "p50 {:.2} ms · p95 {:.2} ms · p99 {:.2} ms · {:.0} requests/s",
        run.ms(0.50),
        run.ms(0.95),
        run.ms(0.99),
        run.rps()
    );
    server.finish().await
}
