//! What the benchmarks share: their flags, a real Sidecar on a fresh
//! database on a loopback port, and concurrent keep-alive load with
//! latency percentiles.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use engine::Engine;
use sea_orm::ConnectionTrait;

/// `--name value` flags, and the boolean ones named at parsing.
pub struct Flags {
    values: BTreeMap<String, String>,
    switches: Vec<String>,
}

impl Flags {
    pub fn parse(switches: &[&str]) -> Result<Self> {
        let mut values = BTreeMap::new();
        let mut on = Vec::new();
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            let name = flag
                .strip_prefix("--")
                .ok_or_else(|| anyhow!("unexpected argument `{flag}`"))?;
            if name == "bench" {
                continue;
            }
            if switches.contains(&name) {
                on.push(name.to_owned());
            } else {
                let value = it
                    .next()
                    .with_context(|| format!("--{name} needs a value"))?;
                values.insert(name.to_owned(), value);
            }
        }
        Ok(Self {
            values,
            switches: on,
        })
    }

    pub fn get<T: FromStr>(&self, name: &str, default: T) -> Result<T> {
        match self.values.get(name) {
            None => Ok(default),
            Some(text) => text
                .parse()
                .map_err(|_| anyhow!("--{name} `{text}` is not a valid value")),
        }
    }

    pub fn on(&self, name: &str) -> bool {
        self.switches.iter().any(|s| s == name)
    }
}

/// A Sidecar on a fresh database; serving starts with [`Server::serve`],
/// after seeding through [`Server::engine`].
pub struct Server {
    pub engine: Engine,
    pub base: String,
    router: Option<axum::Router>,
    listener: Option<tokio::net::TcpListener>,
    data_dir: PathBuf,
    database_url: String,
    /// The admin URL and the name of a PostgreSQL database to drop.
    postgres: Option<(String, String)>,
}

impl Server {
    /// `database` is `sqlite` or `postgres`; PostgreSQL gets a new database
    /// beside `SIDECAR_BENCH_POSTGRES_URL`.
    pub async fn start(database: &str) -> Result<Self> {
        Ok(Self::build(database, &[]).await?.0)
    }

    /// `start`, with more settings (`KEY`, value) and its provisioning
    /// worker running.
    pub async fn start_provisioning(database: &str, settings: &[(&str, &str)]) -> Result<Self> {
        let (server, worker) = Self::build(database, settings).await?;
        tokio::spawn(worker.run());
        Ok(server)
    }

