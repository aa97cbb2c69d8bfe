//! The queue as `/metrics` shows it: how many installs' jobs are in each
//! state (the same numbers from every replica: they are read from the
//! database, not counted in memory).

use std::time::{Duration, Instant};

use sea_orm::sea_query::Expr;
use sea_orm::{EntityTrait, QuerySelect};

use crate::entity::provisionings;
use crate::{Engine, EngineResult};

use super::ProvisioningState;

/// How often the counts are read.
const EVERY: Duration = Duration::from_secs(10);

impl Engine {
    /// Sets `sidecar_provisioning_jobs{state}`, at most every ten seconds.
    pub(super) async fn report_job_states(&self) -> EngineResult<()> {
        {
            let Ok(mut last) = self.provisioning_state().reported.lock() else {
                return Ok(());
            };
            if last.is_some_and(|at: Instant| at.elapsed() < EVERY) {
                return Ok(());
            }
            *last = Some(Instant::now());
        }
        let counts: Vec<(String, i64)> = provisionings::Entity::find()
            .select_only()
            .column(provisionings::Column::State)
            .column_as(Expr::col(provisionings::Column::InstallId).count(), "jobs")
            .group_by(provisionings::Column::State)
            .into_tuple()
            .all(self.db())
            .await?;
        for state in ProvisioningState::ALL {
            let n = counts
                .iter()
                .find(|(s, _)| s == state.as_str())
                .map_or(0, |(_, n)| *n);
            metrics::gauge!("sidecar_provisioning_jobs", "state" => state.as_str()).set(n as f64);
        }
        Ok(())
    }
}
