//! Server functions: the few reads the pages make. Every change goes through
//! a plain form post to the server (so that it works without JavaScript).

use leptos::prelude::*;

use crate::model::{PageState, TokenView};

#[cfg(feature = "ssr")]
mod ssr {
    use engine::accounts::Account;
    use engine::Engine;
    use leptos::prelude::*;

    use crate::model::{AccountView, MembershipView};
    use crate::session::CurrentAccount;

    pub fn engine() -> Result<Engine, ServerFnError> {
        use_context::<Engine>().ok_or_else(|| ServerFnError::new("the engine is not available"))
    }

    pub async fn current_account() -> Option<Account> {
        let parts = use_context::<http::request::Parts>()?;
        parts
            .extensions
            .get::<CurrentAccount>()
            .and_then(|current| current.0.clone())
    }

    pub async fn session() -> Result<tower_sessions::Session, ServerFnError> {
        leptos_axum::extract::<tower_sessions::Session>()
            .await
            .map_err(|e| ServerFnError::new(format!("no session: {e}")))
    }

    pub async fn account_view(
        engine: &Engine,
        account: &Account,
    ) -> Result<AccountView, ServerFnError> {
        let publishers = engine.list_publishers(account).await.map_err(internal)?;
        let tenants = engine
            .list_tenant_memberships(account)
            .await
            .map_err(internal)?;
        Ok(AccountView {
            email: account.email.clone(),
            platform_role: account.platform_role.map(|r| r.as_str().to_owned()),
            publishers: publishers
                .into_iter()
                .map(|p| MembershipView {
                    slug: p.slug,
                    name: p.name,
                    role: p.role.as_str().to_owned(),
                    sandbox: false,
                })
                .collect(),
            tenants: tenants
                .into_iter()
                .map(|t| MembershipView {
                    slug: t.slug,
                    name: t.name,
                    role: t.role.as_str().to_owned(),
                    sandbox: t.sandbox,
                })
                .collect(),
        })
    }

    /// Logs the real error; the browser gets a safe one.
    pub fn internal(err: engine::EngineError) -> ServerFnError {
        tracing::error!(error = %format!("{err:#}"), "server function failed");
        ServerFnError::new("Something went wrong on our side. Please try again.")
    }

    pub fn date(at: chrono::DateTime<chrono::Utc>) -> String {
        at.format("%Y-%m-%d %H:%M UTC").to_string()
    }
}

/// Who is signed in, and the flash message for `form` (taken: shown once).
#[server(prefix = "/_app")]
pub async fn load_page(form: String) -> Result<PageState, ServerFnError> {
    use ssr::*;
    let engine = engine()?;
    let flash = crate::session::take_flash(&session().await?, &form).await;
    let account = match current_account().await {
        Some(account) => Some(account_view(&engine, &account).await?),
        None => None,
    };
    Ok(PageState { account, flash })
}

/// The signed-in user's personal access tokens.
#[server(prefix = "/_app")]
pub async fn list_tokens() -> Result<Vec<TokenView>, ServerFnError> {
    use ssr::*;
    let engine = engine()?;
    let Some(account) = current_account().await else {
        return Ok(Vec::new());
    };
    let tokens = engine
        .list_personal_tokens(&account.id)
        .await
        .map_err(internal)?;
    Ok(tokens
        .into_iter()
        .map(|t| TokenView {
            id: t.id,
            name: t.name,
            scopes: t.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            created: date(t.created_at),
            expires: t.expires_at.map(date),
            last_used: t.last_used_at.map(date),
        })
        .collect())
}

/// Is this password-reset link still good?
#[server(prefix = "/_app")]
pub async fn reset_link_is_live(token: String) -> Result<bool, ServerFnError> {
    use ssr::*;
    engine()?
        .reset_token_is_live(&token)
        .await
        .map_err(internal)
}

/// One page of the public gallery.
#[server(prefix = "/_app")]
pub async fn gallery(
    filters: crate::model::GalleryFilters,
    page: u32,
) -> Result<crate::model::GalleryPage, ServerFnError> {
    use ssr::*;
    let some = |s: String| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let query = engine::catalog::CatalogQuery {
        q: some(filters.q),
        category: some(filters.category),
        fhir_version: some(filters.fhir_version),
        launch: some(filters.launch),
        audience: some(filters.audience),
        sort: engine::catalog::CatalogSort::parse(&filters.sort).unwrap_or_default(),
        page,
        per_page: 12,
    };
    let (apps, has_more) = engine()?.catalog(&query).await.map_err(internal)?;
    let items = apps
        .into_iter()
        .map(|app| crate::model::AppCard {
            slug: app.slug,
            name: app.name,
            tagline: app.tagline,
            publisher: app.publisher_name,
            categories: app.categories,
            launch_types: app.launch_types,
            logo: app.logo_url,
        })
        .collect();
    Ok(crate::model::GalleryPage {
        items,
        page,
        has_more,
    })
}

