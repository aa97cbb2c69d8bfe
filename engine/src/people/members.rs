//! Members of publisher organisations: listing and inviting by email.
//!
//! Owners and admins invite; only an owner may make another owner. An
//! existing account becomes a member at once (and is told by mail); an
//! unknown email gets an invitation that turns into a membership once the
//! address is verified at sign-up.

use domain::{Email, PublisherRole};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use crate::entity::{publisher_members, publishers, users};
use crate::people::accounts::Account;
use crate::{platform::mail, Engine, EngineError, EngineResult};

/// A member or a pending invitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub email: String,
    pub role: PublisherRole,
    /// `false` while the invitation waits for sign-up.
    pub active: bool,
}

/// What an invitation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invited {
    /// The account existed and is now a member.
    Added,
    /// No account yet: an invitation was mailed.
    Invited,
}

fn parse_role(role: &str) -> EngineResult<PublisherRole> {
    role.parse()
        .map_err(|e: String| EngineError::invalid("role", e))
}

impl Engine {
    /// `account`'s role in `publisher`, if a member.
    pub(crate) async fn role_in(
        &self,
        publisher: &publishers::Model,
        account: &Account,
    ) -> EngineResult<Option<PublisherRole>> {
        let member =
            publisher_members::Entity::find_by_id((publisher.id.clone(), account.id.clone()))
                .one(self.db())
                .await?;
        member.map(|m| parse_role(&m.role)).transpose()
    }

    /// The publisher by slug and the caller's role in it; for anyone who is
    /// not a member it does not exist.
    pub(crate) async fn member_publisher(
        &self,
        account: &Account,
        slug: &str,
    ) -> EngineResult<(publishers::Model, PublisherRole)> {
        let not_found = || {
            EngineError::not_found(format!(
                "You are not a member of a publisher organisation `{slug}`."
            ))
        };
        let publisher = publishers::Entity::find()
            .filter(publishers::Column::Slug.eq(slug))
            .one(self.db())
            .await?
            .ok_or_else(not_found)?;
        let role = self
            .role_in(&publisher, account)
            .await?
            .ok_or_else(not_found)?;
        Ok((publisher, role))
    }

    /// Members and pending invitations, by email.
    pub async fn list_publisher_members(
        &self,
        account: &Account,
        slug: &str,
    ) -> EngineResult<Vec<Member>> {
        let (publisher, _) = self.member_publisher(account, slug).await?;
        let mut out = Vec::new();
        for member in publisher_members::Entity::find()
            .filter(publisher_members::Column::PublisherId.eq(publisher.id.clone()))
            .all(self.db())
            .await?
        {
            if let Some(user) = users::Entity::find_by_id(member.user_id.clone())
                .one(self.db())
                .await?
            {
                out.push(Member {
                    email: user.email,
                    role: parse_role(&member.role)?,
                    active: true,
                });
            }
        }
        for invitation in
            crate::people::invitations::pending(self.db(), "publisher", &publisher.id).await?
        {
            out.push(Member {
                email: invitation.email,
                role: parse_role(&invitation.role)?,
                active: false,
            });
        }
        out.sort_by(|a, b| a.email.cmp(&b.email));
        Ok(out)
    }

    /// Invites `email` to the publisher with `role`.
    pub async fn invite_publisher_member(
        &self,
        account: &Account,
        slug: &str,
        email: &str,
        role: &str,
    ) -> EngineResult<Invited> {
        let (publisher, caller_role) = self.member_publisher(account, slug).await?;
        let email =
            Email::parse(email).map_err(|e| EngineError::invalid("email", e.to_string()))?;
        let role = parse_role(role)?;
        match (caller_role, role) {
            (PublisherRole::Developer, _) => {
                return Err(EngineError::Forbidden(
                    "Only owners and admins invite members.".into(),
                ))
            }
            (PublisherRole::Admin, PublisherRole::Owner) => {
                return Err(EngineError::Forbidden(
                    "Only an owner can make another owner.".into(),
                ))
            }
            _ => {}
        }
        let members = self.list_publisher_members(account, slug).await?;
        if members.iter().any(|m| m.email == email.as_str()) {
            return Err(EngineError::conflict(
                "email",
                format!("{email} is already a member or invited."),
            ));
        }
        let now = self.now();
        let txn = self.begin_write().await?;
        let existing = users::Entity::find()
            .filter(users::Column::Email.eq(email.as_str()))
            .one(&txn)
            .await?;
        let outcome = match existing {
            Some(user) if user.email_verified_at.is_some() => {
                publisher_members::ActiveModel {
                    publisher_id: Set(publisher.id.clone()),
                    user_id: Set(user.id),
                    role: Set(role.as_str().to_owned()),
                    created_at: Set(now),
                }
                .insert(&txn)
                .await?;
                let body = mail::templates::added_to_organisation(
                    &publisher.name,
                    role.as_str(),
                    &self.link("/dev"),
                );
                mail::enqueue(
                    &txn,
                    now,
                    email.as_str(),
                    &format!("You are now a member of {} on Sidecar", publisher.name),
                    &body,
                )
                .await?;
                Invited::Added
            }
            _ => {
                self.invite(
                    &txn,
                    "publisher",
                    &publisher.id,
                    &publisher.name,
                    &email,
                    role.as_str(),
                )
                .await?;
                Invited::Invited
            }
        };
        txn.commit().await?;
        self.wake_mail_worker();
        Ok(outcome)
    }
}
