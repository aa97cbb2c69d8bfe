//! Provisioning jobs: keeping each install's client at its authorization
//! server in step with the install.
//!
//! A `provisionings` row is the outbox: every registration change raises
//! its `desired_generation` in the change's own transaction ([`desire`]),
//! so a change and its job commit together or not at all. Workers in every
//! replica claim due rows with a lease that expires, run them ([`run`]) and
//! record where the server stands. One row per install means one job in
//! flight per install, and a job always carries the install as it stands
//! when the job runs: older desired states collapse into the newest.

mod backoff;
mod gauge;
mod notify;
mod record;
mod run;
mod worker;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

use crate::entity::{authorization_servers as servers, installs, provisionings};
use crate::platform::secret::random_token;
use crate::EngineResult;

pub use backoff::ProvisioningConfig;
pub(crate) use record::event_data;
pub(crate) use run::secret_binding;
pub use worker::{ProvisioningWorker, WorkerState};

/// Where an install's client at a server stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProvisioningState {
    /// A change waits for a worker.
    Pending,
    /// A worker is calling the server.
    Provisioning,
    /// The server holds the client as Sidecar wants it.
    Active,
    /// A manual server: a tenant admin enters the client by hand.
    AwaitingManual,
    /// The last attempt failed in a way worth trying again.
    Retrying,
    /// Gave up after the backoff; "retry now" starts again.
    Failed,
    /// The server refused the registration; trying again changes nothing.
    Rejected,
    /// The server no longer knows a client Sidecar made there.
    Orphaned,
    /// The client was removed from the server (suspend, revoke).
    Deprovisioned,
}

impl ProvisioningState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Provisioning => "provisioning",
            Self::Active => "active",
            Self::AwaitingManual => "awaiting_manual",
            Self::Retrying => "retrying",
            Self::Failed => "failed",
            Self::Rejected => "rejected",
            Self::Orphaned => "orphaned",
            Self::Deprovisioned => "deprovisioned",
        }
    }

    pub const ALL: [Self; 9] = [
        Self::Pending,
        Self::Provisioning,
        Self::Active,
        Self::AwaitingManual,
        Self::Retrying,
        Self::Failed,
        Self::Rejected,
        Self::Orphaned,
        Self::Deprovisioned,
    ];
}

/// The states a worker picks a job up in (a `provisioning` job whose
/// lease ran out belongs to a worker that died).
pub(super) const WORKABLE: [ProvisioningState; 3] = [
    ProvisioningState::Pending,
    ProvisioningState::Provisioning,
    ProvisioningState::Retrying,
];

/// The `error_code` of a job whose server gave no answer at all.
pub(super) const UNREACHABLE: &str = "unreachable";

/// Records that `install` changed: if it lives at a server Sidecar
/// provisions, its job is due now with the install as it stands. Runs in
/// the change's transaction; `true` when a job was written.
pub(crate) async fn desire(
    conn: &impl ConnectionTrait,
    install: &installs::Model,
    at: DateTime<Utc>,
) -> EngineResult<bool> {
    if install.state == "revoked" {
        crate::provisioning::retiring::hurry(conn, &install.id, at).await?;
    }
    let Some(server_id) = &install.authorization_server_id else {
        return Ok(false);
    };
    let Some(server) = servers::Entity::find_by_id(server_id.clone())
        .one(conn)
        .await?
    else {
        return Ok(false);
    };

    let initial = if server.kind == "manual" {
        ProvisioningState::AwaitingManual
    } else {
        ProvisioningState::Pending
    };
    match provisionings::Entity::find_by_id(install.id.clone())
        .one(conn)
        .await?
    {
        Some(row) => {
            let generation = row.desired_generation + 1;
            let mut row: provisionings::ActiveModel = row.into();
            row.desired_generation = Set(generation);
            row.state = Set(initial.as_str().to_owned());
            row.attempts = Set(0);
            row.next_attempt_at = Set(at);
            row.last_error = Set(None);
            row.error_code = Set(None);
            row.updated_at = Set(at);
            row.update(conn).await?;
        }
        None => {
            provisionings::ActiveModel {
                install_id: Set(install.id.clone()),
                tenant_id: Set(install.tenant_id.clone()),
                server_id: Set(server.id),
                state: Set(initial.as_str().to_owned()),
                desired_generation: Set(1),
                applied_generation: Set(0),
                client_id: Set(None),
                registration_client_uri: Set(None),
                registration_access_token: Set(None),
                client_secret: Set(None),
                tag: Set(new_tag()),
                intent: Set(None),
                attempts: Set(0),
                next_attempt_at: Set(at),
                lease_until: Set(None),
                last_error: Set(None),
                error_code: Set(None),
                possible_orphans: Set(None),
                checked_at: Set(None),
                created_at: Set(at),
                updated_at: Set(at),
            }
            .insert(conn)
            .await?;
        }
    }
    Ok(true)
}

/// A fresh mark for a registration's name: short, and unique enough to
/// tell one registration at a server from another.
pub(crate) fn new_tag() -> String {
    random_token()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(10)
        .collect()
}
