//! Client assertions are good once: each `jti` is checked against the ones
//! this process saw and recorded in the database behind the answer, in
//! batches; one another process already used is caught there, and the
//! token issued on it is revoked at once.

use std::sync::atomic::Ordering;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use crate::authz::{OAuthError, OAuthResult};
use crate::{Engine, EngineResult};

/// A used assertion on its way to the database, with the token issued on
/// it (to be revoked if the database knew the assertion already).
pub(super) struct UsedAssertion {
    pub(super) id: String,
    pub(super) expires_at: i64,
    pub(super) tenant_id: String,
    /// The token issued on it: its `jti` and expiry.
    pub(super) token: Option<(String, i64)>,
}

/// How many used assertions one insert records.
const BATCH: usize = 500;
/// How long the recorder waits for more used assertions before it writes.
const GATHER: std::time::Duration = std::time::Duration::from_millis(20);

fn assertion_key(client_id: &str, jti: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(client_id.as_bytes());
    hash.update([0]);
    hash.update(jti.as_bytes());
    hex::encode(hash.finalize())
}

impl Engine {
    /// The assertion's key, the first time this process sees it; a replay
    /// is refused.
    pub(super) fn first_use(
        &self,
        client_id: &str,
        jti: &str,
        expires_at: i64,
    ) -> OAuthResult<String> {
        let key = assertion_key(client_id, jti);
        let now = self.now().timestamp();
        let mut used = self
            .token_state()
            .used
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if used.len() > 100_000 {
            used.retain(|_, exp| *exp + 60 >= now);
        }
        if used.contains_key(&key) {
            return Err(OAuthError::invalid_client(
                "This client assertion was used before: make a new one, with a new `jti`, for each request.",
            ));
        }
        used.insert(key.clone(), expires_at);
        Ok(key)
    }

    /// Queues a used assertion for the database (see the module docs).
    pub(super) fn record_assertion(&self, used: UsedAssertion) {
        let sender = self.token_state().recorder.get_or_init(|| {
            let (sender, receiver) = mpsc::unbounded_channel();
            tokio::spawn(self.clone().assertion_recorder(receiver));
            sender
        });
        if sender.send(used).is_err() {
            tracing::error!("the assertion recorder has stopped");
        }
    }

    async fn assertion_recorder(self, mut receiver: mpsc::UnboundedReceiver<UsedAssertion>) {
        let mut batch = Vec::with_capacity(BATCH);
        while receiver.recv_many(&mut batch, BATCH).await > 0 {
            // What arrives in the next moment joins the batch: under load
            // the database then sees a few large inserts a second, not
            // one small one (and its commit) per handful of tokens.
            let until = tokio::time::Instant::now() + GATHER;
            while batch.len() < BATCH {
                let room = BATCH - batch.len();
                let more = receiver.recv_many(&mut batch, room);
                match tokio::time::timeout_at(until, more).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
            if let Err(e) = self.store_assertions(&batch).await {
                tracing::error!(error = %format!("{e:#}"), "recording used client assertions failed");
            }
            batch.clear();
        }
    }

    /// Inserts the batch; an assertion the database already had was a
    /// replay, and the token issued on it is revoked.
    async fn store_assertions(&self, batch: &[UsedAssertion]) -> EngineResult<()> {
        let backend = self.db().get_database_backend();
        let mut sql = crate::platform::sql::Sql::new(backend);
        sql.push("INSERT INTO used_assertions (id, expires_at) VALUES ");
        for (i, used) in batch.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            let at = DateTime::<Utc>::from_timestamp(used.expires_at, 0).unwrap_or_default();
            sql.push("(")
                .bind(used.id.clone())
                .push(", ")
                .bind(at)
                .push(")");
        }
        sql.push(" ON CONFLICT (id) DO NOTHING RETURNING id");
        let stored: std::collections::HashSet<String> = self
            .db()
            .query_all(sql.build())
            .await?
            .iter()
            .map(|row| row.try_get::<String>("", "id"))
            .collect::<Result<_, _>>()?;
        for replay in batch.iter().filter(|u| !stored.contains(&u.id)) {
            tracing::warn!(tenant = %replay.tenant_id, "a client assertion was used twice; what it got the second time is revoked");
            if let Some((jti, exp)) = &replay.token {
                self.revoke_jti(&replay.tenant_id, jti, *exp).await?;
            }
        }
        // Expired assertions can go, once a minute.
        let now = self.now();
        let swept = &self.token_state().swept_at;
        if now.timestamp() - swept.load(Ordering::Relaxed) >= 60 {
            swept.store(now.timestamp(), Ordering::Relaxed);
            crate::entity::used_assertions::Entity::delete_many()
                .filter(
                    crate::entity::used_assertions::Column::ExpiresAt
                        .lt(now - chrono::Duration::minutes(2)),
                )
                .exec(self.db())
                .await?;
        }
        Ok(())
    }
}
