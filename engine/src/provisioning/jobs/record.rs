//! Writing down what a job's call left: the row, and what follows from it
//! (the registry, webhooks, the audit log), in one transaction that holds
//! only while the job's lease is still this worker's.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{json, Value};

use crate::entity::{authorization_servers as servers, installs, provisionings};
use crate::events::AfterCommit;
use crate::platform::audit;
use crate::platform::sealed::{self, Purpose};
use crate::provisioning::client::{self, Client, Failure};
use crate::tenancy::{changes, webhooks};
use crate::{Engine, EngineResult};

use super::run::{secret_binding, token_binding, Job, Step};
use super::{ProvisioningState as S, UNREACHABLE, WORKABLE};

/// What a call came to.
pub(super) enum Outcome {
    Registered(Client),
    /// Updated; the fields a drift check found changed and put back.
    Updated(Client, Vec<&'static str>),
    /// Gone from the server; `by_hand` when the server refused the DELETE.
    Deleted {
        by_hand: bool,
    },
    Settled,
    /// Read back and found as wanted.
    Checked(Client),
    Failed(Failure),
}

/// What the row, the registry, webhooks and the audit log get.
struct Effects {
    state: S,
    /// The audit action, if the change is worth a line.
    audit: Option<(&'static str, Value)>,
    /// The webhook event EHRs are sent.
    webhook: Option<&'static str>,
    /// The registry shows something new (a client id, a state).
    registry: bool,
}

impl Effects {
    fn quiet(state: S) -> Self {
        Self {
            state,
            audit: None,
            webhook: None,
            registry: false,
        }
    }
}

impl Engine {
    fn seal_for(&self, binding: &str, plain: Option<&str>) -> EngineResult<Option<String>> {
        plain
            .map(|p| {
                sealed::seal(
                    &self.config().master_key,
                    Purpose::ServerCredential,
                    binding,
                    p.as_bytes(),
                )
            })
            .transpose()
    }

    /// Keeps what a 2xx answer handed back: the client id, its management
    /// URL, the (possibly rotated) token and a secret the server made.
    fn keep_client(
        &self,
        job: &Job,
        row: &mut provisionings::ActiveModel,
        client: &Client,
    ) -> EngineResult<()> {
        let id = &job.row.install_id;
        row.client_id = Set(Some(client.client_id.clone()));
        if let Some(uri) = &client.registration_client_uri {
            row.registration_client_uri = Set(Some(uri.clone()));
        }
        if let Some(token) = self.seal_for(
            &token_binding(id),
            client.registration_access_token.as_deref(),
        )? {
            row.registration_access_token = Set(Some(token));
        }
        if let Some(secret) = self.seal_for(&secret_binding(id), client.client_secret.as_deref())? {
            row.client_secret = Set(Some(secret));
        }
        Ok(())
    }

