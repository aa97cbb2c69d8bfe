use std::net::SocketAddr;

use anyhow::Context;
use clap::Parser;
use server::cli::{Cli, Command};
use server::config::Config;
use server::telemetry::LogOutput;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let config = match Config::load() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("sidecar: configuration error: {e:#}");
            return std::process::ExitCode::from(2);
        }
    };
    let command = cli.command.unwrap_or(Command::Serve);
    let output = match command {
        Command::Serve => LogOutput::Queued,
        _ => LogOutput::Inline,
    };
    let _log = server::telemetry::init_logging(config.log_format, output);
    let result = match command {
        Command::Serve => serve(config).await,
        other => server::cli::run(other, config).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sidecar: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let addr = config.addr;
    let public_url = config.public_url.clone();
    let leptos = server::startup::leptos_options()?;
    let sidecar = server::build(config, leptos, None).await?;
    sidecar.sessions.spawn_cleanup();
    tokio::spawn(sidecar.mail_worker.run());
    tokio::spawn(sidecar.webhook_worker.run());
    tokio::spawn(sidecar.provisioning_worker.run());
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("could not listen on {addr} (SIDECAR_ADDR)"))?;
    tracing::info!(%addr, %public_url, "Sidecar is listening");
    axum::serve(
        listener,
        sidecar
            .router
            .into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("the server stopped with an error")
}
