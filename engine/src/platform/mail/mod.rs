//! Outgoing mail: an outbox table written in the same transaction as the
//! change that causes the mail, and a worker that delivers and retries.
//!
//! With an SMTP URL the worker sends through lettre; without one it writes
//! each message to `{data_dir}/mail/<id>.eml` and logs where (never the body:
//! it holds one-time links).

pub mod templates;
mod worker;

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

use crate::entity::mail_outbox;
use crate::platform::secret::new_id;
use crate::{Engine, EngineResult};

pub use worker::MailWorker;

#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `smtp://host:port` (plain, or STARTTLS when `?tls=required`) or
    /// `smtps://host:port`; `None` writes mail to `file_dir`.
    pub smtp_url: Option<String>,
    pub file_dir: PathBuf,
    pub from: String,
}

/// Queues a message; delivery happens after the transaction commits.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    to: &str,
    subject: &str,
    body: &str,
) -> EngineResult<()> {
    mail_outbox::ActiveModel {
        id: Set(new_id("mail")),
        to_address: Set(to.to_owned()),
        subject: Set(subject.to_owned()),
        body_text: Set(body.to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        sent_at: Set(None),
        last_error: Set(None),
        created_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(())
}

impl Engine {
    /// Tells the mail worker there is mail, so it need not wait for its poll.
    pub fn wake_mail_worker(&self) {
        self.mail_ready.notify_one();
    }
}
