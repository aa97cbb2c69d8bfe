//! Clients Sidecar no longer uses, deleted at their server once it may:
//! after an install moved to another server, when the new client is in
//! place; after a secret rotation that needed a new registration, when the
//! grace period ends and the new client is in place. Until then the old
//! client keeps working, so the app is never without one.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;
use url::Url;

use crate::entity::{authorization_servers as servers, installs, provisionings, retiring_clients};
use crate::platform::audit;
use crate::platform::secret::new_id;
use crate::provisioning::client::{self, Failure};
use crate::provisioning::jobs::ProvisioningState as S;
use crate::{Engine, EngineResult};

/// Why a client retires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    Moved,
    Rotated,
}

impl Reason {
    fn as_str(self) -> &'static str {
        match self {
            Reason::Moved => "moved",
            Reason::Rotated => "rotated",
        }
    }
}

/// How long a retirement whose new client is not in place yet waits
/// before it looks again.
const NOT_YET: i64 = 30;

/// Puts `row`'s client (if it has one) on the list to delete after
/// `retire_after`, in the caller's transaction. The sealed registration
/// access token moves as it is: it is bound to the install, not the row.
pub(crate) async fn retire(
    conn: &impl ConnectionTrait,
    row: &provisionings::Model,
    reason: Reason,
    retire_after: DateTime<Utc>,
    now: DateTime<Utc>,
) -> EngineResult<()> {
    let Some(client_id) = &row.client_id else {
        return Ok(());
    };
    retiring_clients::ActiveModel {
        id: Set(new_id("ret")),
        install_id: Set(row.install_id.clone()),
        tenant_id: Set(row.tenant_id.clone()),
        server_id: Set(row.server_id.clone()),
        client_id: Set(client_id.clone()),
        registration_client_uri: Set(row.registration_client_uri.clone()),
        registration_access_token: Set(row.registration_access_token.clone()),
        reason: Set(reason.as_str().to_owned()),
        retire_after: Set(retire_after),
        attempts: Set(0),
        next_attempt_at: Set(retire_after),
        lease_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// A revoked install keeps no client anywhere: its retiring clients go now.
pub(crate) async fn hurry(
    conn: &impl ConnectionTrait,
    install_id: &str,
    now: DateTime<Utc>,
) -> EngineResult<()> {
    retiring_clients::Entity::update_many()
        .col_expr(retiring_clients::Column::RetireAfter, Expr::value(now))
        .col_expr(retiring_clients::Column::NextAttemptAt, Expr::value(now))
        .filter(retiring_clients::Column::InstallId.eq(install_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// What became of one retiring client.
enum Retired {
    /// Deleted, already gone, or to be deleted by hand (with why).
    Done { by_hand: Option<String> },
    /// Not yet: the new client is not in place.
    NotYet,
    /// The server did not answer as hoped; try again later.
    Again(Failure),
}

impl Engine {
    /// Deletes the retiring clients that are due; how many were looked at.
    pub(crate) async fn retire_due(&self) -> EngineResult<usize> {
        let now = self.now();
        let due = retiring_clients::Entity::find()
            .filter(retiring_clients::Column::NextAttemptAt.lte(now))
            .filter(
                Condition::any()
                    .add(retiring_clients::Column::LeaseUntil.is_null())
                    .add(retiring_clients::Column::LeaseUntil.lt(now)),
            )
            .order_by_asc(retiring_clients::Column::NextAttemptAt)
            .limit(100)
            .all(self.db())
            .await?;
        let n = due.len();
        for row in due {
            self.retire_one(row).await?;
        }
        Ok(n)
    }

    async fn retire_one(&self, row: retiring_clients::Model) -> EngineResult<()> {
        let now = self.now();
        let lease =
            now + Duration::from_std(self.config().provisioning.lease).unwrap_or(Duration::MAX);
        let claimed = retiring_clients::Entity::update_many()
            .col_expr(retiring_clients::Column::LeaseUntil, Expr::value(lease))
            .filter(retiring_clients::Column::Id.eq(row.id.clone()))
            .filter(retiring_clients::Column::NextAttemptAt.lte(now))
            .filter(
                Condition::any()
                    .add(retiring_clients::Column::LeaseUntil.is_null())
                    .add(retiring_clients::Column::LeaseUntil.lt(now)),
            )
            .exec(self.db())
            .await?;
        if claimed.rows_affected != 1 {
            return Ok(());
        }
        let outcome = self.delete_retiring(&row).await?;
        let txn = self.begin_write().await?;
        let mine = Condition::all()
            .add(retiring_clients::Column::Id.eq(row.id.clone()))
            .add(retiring_clients::Column::LeaseUntil.eq(lease));
        match outcome {
            Retired::Done { by_hand } => {
                let gone = retiring_clients::Entity::delete_many()
                    .filter(mine)
                    .exec(&txn)
                    .await?;
                if gone.rows_affected == 1 {
                    let server = servers::Entity::find_by_id(row.server_id.clone())
                        .one(&txn)
                        .await?
                        .map(|s| s.name)
                        .unwrap_or_default();
                    audit::record(
                        &txn,
                        now,
                        audit::Event {
                            actor: None,
                            tenant_id: Some(&row.tenant_id),
                            publisher_id: None,
                            action: "provisioning.retired",
                            target_type: "install",
                            target_id: &row.install_id,
                            detail: json!({
                                "client_id": row.client_id,
                                "server": server,
                                "reason": row.reason,
                                "by_hand": by_hand,
                            }),
                        },
                    )
                    .await?;
                }
            }
            Retired::NotYet => {
                retiring_clients::Entity::update_many()
                    .col_expr(
                        retiring_clients::Column::LeaseUntil,
                        Expr::value(None::<DateTime<Utc>>),
                    )
                    .col_expr(
                        retiring_clients::Column::NextAttemptAt,
                        Expr::value(now + Duration::seconds(NOT_YET)),
                    )
                    .filter(mine)
                    .exec(&txn)
                    .await?;
            }
            Retired::Again(failure) => {
                let attempts = row.attempts + 1;
                let retry_after = match &failure {
                    Failure::Transient { retry_after, .. } => *retry_after,
                    _ => None,
                };
                let wait = self.config().provisioning.wait(attempts, retry_after);
                retiring_clients::Entity::update_many()
                    .col_expr(
                        retiring_clients::Column::LeaseUntil,
                        Expr::value(None::<DateTime<Utc>>),
                    )
                    .col_expr(retiring_clients::Column::Attempts, Expr::value(attempts))
                    .col_expr(
                        retiring_clients::Column::LastError,
                        Expr::value(failure.message()),
                    )
                    .col_expr(
                        retiring_clients::Column::NextAttemptAt,
                        Expr::value(now + Duration::from_std(wait).unwrap_or(Duration::MAX)),
                    )
                    .filter(mine)
                    .exec(&txn)
                    .await?;
            }
        }
        txn.commit().await?;
        Ok(())
    }

    /// Is the install's new client in place (or is none wanted)?
    async fn successor_ready(&self, row: &retiring_clients::Model) -> EngineResult<bool> {
        let install = installs::Entity::find_by_id(row.install_id.clone())
            .one(self.db())
            .await?;
        let Some(install) = install.filter(|i| i.state == "active") else {
            return Ok(true);
        };
        if install.authorization_server_id.is_none() {
            return Ok(true);
        }
        let current = provisionings::Entity::find_by_id(row.install_id.clone())
            .one(self.db())
            .await?;
        Ok(current.is_none_or(|p| p.state == S::Active.as_str()))
    }

    async fn delete_retiring(&self, row: &retiring_clients::Model) -> EngineResult<Retired> {
        if !self.successor_ready(row).await? {
            return Ok(Retired::NotYet);
        }
        let max = self.config().provisioning.max_attempts;
        let server = servers::Entity::find_by_id(row.server_id.clone())
            .one(self.db())
            .await?;
        let (Some(server), Some(uri), Some(sealed_token)) = (
            server,
            row.registration_client_uri.as_deref(),
            row.registration_access_token.as_deref(),
        ) else {
            return Ok(Retired::Done {
                by_hand: Some(format!(
                    "Sidecar cannot manage `{}` at that server: delete it there by hand.",
                    row.client_id
                )),
            });
        };
        let target = Url::parse(&server.issuer)
            .map_err(|_| Failure::Refused {
                message: "the server's issuer is not a URL".into(),
            })
            .and_then(|issuer| client::at_issuer(&issuer, uri));
        let uri = match target {
            Ok(uri) => uri,
            Err(failure) => {
                return Ok(Retired::Done {
                    by_hand: Some(failure.message()),
                })
            }
        };
        let token = self.registration_token_of(&row.install_id, sealed_token)?;
        Ok(
            match client::delete(&self.config().fetch, &uri, &token).await {
                Ok(()) | Err(Failure::Gone { .. }) => Retired::Done { by_hand: None },
                Err(Failure::DeleteNotAllowed) => Retired::Done {
                    by_hand: Some(format!(
                        "The server does not allow clients to be deleted (HTTP 405): delete `{}` there by hand.",
                        row.client_id
                    )),
                },
                Err(failure) if row.attempts + 1 >= max => Retired::Done {
                    by_hand: Some(format!(
                        "Gave up deleting `{}` after {max} attempts ({}): delete it there by hand.",
                        row.client_id,
                        failure.message()
                    )),
                },
                Err(failure) => Retired::Again(failure),
            },
        )
    }
}
