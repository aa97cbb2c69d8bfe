//! Publisher organisations: creating one (its creator becomes the owner)
//! and listing the caller's. Members are in [`super::members`].

use chrono::{DateTime, Utc};
use domain::{PlatformRole, PublisherRole, Slug};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use super::Event;
use crate::entity::{publisher_members, publishers};
use crate::people::accounts::Account;
use crate::platform::secret::new_id;
use crate::{Engine, EngineError, EngineResult};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublisherMembership {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub role: PublisherRole,
    pub created_at: DateTime<Utc>,
}

pub(crate) fn require_platform_admin(account: &Account) -> EngineResult<()> {
    match account.platform_role {
        Some(PlatformRole::Admin) => Ok(()),
        _ => Err(EngineError::Forbidden(
            "Only the platform's admins manage tenants.".into(),
        )),
    }
}

pub(crate) fn parse_slug(input: &str) -> EngineResult<Slug> {
    Slug::parse(input).map_err(|e| EngineError::invalid("slug", e.to_string()))
}

pub(crate) fn parse_name(input: &str) -> EngineResult<String> {
    let name = input.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(EngineError::invalid(
            "name",
            "Give a name of 1 to 120 characters.",
        ));
    }
    Ok(name.to_owned())
}

impl Engine {
    /// Creates a publisher organisation with `account` as its owner.
    pub async fn create_publisher(
        &self,
        account: &Account,
        slug: &str,
        name: &str,
    ) -> EngineResult<PublisherMembership> {
        let slug = parse_slug(slug)?;
        let name = parse_name(name)?;
        let now = self.now();
        let txn = self.begin_write().await?;
        if publishers::Entity::find()
            .filter(publishers::Column::Slug.eq(slug.as_str()))
            .one(&txn)
            .await?
            .is_some()
        {
            return Err(EngineError::conflict(
                "slug",
                format!("The slug `{slug}` is taken; choose another."),
            ));
        }
        let publisher = publishers::ActiveModel {
            id: Set(new_id("pub")),
            slug: Set(slug.to_string()),
            name: Set(name),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        publisher_members::ActiveModel {
            publisher_id: Set(publisher.id.clone()),
            user_id: Set(account.id.clone()),
            role: Set(PublisherRole::Owner.as_str().to_owned()),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        let after = self
            .announce(
                &txn,
                Event::PublisherCreated {
                    publisher: &publisher,
                    at: now,
                },
            )
            .await?;
        txn.commit().await?;
        self.after_commit(after);
        Ok(PublisherMembership {
            id: publisher.id,
            slug: publisher.slug,
            name: publisher.name,
            role: PublisherRole::Owner,
            created_at: publisher.created_at,
        })
    }

    /// The publisher organisations `account` belongs to, by name.
    pub async fn list_publishers(
        &self,
        account: &Account,
    ) -> EngineResult<Vec<PublisherMembership>> {
        let rows = publisher_members::Entity::find()
            .filter(publisher_members::Column::UserId.eq(account.id.clone()))
            .all(self.db())
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for member in rows {
            if let Some(publisher) = publishers::Entity::find_by_id(member.publisher_id.clone())
                .one(self.db())
                .await?
            {
                out.push(PublisherMembership {
                    id: publisher.id,
                    slug: publisher.slug,
                    name: publisher.name,
                    role: member
                        .role
                        .parse()
                        .map_err(|e: String| EngineError::Unexpected(anyhow::anyhow!(e)))?,
                    created_at: publisher.created_at,
                });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}
