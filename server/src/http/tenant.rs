//! Form posts of the tenant console and of the developer console's
//! per-tenant credentials; each answers 303 with a flash message.

use app::model::FlashKind;
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use engine::installs::InstallAction;
use engine::EngineError;
use tower_sessions::Session;

use super::forms::{answer, back, flash, refused, Post};
use super::AppState;

/// The scopes ticked on the approval screen, each `*` scope narrowed to
/// the resource types named beside it (`patient/*.rs` with "Observation,
/// Condition" → `patient/Observation.rs patient/Condition.rs`).
fn granted_scopes(post: &Post) -> Vec<String> {
    let mut granted = Vec::new();
    for scope in post.fields.all("scope") {
        let narrow = post.fields.get(&format!("narrow:{scope}"));
        let types: Vec<&str> = narrow
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|t| !t.is_empty())
            .collect();
        if types.is_empty() || !scope.contains("/*.") {
            granted.push(scope);
        } else {
            for resource in types {
                granted.push(scope.replacen("/*.", &format!("/{resource}."), 1));
            }
        }
    }
    granted
}

fn log_in(next: &str) -> Response {
    Redirect::to(&format!("/login?next={next}")).into_response()
}

/// `POST /t/{tenant}/admin/installs`: approve an install.
pub async fn install(
    State(state): State<AppState>,
    session: Session,
    Path(tenant): Path<String>,
    request: Request,
) -> Response {
    let post = Post::read(request).await;
    let app = post.fields.get("app");
    let here = format!("/t/{tenant}/admin/install/{app}");
    let Some(account) = post.account() else {
        return log_in(&here);
    };
    let granted = granted_scopes(&post);
    if granted.is_empty() {
        let e = EngineError::invalid(
            "scope",
            "Grant at least one scope, or leave the app uninstalled.",
        );
        return back(&session, refused("tenant-install", &e, &[]), &here).await;
    }
    match state
        .engine
        .install_app(&account, &tenant, &app, Some(&granted.join(" ")))
        .await
    {
        Ok(install) => {
            let message = format!(
                "{} is installed with {} scope(s); its client id is {}.",
                install.version.manifest.client_name,
                install.granted_scope.scopes().len(),
                install.client_id
            );
            back(
                &session,
                flash("tenant", FlashKind::Success, message),
                &format!("/t/{tenant}/admin"),
            )
            .await
        }
        Err(e) => back(&session, refused("tenant-install", &e, &[]), &here).await,
    }
}

/// `POST /t/{tenant}/admin/installs/{id}/{suspend|resume|revoke|update}`.
pub async fn change_install(
    State(state): State<AppState>,
    session: Session,
    Path((tenant, id, verb)): Path<(String, String, String)>,
    request: Request,
) -> Response {
    let post = Post::read(request).await;
    let console = format!("/t/{tenant}/admin");
    let Some(account) = post.account() else {
        return log_in(&console);
    };
    if verb == "update" {
        let result = state
            .engine
            .approve_install_update(&account, &tenant, &id)
            .await;
        return answer(&session, "tenant", result, "Update approved.", &console).await;
    }
    let (action, done) = match verb.as_str() {
        "suspend" => (InstallAction::Suspend, "Install suspended."),
        "resume" => (InstallAction::Resume, "Install resumed."),
        "revoke" => (InstallAction::Revoke, "Install revoked."),
        _ => return (axum::http::StatusCode::NOT_FOUND, "No such action.").into_response(),
    };
    let result = state
        .engine
        .change_install(&account, &tenant, &id, action)
        .await;
    answer(&session, "tenant", result, done, &console).await
}

/// `POST /t/{tenant}/admin/keys`: a new API key, shown once.
pub async fn create_key(
    State(state): State<AppState>,
    session: Session,
    Path(tenant): Path<String>,
    request: Request,
) -> Response {
    let post = Post::read(request).await;
    let console = format!("/t/{tenant}/admin");
    let Some(account) = post.account() else {
        return log_in(&console);
    };
    let name = post.fields.get("name");
    match state
        .engine
        .create_tenant_key(&account, &tenant, &name, &post.fields.all("scopes"))
        .await
    {
        Ok((info, key)) => {
            let mut f = flash(
                "tenant",
                FlashKind::Success,
                format!("Key \"{}\" created.", info.name),
            );
            f.values.insert("new_key".to_owned(), key);
            back(&session, f, &console).await
        }
        Err(e) => back(&session, refused("tenant", &e, &[("name", name)]), &console).await,
    }
}

