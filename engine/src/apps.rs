//! Apps: registration from a manifest, drafts, submissions, review and the
//! public catalog.
//!
//! Edits go to the app's draft. Submitting freezes the draft into a
//! numbered version; approval publishes it (the previous published version
//! is superseded) while the next draft can already be edited.

use chrono::{DateTime, Utc};
use domain::{AppManifest, FieldError, ManifestDiff, ManifestInput, PlatformRole, Slug};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::accounts::Account;
use crate::audit::{self, AuditEntry};
use crate::entity::{app_versions, apps, publisher_members, publishers, users};
use crate::secret::new_id;
use crate::{catalog, installs, mail, Engine, EngineError, EngineResult};

#[derive(Debug, Clone, PartialEq)]
pub struct VersionView {
    pub id: String,
    pub number: i32,
    pub state: String,
    pub manifest: AppManifest,
    pub submitted_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub rejection_reason: Option<String>,
    /// The uploaded logo frozen with this version (a media id).
    pub logo_id: Option<String>,
}

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

/// A submission in the review queue.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    pub app_slug: String,
    pub publisher_name: String,
    pub version: VersionView,
}

pub(crate) fn manifest_error(errors: Vec<FieldError>) -> EngineError {
    let first = errors.into_iter().next();
    match first {
        Some(FieldError { field, message }) => EngineError::Invalid {
            field: Some(field),
            message,
        },
        None => EngineError::invalid("manifest", "The manifest is invalid."),
    }
}

pub(crate) fn version_view(row: app_versions::Model) -> EngineResult<VersionView> {
    let manifest: AppManifest = serde_json::from_str(&row.manifest)
        .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("stored manifest: {e}")))?;
    Ok(VersionView {
        id: row.id,
        number: row.number,
        state: row.state,
        manifest,
        submitted_at: row.submitted_at,
        decided_at: row.decided_at,
        rejection_reason: row.rejection_reason,
        logo_id: row.logo_id,
    })
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

fn to_json<T: serde::Serialize>(value: &T) -> EngineResult<String> {
    serde_json::to_string(value)
        .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("serialising a manifest: {e}")))
}

