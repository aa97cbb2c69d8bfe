//! What the areas share: the engine and the caller from the request
//! context, error and date formatting, and the rows more than one page
//! shows.

use engine::people::accounts::Account;
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

pub fn activity_line(entry: &engine::platform::audit::AuditEntry) -> crate::model::ActivityLine {
    crate::model::ActivityLine {
        at: date(entry.at),
        who: entry.actor(),
        what: entry.describe(),
    }
}

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

/// Installs as both the developer console and the tenant console list
/// them, each with its client at the tenant's own server, if any.
pub async fn install_rows(
    installs: Vec<engine::tenancy::installs::InstallView>,
) -> Result<Vec<crate::model::InstallRow>, ServerFnError> {
    let mut found = engine()?
        .provisioning_of(&installs.iter().collect::<Vec<_>>())
        .await
        .map_err(internal)?;
    Ok(installs
        .into_iter()
        .map(|i| {
            let provisioning = found.remove(&i.id).map(|p| crate::model::ProvisioningLine {
                server_id: p.server_id,
                server_name: p.server_name,
                issuer: p.issuer,
                client_id: p.client_id,
                state: p.state,
                attempts: p.attempts,
                next_attempt: p
                    .next_attempt_at
                    .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string()),
                last_error: p.last_error,
                secret_waiting: p.secret_waiting,
                possible_orphans: p.possible_orphans,
                manual: None,
            });
            install_row(i, provisioning)
        })
        .collect())
}

fn install_row(
    i: engine::tenancy::installs::InstallView,
    provisioning: Option<crate::model::ProvisioningLine>,
) -> crate::model::InstallRow {
    use domain::ClientAuth;
    crate::model::InstallRow {
        provisioning,
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