/// `POST /t/{tenant}/admin/keys/{id}/revoke`.
pub async fn revoke_key(
    State(state): State<AppState>,
    session: Session,
    Path((tenant, id)): Path<(String, String)>,
    request: Request,
) -> Response {
    let post = Post::read(request).await;
    let console = format!("/t/{tenant}/admin");
    let Some(account) = post.account() else {
        return log_in(&console);
    };
    let result = state.engine.revoke_tenant_key(&account, &tenant, &id).await;
    answer(&session, "tenant", result, "Key revoked.", &console).await
}

/// `POST /dev/apps/{slug}/installs/{tenant}/secret`: a new client secret,
/// shown once on the app's page.
pub async fn rotate_secret(
    State(state): State<AppState>,
    session: Session,
    Path((slug, tenant)): Path<(String, String)>,
    request: Request,
) -> Response {
    let post = Post::read(request).await;
    let page = format!("/dev/apps/{slug}");
    let Some(account) = post.account() else {
        return log_in(&page);
    };
    match state
        .engine
        .rotate_client_secret(&account, &slug, &tenant)
        .await
    {
        Ok((install, secret)) => {
            let mut f = flash(
                "dev-app",
                FlashKind::Success,
                format!(
                    "New client secret for {tenant} (client id {}). The previous one works for {} more hours.",
                    install.client_id,
                    state.engine.config().secret_grace.num_hours()
                ),
            );
            f.values.insert("new_secret".to_owned(), secret);
            back(&session, f, &page).await
        }
        Err(e) => back(&session, refused("dev-app", &e, &[]), &page).await,
    }
}

/// `GET /t/{tenant}/admin/audit.csv`: the audit log, for a spreadsheet.
pub async fn audit_csv(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    request: Request,
) -> Response {
    let account = request
        .extensions()
        .get::<app::session::CurrentAccount>()
        .and_then(|current| current.0.clone());
    let Some(account) = account else {
        return log_in(&format!("/t/{tenant}/admin"));
    };
    match state.engine.tenant_audit(&account, &tenant, 10_000).await {
        Ok(entries) => crate::api::tenants::csv_download(&tenant, &entries),
        Err(EngineError::NotFound(m) | EngineError::Forbidden(m)) => {
            (axum::http::StatusCode::NOT_FOUND, m).into_response()
        }
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "audit export failed");
            axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// `POST /admin/tenants`: a platform admin creates a tenant.
pub async fn create_tenant(
    State(state): State<AppState>,
    session: Session,
    request: Request,
) -> Response {
    let post = Post::read(request).await;
    let Some(account) = post.account() else {
        return log_in("/admin");
    };
    let (name, slug, admin) = (
        post.fields.get("name"),
        post.fields.get("slug"),
        post.fields.get("admin_email"),
    );
    match state
        .engine
        .create_tenant(&account, &slug, &name, &admin)
        .await
    {
        Ok(outcome) => {
            let message = match outcome {
                engine::orgs::TenantAdmin::Member(email) => {
                    format!("{} is created; {email} is its admin.", name.trim())
                }
                engine::orgs::TenantAdmin::Invited(email) => format!(
                    "{} is created; {email} is invited to be its admin.",
                    name.trim()
                ),
            };
            back(
                &session,
                flash("admin", FlashKind::Success, message),
                "/admin",
            )
            .await
        }
        Err(e) => {
            let values = [("name", name), ("slug", slug), ("admin_email", admin)];
            back(&session, refused("admin", &e, &values), "/admin").await
        }
    }
}

/// `POST /t/{tenant}/admin/webhook`: set the URL; the new secret is shown once.
pub async fn set_webhook(
    State(state): State<AppState>,
    session: Session,
    Path(tenant): Path<String>,
    request: Request,
) -> Response {
    let post = Post::read(request).await;
    let console = format!("/t/{tenant}/admin");
    let Some(account) = post.account() else {
        return log_in(&console);
    };
    let url = post.fields.get("url");
    match state.engine.set_webhook(&account, &tenant, &url).await {
        Ok(secret) => {
            let mut f = flash("tenant", FlashKind::Success, "Webhook saved.");
            f.values.insert("new_webhook_secret".to_owned(), secret);
            back(&session, f, &console).await
        }
        Err(e) => back(&session, refused("tenant", &e, &[("url", url)]), &console).await,
    }
}
