//! Workers: every replica runs one. A job is claimed with a conditional
//! update that sets a lease, so no two workers run it at once, and a job
//! whose worker died is taken over when the lease runs out. While a
//! server's jobs wait out their backoff, the server is probed lightly; when
//! it answers again its jobs are due at once.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use tokio::sync::Notify;

use crate::entity::{authorization_servers as servers, provisionings};
use crate::platform::audit;
use crate::provisioning::metadata;
use crate::{Engine, EngineResult};

use super::record::Outcome;
use super::run::Step;
use super::{new_tag, ProvisioningState as S, UNREACHABLE, WORKABLE};

/// What a process's worker keeps in memory.
#[derive(Default)]
pub struct WorkerState {
    ready: Notify,
    /// When each server was last probed.
    probed: Mutex<HashMap<String, DateTime<Utc>>>,
    /// When the jobs-by-state gauge was last set.
    pub(super) reported: Mutex<Option<Instant>>,
}

/// How many jobs one pass looks at.
const BATCH: u64 = 200;

fn std_to_chrono(d: StdDuration) -> Duration {
    Duration::from_std(d).unwrap_or(Duration::MAX)
}

impl Engine {
    /// Tells this process's worker there is work, so it need not wait.
    pub fn wake_provisioning_worker(&self) {
        self.provisioning_state().ready.notify_one();
    }

