//! Wiring: database, engine, session store, router, workers.

use std::sync::Arc;

use anyhow::Context;
use engine::{Clock, Engine, EngineConfig, MailConfig, MailWorker, SystemClock};
use leptos::prelude::LeptosOptions;

use crate::config::Config;
use crate::http::{self, AppState};
use crate::sessions::Store;

/// A built server: its router, its engine and its workers, not yet running.
pub struct Sidecar {
    pub router: axum::Router,
    pub engine: Engine,
    pub mail_worker: MailWorker,
    pub webhook_worker: engine::tenancy::webhooks::WebhookWorker,
    pub provisioning_worker: engine::provisioning::ProvisioningWorker,
    pub sessions: Store,
}

/// The engine alone, for the command line: connects and migrates.
pub async fn engine(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Engine> {
    if config.database_url.starts_with("sqlite:") {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!(
                "could not create the data dir {}",
                config.data_dir.display()
            )
        })?;
    }
    let db = engine::platform::db::connect(&config.database_url).await?;
    engine::platform::db::migrate(&db).await?;
    let engine_config = EngineConfig {
        public_url: config.public_url.clone(),
        mail: MailConfig {
            smtp_url: config.smtp_url.clone(),
            file_dir: config.data_dir.join("mail"),
            from: config.mail_from.clone(),
        },
        fetch: engine::platform::fetch::FetchConfig {
            allow_private: config.allow_private_fetch,
            extra_roots_pem: config.fetch_ca_pem.clone(),
            ..Default::default()
        },
        master_key: engine::platform::secret::MasterKey::new(config.master_key_or_generate()?.0),
        secret_grace: chrono::Duration::hours(i64::from(config.secret_grace_hours)),
        provisioning: config.provisioning.clone(),
    };
    let engine = Engine::new(db, clock, engine_config);
    let indexed = engine
        .reconcile_catalog()
        .await
        .context("could not bring the catalog index up to date")?;
    if indexed > 0 {
        tracing::info!(apps = indexed, "catalog index brought up to date");
    }
    Ok(engine)
}

/// Builds everything `serve` runs. `clock` is the system clock except in tests.
pub async fn build(
    config: Config,
    leptos: LeptosOptions,
    clock: Option<Arc<dyn Clock>>,
) -> anyhow::Result<Sidecar> {
    let clock = clock.unwrap_or_else(|| Arc::new(SystemClock));
    let engine = engine(&config, clock).await?;
    let sessions = Store::connect(engine.db(), config.redis_url.as_deref()).await?;
    let mail_worker = MailWorker::new(engine.clone(), &engine.config().mail)?;
    let metrics = crate::telemetry::metrics_handle()?;
    let state = AppState::new(http::Shared {
        engine: engine.clone(),
        leptos: leptos.clone(),
        config: Arc::new(config),
        metrics,
        registry_pages: Default::default(),
    });
    let router = http::router(state, sessions.clone());
    Ok(Sidecar {
        router,
        engine: engine.clone(),
        mail_worker,
        webhook_worker: engine::tenancy::webhooks::WebhookWorker::new(engine.clone()),
        provisioning_worker: engine::provisioning::ProvisioningWorker::new(engine.clone()),
        sessions,
    })
}

/// Leptos settings: from `Cargo.toml` when run from the repository root
/// (or the `LEPTOS_*` variables cargo-leptos sets), else the defaults the
/// build uses.
pub fn leptos_options() -> anyhow::Result<LeptosOptions> {
    if std::env::var_os("LEPTOS_OUTPUT_NAME").is_some() {
        return Ok(leptos::config::get_configuration(None)
            .context("could not read the LEPTOS_* settings")?
            .leptos_options);
    }
    if std::path::Path::new("Cargo.toml").exists() {
        if let Ok(conf) = leptos::config::get_configuration(Some("Cargo.toml")) {
            return Ok(conf.leptos_options);
        }
    }
    Ok(LeptosOptions::builder()
        .output_name("sidecar")
        .site_root("target/site")
        .site_pkg_dir("pkg")
        .hash_files(true)
        .build())
}