/// The public page of a published app; `None` when there is none.
#[server(prefix = "/_app")]
pub async fn app_details(slug: String) -> Result<Option<crate::model::AppDetails>, ServerFnError> {
    use ssr::*;
    let details = match engine()?.catalog_app(&slug).await {
        Ok(details) => details,
        Err(engine::EngineError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(internal(e)),
    };
    let app = &details.app;
    let m = &app.version.manifest;
    let url = |u: &Option<domain::HttpsUrl>| u.as_ref().map(|u| u.to_string());
    Ok(Some(crate::model::AppDetails {
        slug: app.slug.clone(),
        name: m.client_name.clone(),
        tagline: m.tagline.clone(),
        description_html: engine::markdown::to_safe_html(&m.description),
        logo: logo_url(&app.version),
        publisher: app.publisher_name.clone(),
        version: app.version.number,
        published: app.version.decided_at.map(date),
        history: details
            .history
            .iter()
            .map(|v| crate::model::HistoryLine {
                number: v.number,
                published: v.published_at.map(date),
                changes: v.changes.clone(),
            })
            .collect(),
        scopes: m
            .scope
            .scopes()
            .iter()
            .map(|s| crate::model::ScopeLine {
                scope: s.to_string(),
                meaning: s.describe(),
            })
            .collect(),
        launch_types: m.launch_types.clone(),
        fhir_versions: m.fhir_versions.clone(),
        audience: m.audience.clone(),
        categories: m.categories.clone(),
        homepage: url(&m.client_uri),
        privacy: url(&m.policy_uri),
        terms: url(&m.tos_uri),
        support: m.contacts.clone(),
    }))
}

#[cfg(feature = "ssr")]
fn version_state_summary(app: &engine::apps::PublisherApp) -> String {
    match (app.published(), app.pending()) {
        (Some(p), Some(q)) => format!(
            "version {} published, version {} in review",
            p.number, q.number
        ),
        (Some(p), None) => format!("version {} published", p.number),
        (None, Some(q)) => format!("version {} in review", q.number),
        (None, None) => match app.versions.first() {
            Some(v) if v.state == "rejected" => format!("version {} not approved", v.number),
            _ => "draft".to_owned(),
        },
    }
}

/// The developer console's overview: your publishers and their apps.
#[server(prefix = "/_app")]
pub async fn dev_overview() -> Result<
    (
        Vec<crate::model::MembershipView>,
        Vec<crate::model::DevAppRow>,
    ),
    ServerFnError,
> {
    use ssr::*;
    let Some(account) = current_account().await else {
        return Ok((Vec::new(), Vec::new()));
    };
    let engine = engine()?;
    let view = account_view(&engine, &account).await?;
    let apps = engine
        .list_publisher_apps(&account)
        .await
        .map_err(internal)?;
    let rows = apps
        .iter()
        .map(|app| crate::model::DevAppRow {
            slug: app.slug.clone(),
            name: app
                .draft
                .client_name
                .clone()
                .unwrap_or_else(|| app.slug.clone()),
            publisher: app.publisher_name.clone(),
            status: version_state_summary(app),
        })
        .collect();
    Ok((view.publishers, rows))
}

/// One of your apps, for the developer console.
#[server(prefix = "/_app")]
pub async fn dev_app(slug: String) -> Result<Option<crate::model::DevApp>, ServerFnError> {
    use ssr::*;
    let Some(account) = current_account().await else {
        return Ok(None);
    };
    let app = match engine()?.publisher_app(&account, &slug).await {
        Ok(app) => app,
        Err(engine::EngineError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(internal(e)),
    };
    let draft_json =
        serde_json::to_string_pretty(&app.draft).map_err(|e| ServerFnError::new(e.to_string()))?;
    let draft_changes = match (
        app.published(),
        domain::AppManifest::validate(app.draft.clone()),
    ) {
        (Some(live), Ok(draft)) => Some(domain::ManifestDiff::between(&live.manifest, &draft)),
        _ => None,
    };
    let activity = engine()?
        .app_activity(&account, &slug)
        .await
        .map_err(internal)?
        .iter()
        .map(activity_line)
        .collect();
    Ok(Some(crate::model::DevApp {
        sandbox: engine::tenants::sandbox_slug(&app.publisher_slug),
        logo: app.draft_logo_id.as_ref().map(|id| format!("/media/{id}")),
        draft_form: domain::ManifestForm::from_input(&app.draft),
        installs: engine()?
            .app_installs(&account, &slug)
            .await
            .map_err(internal)?
            .into_iter()
            .map(install_row)
            .collect(),
        draft_changes,
        activity,
        name: app
            .draft
            .client_name
            .clone()
            .unwrap_or_else(|| app.slug.clone()),
        pending: app.pending().is_some(),
        versions: app
            .versions
            .iter()
            .map(|v| crate::model::VersionRow {
                id: v.id.clone(),
                number: v.number,
                state: v.state.clone(),
                submitted: date(v.submitted_at),
                reason: v.rejection_reason.clone(),
            })
            .collect(),
        slug: app.slug,
        publisher: app.publisher_name,
        draft_json,
    }))
}

#[cfg(feature = "ssr")]
fn review_item(s: engine::apps::Submission) -> Result<crate::model::ReviewItem, ServerFnError> {
    let m = &s.version.manifest;
    Ok(crate::model::ReviewItem {
        id: s.version.id.clone(),
        app: s.app_slug.clone(),
        name: m.client_name.clone(),
        publisher: s.publisher_name.clone(),
        number: s.version.number,
        submitted: ssr::date(s.version.submitted_at),
        scopes: m
            .scope
            .scopes()
            .iter()
            .map(|sc| crate::model::ScopeLine {
                scope: sc.to_string(),
                meaning: sc.describe(),
            })
            .collect(),
        redirect_uris: m.redirect_uris.iter().map(|u| u.to_string()).collect(),
        launch_url: m.launch_url.as_ref().map(|u| u.to_string()),
        client_type: m.token_endpoint_auth_method.client_type().to_owned(),
        checks: check_lines(engine::apps::submission_checks(m)),
        manifest_json: serde_json::to_string_pretty(&m.to_input())
            .map_err(|e| ServerFnError::new(e.to_string()))?,
        changes: None,
        activity: Vec::new(),
    })
}

/// The uploaded logo of a version, else the publisher's own `logo_uri`.
#[cfg(feature = "ssr")]
fn logo_url(version: &engine::apps::VersionView) -> Option<String> {
    match &version.logo_id {
        Some(id) => Some(format!("/media/{id}")),
        None => version.manifest.logo_uri.as_ref().map(|u| u.to_string()),
    }
}

#[cfg(feature = "ssr")]
fn check_lines(checks: Vec<engine::apps::Check>) -> Vec<crate::model::CheckLine> {
    checks
        .into_iter()
        .map(|c| crate::model::CheckLine {
            passed: c.passed,
            text: c.text,
        })
        .collect()
}

#[cfg(feature = "ssr")]
fn activity_line(entry: &engine::audit::AuditEntry) -> crate::model::ActivityLine {
    crate::model::ActivityLine {
        at: ssr::date(entry.at),
        who: entry.actor(),
        what: entry.describe(),
    }
}

/// The review queue; empty for anyone who is not a reviewer.
#[server(prefix = "/_app")]
pub async fn review_queue() -> Result<Vec<crate::model::ReviewItem>, ServerFnError> {
    use ssr::*;
    let Some(account) = current_account().await else {
        return Ok(Vec::new());
    };
    match engine()?.review_queue(&account).await {
        Ok(queue) => queue.into_iter().map(review_item).collect(),
        Err(engine::EngineError::Forbidden(_)) => Ok(Vec::new()),
        Err(e) => Err(internal(e)),
    }
}

/// One waiting submission, for a reviewer.
#[server(prefix = "/_app")]
pub async fn review_submission(
    id: String,
) -> Result<Option<crate::model::ReviewItem>, ServerFnError> {
    use ssr::*;
    let Some(account) = current_account().await else {
        return Ok(None);
    };
    match engine()?.submission(&account, &id).await {
        Ok(details) => {
            let mut item = review_item(details.submission)?;
            item.checks = check_lines(details.checks);
            item.changes = details.changes;
            item.activity = details.activity.iter().map(activity_line).collect();
            Ok(Some(item))
        }
        Err(engine::EngineError::Forbidden(_) | engine::EngineError::NotFound(_)) => Ok(None),
        Err(e) => Err(internal(e)),
    }
}

/// A publisher the signed-in user belongs to, with its members; `None`
/// for anyone else.
#[server(prefix = "/_app")]
pub async fn dev_publisher(
    slug: String,
) -> Result<Option<crate::model::PublisherPage>, ServerFnError> {
    use ssr::*;
    let Some(account) = current_account().await else {
        return Ok(None);
    };
    let engine = engine()?;
    let Some(membership) = engine
        .list_publishers(&account)
        .await
        .map_err(internal)?
        .into_iter()
        .find(|p| p.slug == slug)
    else {
        return Ok(None);
    };
    let members = engine
        .list_publisher_members(&account, &slug)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|m| crate::model::MemberRow {
            email: m.email,
            role: m.role.as_str().to_owned(),
            active: m.active,
        })
        .collect();
    Ok(Some(crate::model::PublisherPage {
        slug: membership.slug,
        name: membership.name,
        role: membership.role.as_str().to_owned(),
        members,
    }))
}

#[cfg(feature = "ssr")]
fn scope_lines(scopes: &domain::ScopeSet) -> Vec<crate::model::ScopeLine> {
    scopes
        .scopes()
        .iter()
        .map(|s| crate::model::ScopeLine {
            scope: s.to_string(),
            meaning: s.describe(),
        })
        .collect()
}

#[cfg(feature = "ssr")]
fn install_row(i: engine::installs::InstallView) -> crate::model::InstallRow {
    use domain::ClientAuth;
    crate::model::InstallRow {
        has_secret: matches!(
            i.version.manifest.token_endpoint_auth_method,
            ClientAuth::ClientSecretBasic | ClientAuth::ClientSecretPost
        ),
        scopes: scope_lines(&i.granted_scope),
        pending: i
            .pending
            .map(|(version, changes)| (version.number, changes)),
        app_name: i.version.manifest.client_name.clone(),
        version: i.version.number,
        id: i.id,
        tenant: i.tenant_slug,
        app: i.app_slug,
        client_id: i.client_id,
        state: i.state,
    }
}

/// A tenant's console, for its admins; `None` for anyone else.
#[server(prefix = "/_app")]
pub async fn tenant_console(
    tenant: String,
) -> Result<Option<crate::model::TenantConsole>, ServerFnError> {
    use ssr::*;
    let Some(account) = current_account().await else {
        return Ok(None);
    };
    let engine = engine()?;
    let tenant = match engine.tenant(&account, &tenant).await {
        Ok(tenant) => tenant,
        Err(engine::EngineError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(internal(e)),
    };
    let installs = engine.list_installs(&tenant).await.map_err(internal)?;
    let members = engine
        .tenant_members(&tenant)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|m| crate::model::MemberRow {
            email: m.email,
            role: m.role.as_str().to_owned(),
            active: m.active,
        })
        .collect();
    let users = engine
        .tenant_users(&tenant)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|u| crate::model::EndUserRow {
            id: u.id,
            username: u.username,
            fhir_user: u.fhir_user,
            created: date(u.created_at),
        })
        .collect();
    let activity = engine
        .tenant_audit(&tenant, 20)
        .await
        .map_err(internal)?
        .iter()
        .map(activity_line)
        .collect();
    // Keys and the webhook are the admins' business.
    let (keys, webhook) = if tenant.is_admin() {
        (
            engine.list_tenant_keys(&tenant).await.map_err(internal)?,
            engine.webhook(&tenant).await.map_err(internal)?,
        )
    } else {
        (Vec::new(), None)
    };
    let webhook = webhook.map(|hook| crate::model::WebhookRow {
        url: hook.url,
        deliveries: hook
            .deliveries
            .into_iter()
            .map(|d| crate::model::DeliveryRow {
                outcome: match (d.delivered_at, d.last_error) {
                    (Some(at), _) => format!("delivered {}", date(at)),
                    (None, Some(error)) => format!("failed: {error}"),
                    (None, None) => "waiting".to_owned(),
                },
                event: d.event,
                created: date(d.created_at),
                attempts: d.attempts,
            })
            .collect(),
    });
    Ok(Some(crate::model::TenantConsole {
        activity,
        webhook,
        slug: tenant.slug().to_owned(),
        name: tenant.name().to_owned(),
        admin: tenant.is_admin(),
        sandbox: tenant.is_sandbox(),
        fhir_base_urls: tenant
            .fhir_base_urls()
            .map_err(internal)?
            .into_iter()
            .map(|u| u.as_str().to_owned())
            .collect(),
        members,
        users,
        installs: installs.into_iter().map(install_row).collect(),
        keys: keys
            .into_iter()
            .map(|k| crate::model::KeyRow {
                id: k.id,
                name: k.name,
                scopes: k.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
                created: date(k.created_at),
                last_used: k.last_used_at.map(date),
            })
            .collect(),
    }))
}