fn require_reviewer(account: &Account) -> EngineResult<()> {
    match account.platform_role {
        Some(PlatformRole::Reviewer) | Some(PlatformRole::Admin) => Ok(()),
        None => Err(EngineError::Forbidden(
            "Only reviewers work the review queue.".into(),
        )),
    }
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
            .filter(app_versions::Column::State.ne(installs::SANDBOX_STATE))
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
        installs::follow_draft(&txn, &app, now).await?;
        txn.commit().await?;
        self.registry_changed();
        self.publisher_app_view(app, publisher).await
    }

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

    async fn pending_submission(
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
    async fn version_owner(
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
        crate::installs::follow_new_version(&txn, &app, &published, &view.manifest, now).await?;
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
        self.registry_changed();
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

#[cfg(test)]
mod tests {
    use super::slugify;

    #[test]
    fn names_become_slugs() {
        assert_eq!(slugify("Growth Charts!"), "growth-charts");
        assert_eq!(slugify("  Déjà  Vu -- App "), "d-j-vu-app");
    }
}

/// One automatic check on a submission, for the reviewer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub passed: bool,
    pub text: String,
}

/// What a reviewer should look at twice (SMART App Launch, RFC 9700).
pub fn submission_checks(m: &AppManifest) -> Vec<Check> {
    let mut checks = Vec::new();
    let mut add = |passed: bool, text: String| checks.push(Check { passed, text });
    add(
        true,
        format!(
            "{} scopes, all well formed SMART scopes",
            m.scope.scopes().len()
        ),
    );
    let loopback = m
        .redirect_uris
        .iter()
        .filter(|u| u.as_str().starts_with("http://"))
        .count();
    add(
        loopback == 0,
        if loopback == 0 {
            "Every web URL uses https".to_owned()
        } else {
            format!("{loopback} redirect URI(s) use plain http on a loopback address (development only)")
        },
    );
    let launch_host = m.launch_url.as_ref().and_then(|u| u.host());
    let foreign: Vec<String> = m
        .redirect_uris
        .iter()
        .filter(|u| u.host().is_some() && launch_host.is_some() && u.host() != launch_host)
        .map(|u| u.to_string())
        .collect();
    add(
        foreign.is_empty(),
        if foreign.is_empty() {
            "Redirect URIs are on the launch URL's host (or the app has no launch URL)".to_owned()
        } else {
            format!(
                "Redirect URIs on another host than the launch URL: {}",
                foreign.join(", ")
            )
        },
    );
    add(
        m.policy_uri.is_some(),
        if m.policy_uri.is_some() {
            "A privacy policy is linked".to_owned()
        } else {
            "No privacy policy link".to_owned()
        },
    );
    let wide = m
        .scope
        .scopes()
        .iter()
        .filter(|s| matches!(s, domain::SmartScope::Clinical(c) if c.resource.is_none()))
        .count();
    add(
        wide == 0,
        if wide == 0 {
            "No wildcard resource scopes".to_owned()
        } else {
            format!("{wide} scope(s) reach every resource type (`*`)")
        },
    );
    add(
        !m.scope
            .scopes()
            .contains(&domain::SmartScope::OfflineAccess),
        if m.scope
            .scopes()
            .contains(&domain::SmartScope::OfflineAccess)
        {
            "Asks for offline_access (refresh tokens that outlive the session)".to_owned()
        } else {
            "No offline access".to_owned()
        },
    );
    if let Some(jwks) = &m.jwks {
        let keys = key_count(jwks);
        add(
            true,
            format!("{keys} public key(s) given inline, all valid"),
        );
    }
    checks
}

fn key_count(jwks: &domain::Jwks) -> usize {
    jwks.as_json()
        .get("keys")
        .and_then(serde_json::Value::as_array)
        .map_or(0, Vec::len)
}

/// A waiting submission with what a reviewer weighs it against.
#[derive(Debug, Clone, PartialEq)]
pub struct SubmissionDetails {
    pub submission: Submission,
    /// The automatic checks, with the `jwks_uri` fetched and its keys read.
    pub checks: Vec<Check>,
    /// Against the published version; `None` for a first version.
    pub changes: Option<ManifestDiff>,
    /// The app's audit trail, newest first.
    pub activity: Vec<AuditEntry>,
}

impl Engine {
    /// A waiting submission with its app, for the review page.
    pub async fn submission(
        &self,
        reviewer: &Account,
        id: &str,
    ) -> EngineResult<SubmissionDetails> {
        require_reviewer(reviewer)?;
        let version = self.pending_submission(self.db(), id).await?;
        let (app, publisher) = self.version_owner(self.db(), &version).await?;
        let version = version_view(version)?;
        let changes = match &app.published_version_id {
            Some(published) => app_versions::Entity::find_by_id(published.clone())
                .one(self.db())
                .await?
                .map(version_view)
                .transpose()?
                .map(|live| ManifestDiff::between(&live.manifest, &version.manifest)),
            None => None,
        };
        let mut checks = submission_checks(&version.manifest);
        if let Some(uri) = &version.manifest.jwks_uri {
            checks.push(self.check_jwks_uri(uri).await);
        }
        Ok(SubmissionDetails {
            checks,
            changes,
            activity: audit::for_target(self.db(), &app.id).await?,
            submission: Submission {
                app_slug: app.slug,
                publisher_name: publisher.name,
                version,
            },
        })
    }

    /// Fetches a `jwks_uri` under the server-side fetch rules and checks
    /// the keys it serves.
    pub async fn check_jwks_uri(&self, uri: &domain::HttpsUrl) -> Check {
        let failed = |why: String| Check {
            passed: false,
            text: format!("The JWKS at {uri} {why}"),
        };
        let Ok(url) = url::Url::parse(uri.as_str()) else {
            return failed("is not a URL Sidecar can fetch".to_owned());
        };
        let body = match crate::fetch::fetch(&self.config().fetch, &url).await {
            Ok(body) => body,
            Err(e) => return failed(format!("could not be fetched: {e}")),
        };
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(&body) else {
            return failed("did not answer with JSON".to_owned());
        };
        match domain::Jwks::parse(value) {
            Ok(jwks) => Check {
                passed: true,
                text: format!(
                    "The JWKS at {uri} answered with {} valid public key(s)",
                    key_count(&jwks)
                ),
            },
            Err(e) => failed(format!("answered with keys Sidecar refuses: {e}")),
        }
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