    /// Runs every due job once (and the drift checks that are due, and
    /// probes of servers whose jobs wait); how many jobs ran.
    pub async fn provision_due(&self) -> EngineResult<usize> {
        self.probe_waiting_servers().await?;
        self.report_job_states().await?;
        let now = self.now();
        let free = Condition::any()
            .add(provisionings::Column::LeaseUntil.is_null())
            .add(provisionings::Column::LeaseUntil.lt(now));
        let work = provisionings::Entity::find()
            .filter(
                Expr::col(provisionings::Column::DesiredGeneration)
                    .gt(Expr::col(provisionings::Column::AppliedGeneration)),
            )
            .filter(provisionings::Column::State.is_in(WORKABLE.map(S::as_str)))
            .filter(provisionings::Column::NextAttemptAt.lte(now))
            .filter(free.clone())
            .order_by_asc(provisionings::Column::NextAttemptAt)
            .limit(BATCH)
            .all(self.db())
            .await?;
        let stale = now - std_to_chrono(self.config().provisioning.drift_every);
        // Only clients Sidecar can read back (RFC 7592): not those entered
        // by hand at a manual server.
        let drift = provisionings::Entity::find()
            .filter(provisionings::Column::State.eq(S::Active.as_str()))
            .filter(provisionings::Column::RegistrationClientUri.is_not_null())
            .filter(
                Expr::col(provisionings::Column::DesiredGeneration)
                    .eq(Expr::col(provisionings::Column::AppliedGeneration)),
            )
            .filter(
                Condition::any()
                    .add(provisionings::Column::CheckedAt.is_null())
                    .add(provisionings::Column::CheckedAt.lt(stale)),
            )
            .filter(free)
            .limit(BATCH)
            .all(self.db())
            .await?;
        let jobs: Vec<_> = work
            .into_iter()
            .map(|r| (r, false))
            .chain(drift.into_iter().map(|r| (r, true)))
            .collect();
        let ran = jobs.len();
        let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(
            self.config().provisioning.concurrency.max(1),
        ));
        let mut running = tokio::task::JoinSet::new();
        for (row, drift_check) in jobs {
            let engine = self.clone();
            let limit = limit.clone();
            running.spawn(async move {
                let _permit = limit.acquire_owned().await;
                if let Err(e) = engine.claim_and_run(row, drift_check).await {
                    tracing::error!(error = %format!("{e:#}"), "a provisioning job failed");
                }
            });
        }
        while running.join_next().await.is_some() {}
        Ok(ran + self.retire_due().await?)
    }

    /// Claims `row` (if no other worker did meanwhile) and runs it.
    async fn claim_and_run(
        &self,
        row: provisionings::Model,
        drift_check: bool,
    ) -> EngineResult<()> {
        let now = self.now();
        let lease = now + std_to_chrono(self.config().provisioning.lease);
        let mut claim = provisionings::Entity::update_many()
            .col_expr(provisionings::Column::LeaseUntil, Expr::value(lease))
            .filter(provisionings::Column::InstallId.eq(row.install_id.clone()))
            .filter(
                Condition::any()
                    .add(provisionings::Column::LeaseUntil.is_null())
                    .add(provisionings::Column::LeaseUntil.lt(now)),
            );
        if !drift_check {
            claim = claim
                .col_expr(
                    provisionings::Column::State,
                    Expr::value(S::Provisioning.as_str()),
                )
                .filter(provisionings::Column::State.is_in(WORKABLE.map(S::as_str)))
                .filter(provisionings::Column::NextAttemptAt.lte(now));
        }
        if claim.exec(self.db()).await?.rows_affected != 1 {
            return Ok(());
        }
        // Read again: the claim is what counts, not the earlier read.
        let Some(row) = provisionings::Entity::find_by_id(row.install_id.clone())
            .one(self.db())
            .await?
        else {
            return Ok(());
        };
        let generation = if drift_check {
            row.applied_generation
        } else {
            row.desired_generation
        };
        let Some(mut job) = self.job(row).await? else {
            return Ok(());
        };
        let step = job.step(drift_check);
        if matches!(step, Step::Register | Step::Update) {
            self.note_intent(&mut job, step, lease).await?;
        }
        let started = Instant::now();
        let outcome = self.call_server(&job, step).await?;
        let outcome_name = match &outcome {
            Outcome::Failed(_) => "failed",
            _ => "ok",
        };
        metrics::counter!("sidecar_provisioning_attempts_total",
            "server" => job.server.id.clone(), "outcome" => outcome_name)
        .increment(1);
        metrics::histogram!("sidecar_provisioning_call_seconds", "server" => job.server.id.clone())
            .record(started.elapsed().as_secs_f64());
        if step == Step::Register
            && matches!(outcome, Outcome::Registered(_))
            && self.config().provisioning.crash_after_register
        {
            // Test failpoint: the server made the client; nothing recorded it.
            std::process::abort();
        }
        self.record_outcome(&job, step, lease, generation, outcome)
            .await
    }

    /// Writes down, before the call, what the call is about to do. A
    /// registration that was under way when the last attempt ended without
    /// an answer may have made a client nobody knows: it is reported, and
    /// the new attempt gets a new mark so the two can be told apart.
    async fn note_intent(
        &self,
        job: &mut super::run::Job,
        step: Step,
        lease: DateTime<Utc>,
    ) -> EngineResult<()> {
        let now = self.now();
        let intent = if step == Step::Register {
            "register"
        } else {
            "update"
        };
        let mut row = provisionings::ActiveModel {
            intent: Set(Some(intent.to_owned())),
            ..Default::default()
        };
        let lost = step == Step::Register && job.row.intent.as_deref() == Some("register");
        let txn = self.begin_write().await?;
        if lost {
            let name = metadata::client_name(&job.manifest, &job.row.tag);
            let mut orphans: Vec<serde_json::Value> = job
                .row
                .possible_orphans
                .as_deref()
                .and_then(|text| serde_json::from_str(text).ok())
                .unwrap_or_default();
            orphans.push(serde_json::json!({ "client_name": name, "noticed_at": now }));
            let tag = new_tag();
            row.possible_orphans = Set(Some(serde_json::Value::from(orphans).to_string()));
            row.tag = Set(tag.clone());
            job.row.tag = tag;
            audit::record(
                &txn,
                now,
                job.audit_event(
                    "provisioning.possible_orphan",
                    serde_json::json!({ "client_name": name }),
                ),
            )
            .await?;
        }
        provisionings::Entity::update_many()
            .set(row)
            .filter(provisionings::Column::InstallId.eq(job.row.install_id.clone()))
            .filter(provisionings::Column::LeaseUntil.eq(lease))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Probes each server whose jobs wait out a backoff because it did not
    /// answer (at most once per `probe_every`); the jobs of one that
    /// answers are due at once. A server that answered and asked for time
    /// (`Retry-After`, 5xx) is left the time.
    async fn probe_waiting_servers(&self) -> EngineResult<()> {
        let now = self.now();
        let waiting: Vec<String> = provisionings::Entity::find()
            .select_only()
            .column(provisionings::Column::ServerId)
            .distinct()
            .filter(provisionings::Column::State.eq(S::Retrying.as_str()))
            .filter(provisionings::Column::ErrorCode.eq(UNREACHABLE))
            .filter(provisionings::Column::NextAttemptAt.gt(now))
            .into_tuple()
            .all(self.db())
            .await?;
        let every = std_to_chrono(self.config().provisioning.probe_every);
        for server_id in waiting {
            {
                let Ok(mut probed) = self.provisioning_state().probed.lock() else {
                    return Ok(());
                };
                if probed.get(&server_id).is_some_and(|at| *at + every > now) {
                    continue;
                }
                probed.insert(server_id.clone(), now);
            }
            let Some(server) = servers::Entity::find_by_id(server_id.clone())
                .one(self.db())
                .await?
            else {
                continue;
            };
            if self.server_answers(&server).await {
                provisionings::Entity::update_many()
                    .col_expr(provisionings::Column::NextAttemptAt, Expr::value(now))
                    .filter(provisionings::Column::ServerId.eq(server_id))
                    .filter(provisionings::Column::State.eq(S::Retrying.as_str()))
                    .filter(provisionings::Column::ErrorCode.eq(UNREACHABLE))
                    .exec(self.db())
                    .await?;
            }
        }
        Ok(())
    }

    /// Does the server answer its metadata document with a 2xx?
    async fn server_answers(&self, server: &servers::Model) -> bool {
        let Ok(issuer) = url::Url::parse(&server.issuer) else {
            return false;
        };
        let candidates = crate::provisioning::discovery::candidates(&issuer);
        let Some(first) = candidates.first() else {
            return false;
        };
        crate::platform::fetch::fetch(&self.config().fetch, first)
            .await
            .is_ok()
    }
}

/// Runs provisioning jobs as they come due.
pub struct ProvisioningWorker {
    engine: Engine,
}

impl ProvisioningWorker {
    pub fn new(engine: Engine) -> Self {
        Self { engine }
    }

    pub async fn run(self) {
        loop {
            match self.engine.provision_due().await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::error!(error = %format!("{e:#}"), "provisioning failed"),
            }
            let _ = tokio::time::timeout(
                StdDuration::from_secs(1),
                self.engine.provisioning_state().ready.notified(),
            )
            .await;
        }
    }
}
