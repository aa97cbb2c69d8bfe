//! Logs (text or JSON, each line with the request id) and metrics.
//!
//! The server never waits for its log output. Lines go through a bounded
//! queue to a writer thread; when the output does not keep up (a pipe
//! nobody reads, a terminal on hold) the newest lines are dropped and
//! counted (`log_lines_dropped_total`) instead of blocking the threads
//! that answer requests — a server that writes its logs in line would
//! stop answering altogether once such a pipe filled.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing_appender::non_blocking::{ErrorCounter, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Lines waiting for the writer before new ones are dropped.
const QUEUED_LINES: usize = 16_384;

/// How log lines reach standard output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogOutput {
    /// Written by the calling thread, in order with the program's own
    /// output: for the command line, whose last line may be a token.
    Inline,
    /// Queued to a writer thread, dropped when the output stalls: for the
    /// server.
    Queued,
}

/// Keeps the log writer running; dropping it flushes what is queued.
#[must_use = "dropping the guard stops the log writer"]
pub struct LogGuard {
    _writer: Option<WorkerGuard>,
}

static DROPPED: OnceLock<ErrorCounter> = OnceLock::new();

/// Log lines dropped so far because the output did not keep up.
pub fn dropped_log_lines() -> usize {
    DROPPED.get().map_or(0, ErrorCounter::dropped_lines)
}

pub fn init_logging(format: LogFormat, output: LogOutput) -> LogGuard {
    match output {
        LogOutput::Inline => {
            install(format, std::io::stdout);
            LogGuard { _writer: None }
        }
        LogOutput::Queued => {
            let (writer, guard) = NonBlockingBuilder::default()
                .lossy(true)
                .buffered_lines_limit(QUEUED_LINES)
                .thread_name("log-writer")
                .finish(std::io::stdout());
            let _ = DROPPED.set(writer.error_counter());
            install(format, writer);
            LogGuard {
                _writer: Some(guard),
            }
        }
    }
}

fn install<W>(format: LogFormat, writer: W)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,tower_sessions=warn"));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match format {
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(writer),
            )
            .try_init(),
        LogFormat::Text => registry
            .with(tracing_subscriber::fmt::layer().with_writer(writer))
            .try_init(),
    };
}

/// The process-wide Prometheus recorder, installed on first use.
pub fn metrics_handle() -> anyhow::Result<PrometheusHandle> {
    static HANDLE: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    metrics_exporter_prometheus::Matcher::Full(
                        "http_request_duration_seconds".into(),
                    ),
                    &[
                        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                    ],
                )
                .map_err(|e| format!("metrics buckets: {e}"))?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder)
                .map_err(|e| format!("could not install the metrics recorder: {e}"))?;
            // Histogram samples wait in a buffer until they are folded into
            // their buckets; without a scrape that buffer would only grow.
            let upkeep = handle.clone();
            std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || loop {
                    std::thread::sleep(std::time::Duration::from_secs(5));
                    upkeep.run_upkeep();
                    metrics::counter!("log_lines_dropped_total")
                        .absolute(dropped_log_lines() as u64);
                })
                .map_err(|e| format!("could not start the metrics upkeep: {e}"))?;
            Ok(handle)
        })
        .clone()
        .map_err(|e| anyhow::anyhow!(e))
}
