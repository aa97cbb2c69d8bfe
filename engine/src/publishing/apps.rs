//! Apps: registration from a manifest, the draft publishers edit, and
//! what a publisher sees of its apps.
//!
//! Edits go to the app's draft. Submitting freezes the draft into a
//! numbered version ([`super::review`]); approval publishes it (the previous
//! published version is superseded) while the next draft can already be
//! edited.

use domain::{AppManifest, ManifestInput, Slug};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::entity::{app_versions, apps, publisher_members, publishers};
use crate::people::accounts::Account;
use crate::platform::audit::{self, AuditEntry};
use crate::platform::secret::new_id;
use crate::publishing::versions::{manifest_error, version_view, VersionView, SANDBOX_STATE};
use crate::publishing::Event;
use crate::{Engine, EngineError, EngineResult};

/// An app as its publisher sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct PublisherApp {
    pub id: String,
    pub slug: String,
    pub publisher_slug: String,
    pub publisher_name: String,
    pub draft: ManifestInput,
    /// The uploaded logo of the draft (a media id).
    pub draft_logo_id: Option<String>,
    pub versions: Vec<VersionView>,
}

impl PublisherApp {
    pub fn published(&self) -> Option<&VersionView> {
        self.versions.iter().find(|v| v.state == "published")
    }

    pub fn pending(&self) -> Option<&VersionView> {
        self.versions.iter().find(|v| v.state == "submitted")
    }
}

/// `Growth Charts!` → `growth-charts`.
fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug
        .trim_end_matches('-')
        .chars()
        .take(48)
        .collect::<String>();
    slug.trim_end_matches('-').to_owned()
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> EngineResult<String> {
    serde_json::to_string(value)
        .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("serialising a manifest: {e}")))
}

impl Engine {
    /// The app by slug, when `account` is a member of its publisher.
    pub(crate) async fn member_app(
        &self,
        account: &Account,
        slug: &str,
    ) -> EngineResult<(apps::Model, publishers::Model)> {
        let not_found = || {
            EngineError::not_found(format!(
                "No app `{slug}` among your publisher organisations."
            ))
        };
        let app = apps::Entity::find()
            .filter(apps::Column::Slug.eq(slug))
            .one(self.db())
            .await?
            .ok_or_else(not_found)?;
        let publisher = publishers::Entity::find_by_id(app.publisher_id.clone())
            .one(self.db())
            .await?
            .ok_or_else(not_found)?;
        self.role_in(&publisher, account)
            .await?
            .ok_or_else(not_found)?;
        Ok((app, publisher))
    }

    async fn publisher_app_view(
        &self,
        app: apps::Model,
        publisher: publishers::Model,
    ) -> EngineResult<PublisherApp> {
        let versions = app_versions::Entity::find()
            .filter(app_versions::Column::AppId.eq(app.id.clone()))
            .filter(app_versions::Column::State.ne(SANDBOX_STATE))
            .order_by_desc(app_versions::Column::Number)
            .all(self.db())
            .await?
            .into_iter()
            .map(version_view)
            .collect::<EngineResult<Vec<_>>>()?;
        let draft = serde_json::from_str(&app.draft_manifest)
            .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("stored draft: {e}")))?;
        Ok(PublisherApp {
            id: app.id,
            slug: app.slug,
            publisher_slug: publisher.slug,
            publisher_name: publisher.name,
            draft,
            draft_logo_id: app.draft_logo_id,
            versions,
        })
    }

    /// Registers an app for `publisher_slug` from a manifest; the slug is
    /// given or made from the name.
    pub async fn create_app(
        &self,
        account: &Account,
        publisher_slug: &str,
        slug: Option<&str>,
        manifest: ManifestInput,
    ) -> EngineResult<PublisherApp> {
        let (publisher, _) = self.member_publisher(account, publisher_slug).await?;
        let checked = AppManifest::validate(manifest).map_err(manifest_error)?;
        let slug_text = slug
            .map(str::to_owned)
            .unwrap_or_else(|| slugify(&checked.client_name));
        let slug =
            Slug::parse(&slug_text).map_err(|e| EngineError::invalid("slug", e.to_string()))?;
        let now = self.now();
        let txn = self.begin_write().await?;
        if apps::Entity::find()
            .filter(apps::Column::Slug.eq(slug.as_str()))
            .one(&txn)
            .await?
            .is_some()
        {
            return Err(EngineError::conflict(
                "slug",
                format!("The app slug `{slug}` is taken; choose another."),
            ));
        }
        let app = apps::ActiveModel {
            id: Set(new_id("app")),
            publisher_id: Set(publisher.id.clone()),
            slug: Set(slug.to_string()),
            status: Set("active".into()),
            draft_manifest: Set(to_json(&checked.to_input())?),
            published_version_id: Set(None),
            draft_logo_id: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            now,
            audit::Event::on_app(
                account,
                &app,
                "app.created",
                serde_json::json!({ "app": app.slug }),
            ),
        )
        .await?;
        txn.commit().await?;
        self.publisher_app_view(app, publisher).await
    }

    pub async fn publisher_app(&self, account: &Account, slug: &str) -> EngineResult<PublisherApp> {
        let (app, publisher) = self.member_app(account, slug).await?;
        self.publisher_app_view(app, publisher).await
    }

    /// Every app of every publisher `account` belongs to, by slug.
    pub async fn list_publisher_apps(&self, account: &Account) -> EngineResult<Vec<PublisherApp>> {
        let memberships = publisher_members::Entity::find()
            .filter(publisher_members::Column::UserId.eq(account.id.clone()))
            .all(self.db())
            .await?;
        let ids: Vec<String> = memberships.into_iter().map(|m| m.publisher_id).collect();
        let rows = apps::Entity::find()
            .filter(apps::Column::PublisherId.is_in(ids))
            .order_by_asc(apps::Column::Slug)
            .all(self.db())
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for app in rows {
            if let Some(publisher) = publishers::Entity::find_by_id(app.publisher_id.clone())
                .one(self.db())
                .await?
            {
                out.push(self.publisher_app_view(app, publisher).await?);
            }
        }
        Ok(out)
    }

    /// Replaces the draft; the published version is untouched.
    pub async fn update_draft(
        &self,
        account: &Account,
        slug: &str,
        manifest: ManifestInput,
    ) -> EngineResult<PublisherApp> {
        let (app, publisher) = self.member_app(account, slug).await?;
        let checked = AppManifest::validate(manifest).map_err(manifest_error)?;
        let now = self.now();
        let txn = self.begin_write().await?;
        let mut active: apps::ActiveModel = app.into();
        active.draft_manifest = Set(to_json(&checked.to_input())?);
        active.updated_at = Set(now);
        let app = active.update(&txn).await?;
        // The publisher's sandbox runs the draft as it stands.
        let after = self
            .announce(&txn, Event::DraftChanged { app: &app, at: now })
            .await?;
        txn.commit().await?;
        self.after_commit(after);
        self.publisher_app_view(app, publisher).await
    }

    /// The audit trail of one of the caller's apps, newest first.
    pub async fn app_activity(
        &self,
        account: &Account,
        slug: &str,
    ) -> EngineResult<Vec<AuditEntry>> {
        let (app, _) = self.member_app(account, slug).await?;
        audit::for_target(self.db(), &app.id).await
    }
}

#[cfg(test)]
mod tests {
    use super::slugify;

    #[test]
    fn names_become_slugs() {
        assert_eq!(slugify("Growth Charts!"), "growth-charts");
        assert_eq!(slugify("  Déjà  Vu -- App "), "d-j-vu-app");
    }
}
