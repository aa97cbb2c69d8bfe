//! Accounts: sign-up, email verification, sign-in and password reset.
//!
//! Sign-up with a taken email and a reset for an unknown one answer exactly as
//! the ordinary case does; the mailbox owner learns what happened by mail.
//! One-time tokens are 256 random bits, stored as SHA-256, single-use and
//! expiring.

use chrono::Duration;
use domain::{Email, NewPassword, PlatformRole};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::entity::{email_tokens, users};
use crate::secret::{new_id, random_token, token_hash};
use crate::throttle::{ACCOUNT_POLICY, ADDRESS_POLICY};
use crate::{mail, password, Engine, EngineError, EngineResult};

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

/// The signed-in person as the rest of the product sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub email: String,
    pub platform_role: Option<PlatformRole>,
    pub email_verified: bool,
    pub session_epoch: i32,
}

impl From<users::Model> for Account {
    fn from(user: users::Model) -> Self {
        Self {
            platform_role: user
                .platform_role
                .as_deref()
                .and_then(|role| role.parse().ok()),
            email_verified: user.email_verified_at.is_some(),
            id: user.id,
            email: user.email,
            session_epoch: user.session_epoch,
        }
    }
}

fn parse_email(input: &str) -> EngineResult<Email> {
    Email::parse(input).map_err(|e| EngineError::invalid("email", e.to_string()))
}

/// Length and the common-password list; the email counts as known.
fn parse_new_password(
    input: &str,
    email: &Email,
    field: &'static str,
) -> EngineResult<NewPassword> {
    let password =
        NewPassword::parse(input).map_err(|e| EngineError::invalid(field, e.to_string()))?;
    let local_part = email.as_str().split('@').next().unwrap_or_default();
    password::check_not_common(&password, &[email.as_str(), local_part])
        .map_err(|e| EngineError::invalid(field, e.to_string()))?;
    Ok(password)
}

const INVALID_LINK: &str =
    "This link is invalid, has expired or was already used. Request a new one.";

impl Engine {
    /// Creates an unverified account and mails a verification link. When the
    /// email is taken, mails its owner instead and answers the same.
    pub async fn sign_up(&self, email: &str, password: &str) -> EngineResult<()> {
        let email = parse_email(email)?;
        let password = parse_new_password(password, &email, "password")?;
        // Hash either way, so that both answers take as long.
        let hash = password::hash(password.expose()).await?;
        let now = self.now();
        let existing = self.find_user_by_email(&email).await?;
        let txn = self.begin_write().await?;
        match existing {
            Some(user) => {
                let body = mail::templates::signup_with_existing_account(
                    &self.link("/login"),
                    &self.link("/forgot-password"),
                );
                mail::enqueue(
                    &txn,
                    now,
                    &user.email,
                    "Someone tried to sign up with your email",
                    &body,
                )
                .await?;
            }
            None => {
                let user = users::ActiveModel {
                    id: Set(new_id("usr")),
                    email: Set(email.to_string()),
                    password_hash: Set(hash),
                    email_verified_at: Set(None),
                    platform_role: Set(None),
                    session_epoch: Set(0),
                    created_at: Set(now),
                    updated_at: Set(now),
                };
                let user = match user.insert(&txn).await {
                    Ok(user) => user,
                    // Lost a race with a concurrent sign-up for the same email:
                    // that one's mail goes out; answer the same.
                    Err(e)
                        if matches!(
                            e.sql_err(),
                            Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                        ) =>
                    {
                        return Ok(())
                    }
                    Err(e) => return Err(e.into()),
                };
                self.mail_verification_link(&txn, &user).await?;
            }
        }
        txn.commit().await?;
        self.wake_mail_worker();
        Ok(())
    }

    async fn mail_verification_link(
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

    /// Checks email and password, throttled per account and per client
    /// address. Every wrong combination gets the same message.
    pub async fn log_in(
        &self,
        email: &str,
        password: &str,
        client_ip: &str,
    ) -> EngineResult<Account> {
        let ip_key = format!("ip:{client_ip}");
        let email = parse_email(email)?;
        let account_key = format!("account:{email}");
        self.check_throttle(&[&account_key, &ip_key]).await?;
        if password.is_empty() {
            return Err(EngineError::invalid("password", "Enter your password."));
        }
        if password.chars().count() > NewPassword::MAX_CHARS {
            return Err(EngineError::Unauthenticated(
                "Email or password is incorrect.".into(),
            ));
        }
        let user = self.find_user_by_email(&email).await?;
        let matches =
            password::verify(password, user.as_ref().map(|u| u.password_hash.as_str())).await?;
        let user = match (user, matches) {
            (Some(user), true) => user,
            _ => {
                self.record_failure(&account_key, ACCOUNT_POLICY).await?;
                self.record_failure(&ip_key, ADDRESS_POLICY).await?;
                return Err(EngineError::Unauthenticated(
                    "Email or password is incorrect.".into(),
                ));
            }
        };
        if user.email_verified_at.is_none() {
            self.mail_verification_link(self.db(), &user).await?;
            self.wake_mail_worker();
            return Err(EngineError::invalid(
                "email",
                "Confirm your email address first: we have sent you a new link.",
            ));
        }
        self.clear_failures(&account_key).await?;
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

    pub async fn find_user_by_email(&self, email: &Email) -> EngineResult<Option<users::Model>> {
        Ok(users::Entity::find()
            .filter(users::Column::Email.eq(email.as_str()))
            .one(self.db())
            .await?)
    }

    pub async fn account(&self, user_id: &str) -> EngineResult<Option<Account>> {
        Ok(users::Entity::find_by_id(user_id.to_owned())
            .one(self.db())
            .await?
            .map(Account::from))
    }

    /// For the command line: a verified account with an optional platform
    /// role. An existing account gets the new password and role.
    pub async fn create_verified_user(
        &self,
        email: &str,
        password: &str,
        role: Option<PlatformRole>,
    ) -> EngineResult<Account> {
        let email = parse_email(email)?;
        let password = parse_new_password(password, &email, "password")?;
        let hash = password::hash(password.expose()).await?;
        let now = self.now();
        let txn = self.begin_write().await?;
        let existing = users::Entity::find()
            .filter(users::Column::Email.eq(email.as_str()))
            .one(&txn)
            .await?;
        let user = match existing {
            Some(user) => {
                let epoch = user.session_epoch.wrapping_add(1);
                let mut active: users::ActiveModel = user.into();
                active.password_hash = Set(hash);
                active.platform_role = Set(role.map(|r| r.as_str().to_owned()));
                active.email_verified_at = Set(Some(now));
                active.session_epoch = Set(epoch);
                active.updated_at = Set(now);
                active.update(&txn).await?
            }
            None => {
                users::ActiveModel {
                    id: Set(new_id("usr")),
                    email: Set(email.to_string()),
                    password_hash: Set(hash),
                    email_verified_at: Set(Some(now)),
                    platform_role: Set(role.map(|r| r.as_str().to_owned())),
                    session_epoch: Set(0),
                    created_at: Set(now),
                    updated_at: Set(now),
                }
                .insert(&txn)
                .await?
            }
        };
        self.accept_invitations(&txn, &user).await?;
        txn.commit().await?;
        Ok(user.into())
    }
}
