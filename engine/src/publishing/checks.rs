//! What a reviewer sees of a submission: the automatic checks, the changes
//! against the published version and the app's history.

use domain::{AppManifest, ManifestDiff};
use sea_orm::EntityTrait;

use crate::entity::app_versions;
use crate::people::accounts::Account;
use crate::platform::audit::{self, AuditEntry};
use crate::publishing::review::{require_reviewer, Submission};
use crate::publishing::versions::version_view;
use crate::{Engine, EngineResult};

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
        let body = match crate::platform::fetch::fetch(&self.config().fetch, &url).await {
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
}