    async fn build(
        database: &str,
        settings: &[(&str, &str)],
    ) -> Result<(Self, engine::provisioning::ProvisioningWorker)> {
        let data_dir =
            std::env::temp_dir().join(format!("sidecar-bench-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&data_dir).context("a data dir for the bench")?;
        let (database_url, postgres) = match database {
            "sqlite" => (
                format!(
                    "sqlite://{}?mode=rwc",
                    data_dir.join("sidecar.db").display()
                ),
                None,
            ),
            "postgres" => {
                let admin_url = std::env::var("SIDECAR_BENCH_POSTGRES_URL")
                    .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
                let name = format!("sidecar_bench_{}", uuid::Uuid::new_v4().simple());
                let admin = engine::platform::db::connect(&admin_url).await?;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .context("creating the bench database")?;
                let (base, _) = admin_url
                    .rsplit_once('/')
                    .context("SIDECAR_BENCH_POSTGRES_URL names no database")?;
                (format!("{base}/{name}"), Some((admin_url, name)))
            }
            other => bail!("--database is sqlite or postgres, not {other}"),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let mut values = BTreeMap::from([
            ("SIDECAR_ADDR".to_owned(), addr.to_string()),
            ("PUBLIC_URL".to_owned(), format!("http://{addr}")),
            (
                "SIDECAR_DATA_DIR".to_owned(),
                data_dir.display().to_string(),
            ),
            ("DATABASE_URL".to_owned(), database_url.clone()),
        ]);
        for (key, value) in settings {
            values.insert((*key).to_owned(), (*value).to_owned());
        }
        let config = server::config::Config::from_values(&values)?;
        let leptos = leptos::prelude::LeptosOptions::builder()
            .output_name("sidecar")
            .site_root("target/site")
            .site_pkg_dir("pkg")
            .build();
        let sidecar = server::build(config, leptos, None).await?;
        let server = Self {
            engine: sidecar.engine,
            base: format!("http://{addr}"),
            router: Some(sidecar.router),
            listener: Some(listener),
            data_dir,
            database_url,
            postgres,
        };
        Ok((server, sidecar.provisioning_worker))
    }

    /// After seeding: has PostgreSQL vacuum, analyse and checkpoint what
    /// was just written, so that its autovacuum and checkpointer do not
    /// wake during one of the measurements and take a core from it alone.
    pub async fn settle(&self) -> Result<()> {
        if self.postgres.is_none() {
            return Ok(());
        }
        let db = engine::platform::db::connect(&self.database_url).await?;
        db.execute_unprepared("VACUUM ANALYZE")
            .await
            .context("vacuuming the bench database")?;
        db.execute_unprepared("CHECKPOINT")
            .await
            .context("a checkpoint of the bench database")?;
        Ok(())
    }

    /// Starts answering HTTP.
    pub fn serve(&mut self) -> Result<()> {
        let (Some(router), Some(listener)) = (self.router.take(), self.listener.take()) else {
            bail!("the server is serving already");
        };
        tokio::spawn(async move {
            let app = router.into_make_service_with_connect_info::<SocketAddr>();
            if let Err(e) = axum::serve(listener, app).await {
                eprintln!("the server stopped: {e}");
            }
        });
        Ok(())
    }

    /// Drops the bench's database and data.
    pub async fn finish(self) -> Result<()> {
        drop(self.engine);
        if let Some((admin_url, name)) = self.postgres {
            let admin = engine::platform::db::connect(&admin_url).await?;
            admin
                .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
                .await?;
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
        Ok(())
    }
}

/// Makes request `i` of client `worker`.
pub type MakeRequest =
    Arc<dyn Fn(&reqwest::Client, usize, usize) -> reqwest::RequestBuilder + Send + Sync>;

/// Latencies of one load, sorted.
pub struct Run {
    pub latencies: Vec<Duration>,
    pub elapsed: Duration,
}

impl Run {
    pub fn percentile(&self, p: f64) -> Duration {
        percentile(&self.latencies, p)
    }

    pub fn rps(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    pub fn ms(&self, p: f64) -> f64 {
        self.percentile(p).as_secs_f64() * 1e3
    }
}

/// The `p` quantile of sorted latencies (zero when there are none).
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// One request and its latency; an answer other than `expect` is an error.
pub async fn timed(request: reqwest::RequestBuilder, expect: u16) -> Result<Duration> {
    let sent = Instant::now();
    let response = request.send().await?;
    let status = response.status().as_u16();
    let url = response.url().to_string();
    response.bytes().await?;
    if status != expect {
        bail!("{url} answered {status}, not {expect}");
    }
    Ok(sent.elapsed())
}

/// Workloads (what to send, the status each answer must have) measured
/// in turns, `each` at a time, until each has had `total`; the order
/// rotates every round. Whatever else the machine does meanwhile falls
/// on all of them alike, so their ratios hold even when it is busy.
pub async fn interleaved(
    connections: usize,
    total: Duration,
    each: Duration,
    workloads: &[(MakeRequest, u16)],
) -> Result<Vec<Run>> {
    let mut runs: Vec<Run> = workloads
        .iter()
        .map(|_| Run {
            latencies: Vec::new(),
            elapsed: Duration::ZERO,
        })
        .collect();
    let rounds = total.as_millis().div_ceil(each.as_millis().max(1)).max(1) as usize;
    for round in 0..rounds {
        for turn in 0..workloads.len() {
            let w = (round + turn) % workloads.len();
            let (make, expect) = &workloads[w];
            let run = load(connections, each, *expect, make.clone()).await?;
            runs[w].latencies.extend(run.latencies);
            runs[w].elapsed += run.elapsed;
        }
    }
    for run in &mut runs {
        run.latencies.sort();
    }
    Ok(runs)
}

/// `connections` keep-alive clients sending what `make` makes for
/// `duration`; every answer must have status `expect`.
pub async fn load(
    connections: usize,
    duration: Duration,
    expect: u16,
    make: MakeRequest,
) -> Result<Run> {
    let started = Instant::now();
    let deadline = started + duration;
    let workers: Vec<_> = (0..connections)
        .map(|worker| {
            let make = make.clone();
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .pool_max_idle_per_host(1)
                    .build()?;
                let mut latencies = Vec::new();
                let mut i = 0;
                while Instant::now() < deadline {
                    latencies.push(timed(make(&client, worker, i), expect).await?);
                    i += 1;
                }
                anyhow::Ok(latencies)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await??);
    }
    let elapsed = started.elapsed();
    latencies.sort();
    Ok(Run { latencies, elapsed })
}

/// The people a bench seeds with: a developer who owns the publisher
/// `bench`, a reviewer, and a tenant admin.
pub struct People {
    pub dev: engine::people::accounts::Account,
    pub reviewer: engine::people::accounts::Account,
    pub admin: engine::people::accounts::Account,
}

impl People {
    pub const ADMIN_EMAIL: &'static str = "bench-admin@sidecar.test";

    pub async fn create(engine: &Engine) -> Result<Self> {
        let dev = engine
            .create_verified_user("bench-dev@sidecar.test", "bench password 1", None)
            .await?;
        let reviewer = engine
            .create_verified_user(
                "bench-reviewer@sidecar.test",
                "bench password 2",
                Some(domain::PlatformRole::Reviewer),
            )
            .await?;
        let admin = engine
            .create_verified_user(Self::ADMIN_EMAIL, "bench password 3", None)
            .await?;
        engine
            .create_publisher(&dev, "bench", "Bench Publisher")
            .await?;
        Ok(Self {
            dev,
            reviewer,
            admin,
        })
    }

    /// Creates `slug` from `manifest`, submitted and approved.
    pub async fn publish(
        &self,
        engine: &Engine,
        slug: &str,
        manifest: serde_json::Value,
    ) -> Result<()> {
        let manifest = serde_json::from_value(manifest).context("a bench manifest")?;
        engine
            .create_app(&self.dev, "bench", Some(slug), manifest)
            .await?;
        let version = engine.submit_app(&self.dev, slug).await?;
        engine
            .approve_submission(&self.reviewer, &version.id)
            .await?;
        Ok(())
    }
}
