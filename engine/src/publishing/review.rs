//! Review: a publisher submits its draft as a numbered version, reviewers
//! approve (publishing it) or reject it with a reason, and the publisher is
//! told by mail.

use domain::{AppManifest, ManifestInput, PlatformRole};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::entity::{app_versions, apps, publishers, users};
use crate::people::accounts::Account;
use crate::platform::audit::{self};
use crate::platform::mail;
use crate::platform::secret::new_id;
use crate::publishing::apps::to_json;
use crate::publishing::catalog;
use crate::publishing::versions::{manifest_error, version_view, VersionView};
use crate::publishing::Event;
use crate::{Engine, EngineError, EngineResult};

/// A submission in the review queue.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    pub app_slug: String,
    pub publisher_name: String,
    pub version: VersionView,
}

pub(crate) fn require_reviewer(account: &Account) -> EngineResult<()> {
    match account.platform_role {
        Some(PlatformRole::Reviewer) | Some(PlatformRole::Admin) => Ok(()),
        None => Err(EngineError::Forbidden(
            "Only reviewers work the review queue.".into(),
        )),
    }
}

impl Engine {
    /// Freezes the draft into a submission for review.
    pub async fn submit_app(&self, account: &Account, slug: &str) -> EngineResult<VersionView> {
        let (app, _) = self.member_app(account, slug).await?;
        let draft: ManifestInput = serde_json::from_str(&app.draft_manifest)
            .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("stored draft: {e}")))?;
        let checked = AppManifest::validate(draft).map_err(manifest_error)?;
        let txn = self.begin_write().await?;
        let versions = app_versions::Entity::find()
            .filter(app_versions::Column::AppId.eq(app.id.clone()))
            .all(&txn)
            .await?;
        if versions.iter().any(|v| v.state == "submitted") {
            return Err(EngineError::Conflict {
                field: None,
                message: "A version of this app is already waiting for review.".into(),
            });
        }
        let number = versions.iter().map(|v| v.number).max().unwrap_or(0) + 1;
        let row = app_versions::ActiveModel {
            id: Set(new_id("ver")),
            app_id: Set(app.id.clone()),
            number: Set(number),
            manifest: Set(to_json(&checked)?),
            state: Set("submitted".into()),
            submitted_by: Set(account.id.clone()),
            submitted_at: Set(self.now()),
            decided_by: Set(None),
            decided_at: Set(None),
            rejection_reason: Set(None),
            logo_id: Set(app.draft_logo_id.clone()),
        }
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            row.submitted_at,
            audit::Event::on_app(
                account,
                &app,
                "version.submitted",
                serde_json::json!({ "app": app.slug, "version": row.number }),
            ),
        )
        .await?;
        txn.commit().await?;
        version_view(row)
    }

    /// Submissions waiting for review, oldest first.
    pub async fn review_queue(&self, reviewer: &Account) -> EngineResult<Vec<Submission>> {
        require_reviewer(reviewer)?;
        let rows = app_versions::Entity::find()
            .filter(app_versions::Column::State.eq("submitted"))
            .order_by_asc(app_versions::Column::SubmittedAt)
            .all(self.db())
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let Some(app) = apps::Entity::find_by_id(row.app_id.clone())
                .one(self.db())
                .await?
            else {
                continue;
            };
            let publisher_name = publishers::Entity::find_by_id(app.publisher_id.clone())
                .one(self.db())
                .await?
                .map(|p| p.name)
                .unwrap_or_default();
            out.push(Submission {
                app_slug: app.slug,
                publisher_name,
                version: version_view(row)?,
            });
        }
        Ok(out)
    }

    pub(super) async fn pending_submission(
        &self,
        conn: &impl sea_orm::ConnectionTrait,
        id: &str,
    ) -> EngineResult<app_versions::Model> {
        app_versions::Entity::find_by_id(id.to_owned())
            .one(conn)
            .await?
            .filter(|v| v.state == "submitted")
            .ok_or_else(|| {
                EngineError::not_found("No submission by that id is waiting for review.")
            })
    }

    /// The app and publisher of a version, read in `conn`.
    pub(super) async fn version_owner(
        &self,
        conn: &impl sea_orm::ConnectionTrait,
        version: &app_versions::Model,
    ) -> EngineResult<(apps::Model, publishers::Model)> {
        let gone = || EngineError::not_found("The app of this submission is gone.");
        let app = apps::Entity::find_by_id(version.app_id.clone())
            .one(conn)
            .await?
            .ok_or_else(gone)?;
        let publisher = publishers::Entity::find_by_id(app.publisher_id.clone())
            .one(conn)
            .await?
            .ok_or_else(gone)?;
        Ok((app, publisher))
    }

    /// Publishes a submission; the previously published version is
    /// superseded, the catalog entry replaced, the decision audited and the
    /// submitter told, all in one transaction.
    pub async fn approve_submission(
        &self,
        reviewer: &Account,
        id: &str,
    ) -> EngineResult<VersionView> {
        require_reviewer(reviewer)?;
        let now = self.now();
        let txn = self.begin_write().await?;
        let version = self.pending_submission(&txn, id).await?;
        let (app, publisher) = self.version_owner(&txn, &version).await?;
        if let Some(previous) = &app.published_version_id {
            if let Some(row) = app_versions::Entity::find_by_id(previous.clone())
                .one(&txn)
                .await?
            {
                let mut old: app_versions::ActiveModel = row.into();
                old.state = Set("superseded".into());
                old.update(&txn).await?;
            }
        }
        let mut active: app_versions::ActiveModel = version.into();
        active.state = Set("published".into());
        active.decided_by = Set(Some(reviewer.id.clone()));
        active.decided_at = Set(Some(now));
        let published = active.update(&txn).await?;
        let view = version_view(published.clone())?;
        let mut live: apps::ActiveModel = app.clone().into();
        live.published_version_id = Set(Some(published.id.clone()));
        live.updated_at = Set(now);
        let app = live.update(&txn).await?;
        catalog::index_published(&txn, &app, &publisher, &published, &view.manifest).await?;
        let after = self
            .announce(
                &txn,
                Event::VersionPublished {
                    app: &app,
                    version: &published,
                    manifest: &view.manifest,
                    at: now,
                },
            )
            .await?;
        audit::record(
            &txn,
            now,
            audit::Event::on_app(
                reviewer,
                &app,
                "version.approved",
                serde_json::json!({ "app": app.slug, "version": published.number }),
            ),
        )
        .await?;
        self.mail_decision(&txn, &published, &app.slug, None)
            .await?;
        txn.commit().await?;
        self.catalog_cache().clear();
        self.wake_mail_worker();
        self.after_commit(after);
        Ok(view)
    }

    /// Rejects a submission with a reason the publisher reads.
    pub async fn reject_submission(
        &self,
        reviewer: &Account,
        id: &str,
        reason: &str,
    ) -> EngineResult<VersionView> {
        require_reviewer(reviewer)?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 2000 {
            return Err(EngineError::invalid(
                "reason",
                "Tell the publisher why, in 1 to 2000 characters.",
            ));
        }
        let now = self.now();
        let txn = self.begin_write().await?;
        let version = self.pending_submission(&txn, id).await?;
        let (app, _) = self.version_owner(&txn, &version).await?;
        let mut active: app_versions::ActiveModel = version.into();
        active.state = Set("rejected".into());
        active.decided_by = Set(Some(reviewer.id.clone()));
        active.decided_at = Set(Some(now));
        active.rejection_reason = Set(Some(reason.to_owned()));
        let rejected = active.update(&txn).await?;
        audit::record(
            &txn,
            now,
            audit::Event::on_app(
                reviewer,
                &app,
                "version.rejected",
                serde_json::json!({
                    "app": app.slug,
                    "version": rejected.number,
                    "reason": reason,
                }),
            ),
        )
        .await?;
        self.mail_decision(&txn, &rejected, &app.slug, Some(reason))
            .await?;
        txn.commit().await?;
        self.wake_mail_worker();
        version_view(rejected)
    }

    async fn mail_decision(
        &self,
        conn: &impl sea_orm::ConnectionTrait,
        version: &app_versions::Model,
        slug: &str,
        reason: Option<&str>,
    ) -> EngineResult<()> {
        let Some(submitter) = users::Entity::find_by_id(version.submitted_by.clone())
            .one(conn)
            .await?
        else {
            return Ok(());
        };
        let link = self.link(&format!("/apps/{slug}"));
        let (subject, body) = match reason {
            None => (
                format!("Version {} of {slug} is published", version.number),
                mail::templates::version_published(slug, version.number, &link),
            ),
            Some(reason) => (
                format!("Version {} of {slug} was not approved", version.number),
                mail::templates::version_rejected(slug, version.number, reason),
            ),
        };
        mail::enqueue(conn, self.now(), &submitter.email, &subject, &body).await
    }
}
