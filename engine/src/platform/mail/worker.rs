//! Delivers queued mail, with retries and exponential backoff.
//!
//! A row is claimed by setting `locked_until` with a conditional update, so
//! that several server replicas can run workers over one database and each
//! message is sent by one of them.

use std::time::Duration as StdDuration;

use anyhow::Context;
use chrono::Duration;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::MailConfig;
use crate::entity::mail_outbox;
use crate::Engine;

const CLAIM_FOR: Duration = Duration::minutes(2);
const MAX_ATTEMPTS: i32 = 12;
const POLL: StdDuration = StdDuration::from_secs(5);
const BATCH: u64 = 20;

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(std::path::PathBuf),
}

pub struct MailWorker {
    engine: Engine,
    transport: Transport,
    from: lettre::message::Mailbox,
}

impl MailWorker {
    /// Must be called inside a tokio runtime (lettre's pool spawns on it).
    pub fn new(engine: Engine, config: &MailConfig) -> anyhow::Result<Self> {
        let transport = match &config.smtp_url {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .context("SMTP_URL is not a valid SMTP URL")?
                    .timeout(Some(StdDuration::from_secs(20)))
                    .build(),
            ),
            None => Transport::Files(config.file_dir.clone()),
        };
        let from = config
            .from
            .parse()
            .with_context(|| format!("mail sender `{}` is not a valid address", config.from))?;
        Ok(Self {
            engine,
            transport,
            from,
        })
    }

    /// Runs until the process ends: delivers what is due, then waits for a
    /// wake-up or the next poll.
    pub async fn run(self) {
        loop {
            match self.deliver_due().await {
                Ok(sent) if sent > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::error!(error = %format!("{e:#}"), "mail worker pass failed"),
            }
            let _ = tokio::time::timeout(POLL, self.engine.mail_ready.notified()).await;
        }
    }

    /// Delivers every message that is due now; returns how many were sent.
    pub async fn deliver_due(&self) -> anyhow::Result<usize> {
        let now = self.engine.now();
        let due = mail_outbox::Entity::find()
            .filter(mail_outbox::Column::SentAt.is_null())
            .filter(mail_outbox::Column::Attempts.lt(MAX_ATTEMPTS))
            .filter(mail_outbox::Column::NextAttemptAt.lte(now))
            .filter(
                Condition::any()
                    .add(mail_outbox::Column::LockedUntil.is_null())
                    .add(mail_outbox::Column::LockedUntil.lt(now)),
            )
            .order_by_asc(mail_outbox::Column::NextAttemptAt)
            .limit(BATCH)
            .all(self.engine.db())
            .await
            .context("could not read the mail outbox")?;
        let mut sent = 0;
        for row in due {
            if !self.claim(&row).await? {
                continue;
            }
            match self.deliver(&row).await {
                Ok(()) => {
                    mail_outbox::Entity::update_many()
                        .col_expr(mail_outbox::Column::SentAt, Expr::value(self.engine.now()))
                        .col_expr(mail_outbox::Column::Attempts, Expr::value(row.attempts + 1))
                        .col_expr(
                            mail_outbox::Column::LockedUntil,
                            Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
                        )
                        .filter(mail_outbox::Column::Id.eq(row.id.clone()))
                        .exec(self.engine.db())
                        .await
                        .context("could not mark mail as sent")?;
                    tracing::info!(mail_id = %row.id, to = %row.to_address, subject = %row.subject, "mail delivered");
                    sent += 1;
                }
                Err(e) => {
                    let attempts = row.attempts + 1;
                    // 30 s, 1 min, 2 min … capped at 1 h.
                    let backoff = Duration::seconds((30i64 << attempts.clamp(0, 7)).min(3600));
                    mail_outbox::Entity::update_many()
                        .col_expr(mail_outbox::Column::Attempts, Expr::value(attempts))
                        .col_expr(
                            mail_outbox::Column::NextAttemptAt,
                            Expr::value(self.engine.now() + backoff),
                        )
                        .col_expr(
                            mail_outbox::Column::LastError,
                            Expr::value(format!("{e:#}")),
                        )
                        .col_expr(
                            mail_outbox::Column::LockedUntil,
                            Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
                        )
                        .filter(mail_outbox::Column::Id.eq(row.id.clone()))
                        .exec(self.engine.db())
                        .await
                        .context("could not record a mail failure")?;
                    tracing::warn!(mail_id = %row.id, attempts, error = %format!("{e:#}"), "mail delivery failed; will retry");
                }
            }
        }
        Ok(sent)
    }

    async fn claim(&self, row: &mail_outbox::Model) -> anyhow::Result<bool> {
        let now = self.engine.now();
        let result = mail_outbox::Entity::update_many()
            .col_expr(
                mail_outbox::Column::LockedUntil,
                Expr::value(now + CLAIM_FOR),
            )
            .filter(mail_outbox::Column::Id.eq(row.id.clone()))
            .filter(mail_outbox::Column::SentAt.is_null())
            .filter(
                Condition::any()
                    .add(mail_outbox::Column::LockedUntil.is_null())
                    .add(mail_outbox::Column::LockedUntil.lt(now)),
            )
            .exec(self.engine.db())
            .await
            .context("could not claim a mail")?;
        Ok(result.rows_affected == 1)
    }

    async fn deliver(&self, row: &mail_outbox::Model) -> anyhow::Result<()> {
        let to = row
            .to_address
            .parse()
            .with_context(|| format!("recipient `{}` is not a valid address", row.to_address))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(row.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(row.body_text.clone())
            .context("could not build the message")?;
        match &self.transport {
            Transport::Smtp(smtp) => {
                smtp.send(message).await.context("SMTP delivery failed")?;
            }
            Transport::Files(dir) => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .with_context(|| format!("could not create {}", dir.display()))?;
                let path = dir.join(format!("{}.eml", row.id));
                tokio::fs::write(&path, message.formatted())
                    .await
                    .with_context(|| format!("could not write {}", path.display()))?;
                tracing::info!(to = %row.to_address, subject = %row.subject, file = %path.display(), "no SMTP_URL: mail written to a file");
            }
        }
        Ok(())
    }
}
