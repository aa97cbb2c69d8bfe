//! One-time links by mail: verifying an address and resetting a password.
//! Tokens are 256 random bits, stored as SHA-256, single-use and expiring;
//! a reset for an unknown address answers exactly as for a known one.

use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::entity::{email_tokens, users};
use crate::people::accounts::{parse_email, parse_new_password, Account};
use crate::platform::secret::{new_id, random_token, token_hash};
use crate::{platform::mail, platform::password, Engine, EngineError, EngineResult};

pub const VERIFY_TTL: Duration = Duration::hours(24);
pub const RESET_TTL: Duration = Duration::hours(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Verify,
    Reset,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Verify => "verify",
            Purpose::Reset => "reset",
        }
    }
}

const INVALID_LINK: &str =
    "This link is invalid, has expired or was already used. Request a new one.";

impl Engine {
    pub(super) async fn mail_verification_link(
        &self,
        conn: &impl ConnectionTrait,
        user: &users::Model,
    ) -> EngineResult<()> {
        let token = self
            .issue_email_token(conn, &user.id, Purpose::Verify, VERIFY_TTL)
            .await?;
        let link = self.link(&format!("/verify-email?token={token}"));
        mail::enqueue(
            conn,
            self.now(),
            &user.email,
            "Confirm your email for Sidecar",
            &mail::templates::verify_email(&link),
        )
        .await?;
        Ok(())
    }

    async fn issue_email_token(
        &self,
        conn: &impl ConnectionTrait,
        user_id: &str,
        purpose: Purpose,
        ttl: Duration,
    ) -> EngineResult<String> {
        let token = random_token();
        let now = self.now();
        email_tokens::ActiveModel {
            id: Set(new_id("etk")),
            user_id: Set(user_id.to_owned()),
            purpose: Set(purpose.as_str().to_owned()),
            token_hash: Set(token_hash(&token)),
            expires_at: Set(now + ttl),
            used_at: Set(None),
            created_at: Set(now),
        }
        .insert(conn)
        .await?;
        Ok(token)
    }

    /// Is `token` a live one-time token of this purpose? Does not use it.
    async fn find_live_token(
        &self,
        token: &str,
        purpose: Purpose,
    ) -> EngineResult<Option<email_tokens::Model>> {
        let row = email_tokens::Entity::find()
            .filter(email_tokens::Column::TokenHash.eq(token_hash(token.trim())))
            .filter(email_tokens::Column::Purpose.eq(purpose.as_str()))
            .one(self.db())
            .await?;
        Ok(row.filter(|row| row.used_at.is_none() && row.expires_at > self.now()))
    }

    /// Marks the token used, once: of two concurrent uses only one wins.
    async fn consume_token(
        &self,
        conn: &impl ConnectionTrait,
        row: &email_tokens::Model,
    ) -> EngineResult<()> {
        let result = email_tokens::Entity::update_many()
            .col_expr(email_tokens::Column::UsedAt, Expr::value(self.now()))
            .filter(email_tokens::Column::Id.eq(row.id.clone()))
            .filter(email_tokens::Column::UsedAt.is_null())
            .exec(conn)
            .await?;
        if result.rows_affected != 1 {
            return Err(EngineError::invalid("token", INVALID_LINK));
        }
        Ok(())
    }

    /// Confirms the email address behind a verification link.
    pub async fn verify_email(&self, token: &str) -> EngineResult<Account> {
        let row = self
            .find_live_token(token, Purpose::Verify)
            .await?
            .ok_or_else(|| EngineError::invalid("token", INVALID_LINK))?;
        let txn = self.begin_write().await?;
        self.consume_token(&txn, &row).await?;
        let user = users::Entity::find_by_id(row.user_id.clone())
            .one(&txn)
            .await?
            .ok_or_else(|| EngineError::invalid("token", INVALID_LINK))?;
        let user = if user.email_verified_at.is_none() {
            let mut active: users::ActiveModel = user.into();
            active.email_verified_at = Set(Some(self.now()));
            active.updated_at = Set(self.now());
            active.update(&txn).await?
        } else {
            user
        };
        self.accept_invitations(&txn, &user).await?;
        txn.commit().await?;
        Ok(user.into())
    }

    /// Mails a reset link when the account exists; answers the same when not.
    pub async fn request_password_reset(&self, email: &str) -> EngineResult<()> {
        let email = parse_email(email)?;
        if let Some(user) = self.find_user_by_email(&email).await? {
            let txn = self.begin_write().await?;
            let token = self
                .issue_email_token(&txn, &user.id, Purpose::Reset, RESET_TTL)
                .await?;
            let link = self.link(&format!("/reset-password?token={token}"));
            mail::enqueue(
                &txn,
                self.now(),
                &user.email,
                "Reset your Sidecar password",
                &mail::templates::reset_password(&link),
            )
            .await?;
            txn.commit().await?;
            self.wake_mail_worker();
        }
        Ok(())
    }

    /// Is this reset link still good? For showing the form.
    pub async fn reset_token_is_live(&self, token: &str) -> EngineResult<bool> {
        Ok(self.find_live_token(token, Purpose::Reset).await?.is_some())
    }

    /// Sets a new password from a reset link. Ends every existing session of
    /// the account and confirms the email (the link proved the mailbox).
    pub async fn reset_password(&self, token: &str, new_password: &str) -> EngineResult<Account> {
        let row = self
            .find_live_token(token, Purpose::Reset)
            .await?
            .ok_or_else(|| EngineError::invalid("token", INVALID_LINK))?;
        let user = users::Entity::find_by_id(row.user_id.clone())
            .one(self.db())
            .await?
            .ok_or_else(|| EngineError::invalid("token", INVALID_LINK))?;
        let email = parse_email(&user.email)?;
        let password = parse_new_password(new_password, &email, "password")?;
        let hash = password::hash(password.expose()).await?;
        let now = self.now();
        let txn = self.begin_write().await?;
        self.consume_token(&txn, &row).await?;
        let epoch = user.session_epoch.wrapping_add(1);
        let verified = user.email_verified_at.or(Some(now));
        let mut active: users::ActiveModel = user.into();
        active.password_hash = Set(hash);
        active.session_epoch = Set(epoch);
        active.email_verified_at = Set(verified);
        active.updated_at = Set(now);
        let user = active.update(&txn).await?;
        self.accept_invitations(&txn, &user).await?;
        txn.commit().await?;
        self.clear_failures(&format!("account:{}", user.email))
            .await?;
        Ok(user.into())
    }
}