    /// Records `outcome` of `step`, which brought the server to
    /// `generation`, if the job's lease (`lease`) is still this worker's.
    pub(super) async fn record_outcome(
        &self,
        job: &Job,
        step: Step,
        lease: DateTime<Utc>,
        generation: i64,
        outcome: Outcome,
    ) -> EngineResult<()> {
        let now = self.now();
        let mut row = provisionings::ActiveModel {
            lease_until: Set(None),
            updated_at: Set(now),
            ..Default::default()
        };
        let done = |row: &mut provisionings::ActiveModel| {
            row.applied_generation = Set(generation);
            row.attempts = Set(0);
            row.intent = Set(None);
            row.last_error = Set(None);
            row.error_code = Set(None);
        };
        let effects = match outcome {
            Outcome::Registered(client) => {
                done(&mut row);
                self.keep_client(job, &mut row, &client)?;
                row.checked_at = Set(Some(now));
                match client
                    .registration_client_uri
                    .as_deref()
                    .map(|uri| client::at_issuer(&job.issuer, uri))
                {
                    Some(Err(failure)) => {
                        row.registration_client_uri = Set(None);
                        self.failed(job, step, &mut row, now, failure)
                    }
                    _ => Effects {
                        state: S::Active,
                        audit: Some((
                            "provisioning.registered",
                            json!({ "client_id": client.client_id }),
                        )),
                        webhook: Some("registration.provisioned"),
                        registry: true,
                    },
                }
            }
            Outcome::Updated(client, repaired) => {
                done(&mut row);
                self.keep_client(job, &mut row, &client)?;
                if repaired.is_empty() {
                    Effects::quiet(S::Active)
                } else {
                    row.checked_at = Set(Some(now));
                    Effects {
                        audit: Some((
                            "provisioning.drift_repaired",
                            json!({ "client_id": client.client_id, "fields": repaired }),
                        )),
                        ..Effects::quiet(S::Active)
                    }
                }
            }
            Outcome::Checked(client) => {
                self.keep_client(job, &mut row, &client)?;
                row.checked_at = Set(Some(now));
                Effects::quiet(S::Active)
            }
            Outcome::Deleted { by_hand } => {
                done(&mut row);
                let client_id = job.row.client_id.clone().unwrap_or_default();
                row.client_id = Set(None);
                row.registration_client_uri = Set(None);
                row.registration_access_token = Set(None);
                row.client_secret = Set(None);
                if by_hand {
                    row.last_error = Set(Some(format!(
                        "The server does not allow clients to be deleted (HTTP 405): delete the client `{client_id}` there by hand."
                    )));
                }
                Effects {
                    audit: Some((
                        "provisioning.deprovisioned",
                        json!({ "client_id": client_id, "by_hand": by_hand }),
                    )),
                    registry: true,
                    ..Effects::quiet(S::Deprovisioned)
                }
            }
            Outcome::Settled => {
                done(&mut row);
                Effects::quiet(S::Deprovisioned)
            }
            Outcome::Failed(failure) => self.failed(job, step, &mut row, now, failure),
        };
        row.state = Set(effects.state.as_str().to_owned());
        let txn = self.begin_write().await?;
        let written = provisionings::Entity::update_many()
            .set(row)
            .filter(provisionings::Column::InstallId.eq(job.row.install_id.clone()))
            .filter(provisionings::Column::LeaseUntil.eq(lease))
            .exec(&txn)
            .await?;
        if written.rows_affected != 1 {
            // Another worker took the job over; what it finds stands.
            return Ok(());
        }
        let mut after = AfterCommit::nothing();
        if effects.registry {
            after = changes::registration_touched(&txn, &job.install, now).await?;
        }
        let mut fresh = provisionings::Entity::find_by_id(job.row.install_id.clone())
            .one(&txn)
            .await?;
        // A change made while the call was under way wins: the job is due
        // again, whatever this call came to.
        if let Some(row) = fresh.as_mut() {
            let workable = WORKABLE.iter().any(|s| s.as_str() == row.state);
            if row.desired_generation > generation && !workable {
                provisionings::Entity::update_many()
                    .col_expr(
                        provisionings::Column::State,
                        Expr::value(S::Pending.as_str()),
                    )
                    .col_expr(provisionings::Column::NextAttemptAt, Expr::value(now))
                    .filter(provisionings::Column::InstallId.eq(row.install_id.clone()))
                    .exec(&txn)
                    .await?;
                row.state = S::Pending.as_str().to_owned();
            }
        }
        let needs_people = matches!(effects.state, S::Failed | S::Rejected | S::Orphaned);
        if let (true, Some(fresh)) = (needs_people, &fresh) {
            let error = fresh.last_error.as_deref().unwrap_or("no details");
            self.mail_admins(&txn, job, effects.state.as_str(), error)
                .await?;
        }
        if let (Some(event), Some(fresh)) = (effects.webhook, &fresh) {
            webhooks::enqueue_data(
                &txn,
                now,
                &job.install.tenant_id,
                event,
                event_data(&job.install, &job.app.slug, &job.server, fresh),
            )
            .await?;
        }
        if let Some((action, detail)) = effects.audit {
            audit::record(&txn, now, job.audit_event(action, detail)).await?;
        }
        txn.commit().await?;
        self.after_commit(after);
        if effects.webhook.is_some() {
            self.wake_webhook_worker();
        }
        if needs_people {
            self.wake_mail_worker();
        }
        Ok(())
    }

