//! Accounts: sign-up, sign-in, and the account as the rest of the product
//! sees it. Sign-up with a taken email answers exactly as the ordinary case
//! does; the mailbox owner learns what happened by mail. Verification and
//! reset links are in [`super::email_links`].

use domain::{Email, NewPassword, PlatformRole};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use crate::entity::users;
use crate::platform::audit;
use crate::platform::secret::new_id;
use crate::platform::throttle::{ACCOUNT_POLICY, ADDRESS_POLICY};
use crate::{platform::mail, platform::password, Engine, EngineError, EngineResult};

/// The signed-in person as the rest of the product sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub email: String,
    pub platform_role: Option<PlatformRole>,
    pub email_verified: bool,
    pub session_epoch: i32,
}

impl<'a> From<&'a Account> for audit::By<'a> {
    fn from(account: &'a Account) -> Self {
        Self::Person {
            id: &account.id,
            email: &account.email,
        }
    }
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

pub(crate) fn parse_email(input: &str) -> EngineResult<Email> {
    Email::parse(input).map_err(|e| EngineError::invalid("email", e.to_string()))
}

/// Length and the common-password list; the email counts as known.
pub(crate) fn parse_new_password(
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