/// The approval screen of an install: the app's requested scopes, for a
/// tenant admin; `None` when either is not there for the caller.
#[server(prefix = "/_app")]
pub async fn install_preview(
    tenant: String,
    app: String,
) -> Result<Option<crate::model::InstallPreview>, ServerFnError> {
    use ssr::*;
    let Some(account) = current_account().await else {
        return Ok(None);
    };
    let engine = engine()?;
    let tenant = match engine.tenant(&account, &tenant).await {
        Ok(tenant) if tenant.is_admin() => tenant,
        Ok(_) | Err(engine::EngineError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(internal(e)),
    };
    // A sandbox installs the publisher's draft; any other tenant the
    // published version.
    let (slug, manifest, version) = if tenant.is_sandbox() {
        let draft = match engine.publisher_app(&account, &app).await {
            Ok(draft) => draft,
            Err(engine::EngineError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(internal(e)),
        };
        let Ok(manifest) = domain::AppManifest::validate(draft.draft) else {
            return Ok(None);
        };
        (draft.slug, manifest, 0)
    } else {
        let details = match engine.catalog_app(&app).await {
            Ok(details) => details,
            Err(engine::EngineError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(internal(e)),
        };
        (
            details.app.slug,
            details.app.version.manifest,
            details.app.version.number,
        )
    };
    Ok(Some(crate::model::InstallPreview {
        tenant: tenant.slug().to_owned(),
        tenant_name: tenant.name().to_owned(),
        app: slug,
        app_name: manifest.client_name.clone(),
        version,
        scopes: manifest
            .scope
            .scopes()
            .iter()
            .map(|s| crate::model::ScopeChoice {
                scope: s.to_string(),
                meaning: s.describe(),
                wildcard: matches!(s, domain::SmartScope::Clinical(c) if c.resource.is_none()),
            })
            .collect(),
    }))
}

/// Every tenant, for platform admins; `None` for anyone else.
#[server(prefix = "/_app")]
pub async fn admin_tenants() -> Result<Option<Vec<crate::model::TenantRow>>, ServerFnError> {
    use ssr::*;
    let Some(account) = current_account().await else {
        return Ok(None);
    };
    match engine()?.list_tenants(&account).await {
        Ok(tenants) => Ok(Some(
            tenants
                .into_iter()
                .map(|t| crate::model::TenantRow {
                    slug: t.slug,
                    name: t.name,
                    created: date(t.created_at),
                })
                .collect(),
        )),
        Err(engine::EngineError::Forbidden(_)) => Ok(None),
        Err(e) => Err(internal(e)),
    }
}

#[cfg(feature = "ssr")]
fn application_row(a: engine::tenants::TenantApplication) -> crate::model::ApplicationRow {
    crate::model::ApplicationRow {
        created: ssr::date(a.created_at),
        id: a.id,
        applicant: a.applicant_email,
        slug: a.slug,
        name: a.name,
        fhir_base_urls: a.fhir_base_urls,
        message: a.message,
        state: a.state,
        reason: a.reason,
    }
}

/// The signed-in user's applications for a tenant, newest first.
#[server(prefix = "/_app")]
pub async fn my_tenant_applications() -> Result<Vec<crate::model::ApplicationRow>, ServerFnError> {
    use ssr::*;
    let Some(account) = current_account().await else {
        return Ok(Vec::new());
    };
    let rows = engine()?
        .my_tenant_applications(&account)
        .await
        .map_err(internal)?;
    Ok(rows.into_iter().map(application_row).collect())
}

/// Applications waiting for a decision, for platform admins.
#[server(prefix = "/_app")]
pub async fn pending_tenant_applications(
) -> Result<Vec<crate::model::ApplicationRow>, ServerFnError> {
    use ssr::*;
    let Some(account) = current_account().await else {
        return Ok(Vec::new());
    };
    match engine()?.pending_tenant_applications(&account).await {
        Ok(rows) => Ok(rows.into_iter().map(application_row).collect()),
        Err(engine::EngineError::Forbidden(_)) => Ok(Vec::new()),
        Err(e) => Err(internal(e)),
    }
}