    /// Where a failure leaves the job.
    fn failed(
        &self,
        job: &Job,
        step: Step,
        row: &mut provisionings::ActiveModel,
        now: DateTime<Utc>,
        failure: Failure,
    ) -> Effects {
        let message = failure.message();
        row.last_error = Set(Some(message.clone()));
        let gave_up = |action: &'static str, state: S, code: Option<String>| Effects {
            state,
            audit: Some((action, json!({ "error": message, "code": code }))),
            webhook: Some("registration.provisioning_failed"),
            registry: true,
        };
        match failure {
            // A drift check that found no answer waits for the next one.
            Failure::Transient { .. } if step == Step::CheckDrift => {
                row.checked_at = Set(Some(now));
                Effects::quiet(S::Active)
            }
            Failure::Transient {
                retry_after,
                maybe_applied,
                unreachable,
                ..
            } => {
                if !maybe_applied {
                    row.intent = Set(None);
                }
                // Marks the jobs a probe may wake when the server answers again.
                row.error_code = Set(unreachable.then(|| UNREACHABLE.to_owned()));
                let attempts = job.row.attempts + 1;
                row.attempts = Set(attempts);
                let config = &self.config().provisioning;
                if attempts >= config.max_attempts {
                    return gave_up("provisioning.failed", S::Failed, None);
                }
                let wait = config.wait(attempts, retry_after);
                row.next_attempt_at =
                    Set(now + chrono::Duration::from_std(wait).unwrap_or_default());
                Effects::quiet(S::Retrying)
            }
            Failure::Rejected { code, .. } => {
                row.intent = Set(None);
                row.error_code = Set(code.clone());
                gave_up("provisioning.rejected", S::Rejected, code)
            }
            Failure::Gone { .. } if step == Step::Register => {
                row.intent = Set(None);
                row.last_error = Set(Some(format!(
                    "{message}: the server refused the registration; check the initial access token"
                )));
                gave_up("provisioning.rejected", S::Rejected, None)
            }
            Failure::Gone { .. } => {
                let client_id = job.row.client_id.clone().unwrap_or_default();
                let why = if job.row.intent.as_deref() == Some("update") {
                    format!(
                        "The server no longer accepts Sidecar's registration access token for `{client_id}` ({message}). An update whose answer was lost may have rotated it, so the client may still exist there: check for `{client_id}` and delete it, then retry to register anew."
                    )
                } else {
                    format!("The client `{client_id}` is gone from the server ({message}); retry to register it anew.")
                };
                row.intent = Set(None);
                row.last_error = Set(Some(why));
                gave_up("provisioning.orphaned", S::Orphaned, None)
            }
            Failure::DeleteNotAllowed | Failure::Refused { .. } => {
                row.intent = Set(None);
                gave_up("provisioning.failed", S::Failed, None)
            }
        }
    }
}

/// The data of a provisioning webhook: the client the app must use at
/// which issuer, and where provisioning stands.
pub(crate) fn event_data(
    install: &installs::Model,
    app_slug: &str,
    server: &servers::Model,
    row: &provisionings::Model,
) -> Value {
    json!({
        "client_id": row.client_id.clone().unwrap_or_else(|| install.client_id.clone()),
        "sidecar_client_id": install.client_id,
        "app": app_slug,
        "status": install.state,
        "scope": install.granted_scope,
        "issuer": server.issuer,
        "authorization_server": server.id,
        "provisioning": {
            "state": row.state,
            "error": row.last_error,
            "error_code": row.error_code,
        },
    })
}
