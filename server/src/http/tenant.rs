//! Form posts of the tenant console and of the developer console's
//! per-tenant credentials; each answers 303 with a flash message.

use app::model::FlashKind;
use axum::extract::{FromRequest, FromRequestParts, Path, RawPathParams, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use engine::tenancy::installs::InstallAction;
use engine::tenancy::Tenant;
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

/// A form post to the tenant console: the form, the caller's context in
/// the `{tenant}` of the path, the session, and the console to go back to.
/// Nobody signed in is sent to log in; a tenant that is not theirs sends
/// them back with why.
pub struct ConsolePost {
    post: Post,
    tenant: Tenant,
    session: Session,
    console: String,
}

impl FromRequest<AppState> for ConsolePost {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let session = Session::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let slug = RawPathParams::from_request_parts(&mut parts, state)
            .await
            .ok()
            .and_then(|params| {
                params
                    .iter()
                    .find(|(name, _)| *name == "tenant")
                    .map(|(_, value)| value.to_owned())
            })
            .ok_or_else(|| (StatusCode::NOT_FOUND, "No such tenant.").into_response())?;
        let post = Post::read(Request::from_parts(parts, body)).await;
        let console = format!("/t/{slug}/admin");
        let tenant = tenant_of(state, &session, &post, &slug, &console).await?;
        Ok(Self {
            post,
            tenant,
            session,
            console,
        })
    }
}

/// The signed-in caller's context in `slug`, or what to answer instead: the
/// login page, or back to `page` with why not.
async fn tenant_of(
    state: &AppState,
    session: &Session,
    post: &Post,
    slug: &str,
    page: &str,
) -> Result<Tenant, Response> {
    let Some(account) = post.account() else {
        return Err(log_in(page));
    };
    match state.engine.tenant(&account, slug).await {
        Ok(tenant) => Ok(tenant),
        Err(e) => Err(back(session, refused("tenant", &e, &[]), "/account").await),
    }
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
    let tenant = match tenant_of(&state, &session, &post, &tenant, &here).await {
        Ok(tenant) => tenant,
        Err(response) => return response,
    };
    // The developer console installs a draft in its sandbox with all it asks.
    if post.fields.has("all_scopes") {
        let result = state.engine.install_app(&tenant, &app, None).await;
        let back_to = format!("/dev/apps/{app}");
        return match result {
            Ok(install) => {
                let message = format!(
                    "The draft is installed in {}; its client id is {}.",
                    tenant.name(),
                    install.client_id
                );
                back(
                    &session,
                    flash("dev-app", FlashKind::Success, message),
                    &back_to,
                )
                .await
            }
            Err(e) => back(&session, refused("dev-app", &e, &[]), &back_to).await,
        };
    }
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
        .install_app(&tenant, &app, Some(&granted.join(" ")))
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
                &format!("/t/{}/admin", tenant.slug()),
            )
            .await
        }
        Err(e) => back(&session, refused("tenant-install", &e, &[]), &here).await,
    }
}

/// `POST /t/{tenant}/admin/installs/{id}/{suspend|resume|revoke|update}`.
pub async fn change_install(
    State(state): State<AppState>,
    Path((_, id, verb)): Path<(String, String, String)>,
    ConsolePost {
        tenant,
        session,
        console,
        ..
    }: ConsolePost,
) -> Response {
    if verb == "update" {
        let result = state.engine.approve_install_update(&tenant, &id).await;
        return answer(&session, "tenant", result, "Update approved.", &console).await;
    }
    let (action, done) = match verb.as_str() {
        "suspend" => (InstallAction::Suspend, "Install suspended."),
        "resume" => (InstallAction::Resume, "Install resumed."),
        "revoke" => (InstallAction::Revoke, "Install revoked."),
        _ => return (StatusCode::NOT_FOUND, "No such action.").into_response(),
    };
    let result = state.engine.change_install(&tenant, &id, action).await;
    answer(&session, "tenant", result, done, &console).await
}

/// `POST /t/{tenant}/admin/keys`: a new API key, shown once.
pub async fn create_key(
    State(state): State<AppState>,
    ConsolePost {
        post,
        tenant,
        session,
        console,
    }: ConsolePost,
) -> Response {
    let name = post.fields.get("name");
    match state
        .engine
        .create_tenant_key(&tenant, &name, &post.fields.all("scopes"))
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
    Path((_, id)): Path<(String, String)>,
    ConsolePost {
        tenant,
        session,
        console,
        ..
    }: ConsolePost,
) -> Response {
    let result = state.engine.revoke_tenant_key(&tenant, &id).await;
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
    let entries = match state.engine.tenant(&account, &tenant).await {
        Ok(tenant) => {
            state
                .engine
                .tenant_audit(&tenant, engine::platform::audit::AUDIT_PAGE_MAX)
                .await
        }
        Err(e) => Err(e),
    };
    match entries {
        Ok(entries) => crate::api::tenants::csv_download(&tenant, &entries),
        Err(EngineError::NotFound(m) | EngineError::Forbidden(m)) => {
            (StatusCode::NOT_FOUND, m).into_response()
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
                engine::tenancy::tenants::TenantAdmin::Member(email) => {
                    format!("{} is created; {email} is its admin.", name.trim())
                }
                engine::tenancy::tenants::TenantAdmin::Invited(email) => format!(
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
    ConsolePost {
        post,
        tenant,
        session,
        console,
    }: ConsolePost,
) -> Response {
    let url = post.fields.get("url");
    match state.engine.set_webhook(&tenant, &url).await {
        Ok(secret) => {
            let mut f = flash("tenant", FlashKind::Success, "Webhook saved.");
            f.values.insert("new_webhook_secret".to_owned(), secret);
            back(&session, f, &console).await
        }
        Err(e) => back(&session, refused("tenant", &e, &[("url", url)]), &console).await,
    }
}

/// `POST /t/{tenant}/admin/settings`: name and FHIR base URLs.
pub async fn save_settings(
    State(state): State<AppState>,
    ConsolePost {
        post,
        tenant,
        session,
        console,
    }: ConsolePost,
) -> Response {
    let (name, urls) = (post.fields.get("name"), post.fields.get("fhir_base_urls"));
    match state.engine.update_tenant(&tenant, &name, &urls).await {
        Ok(_) => {
            let f = flash("tenant-settings", FlashKind::Success, "Settings saved.");
            back(&session, f, &console).await
        }
        Err(e) => {
            let values = [("name", name), ("fhir_base_urls", urls)];
            back(&session, refused("tenant-settings", &e, &values), &console).await
        }
    }
}

/// `POST /t/{tenant}/admin/members`: add or invite someone by email.
pub async fn invite_member(
    State(state): State<AppState>,
    ConsolePost {
        post,
        tenant,
        session,
        console,
    }: ConsolePost,
) -> Response {
    let (email, role) = (post.fields.get("email"), post.fields.get("role"));
    match state
        .engine
        .invite_tenant_member(&tenant, &email, &role)
        .await
    {
        Ok(outcome) => {
            let message = match outcome {
                engine::people::members::Invited::Added => {
                    format!("{} is now a {role}.", email.trim())
                }
                engine::people::members::Invited::Invited => {
                    format!(
                        "{} is invited as {role}; they join once they sign up.",
                        email.trim()
                    )
                }
            };
            back(
                &session,
                flash("tenant-members", FlashKind::Success, message),
                &console,
            )
            .await
        }
        Err(e) => {
            let values = [("email", email), ("role", role)];
            back(&session, refused("tenant-members", &e, &values), &console).await
        }
    }
}

/// `POST /t/{tenant}/admin/members/remove`: remove a member or withdraw an invitation.
pub async fn remove_member(
    State(state): State<AppState>,
    ConsolePost {
        post,
        tenant,
        session,
        console,
    }: ConsolePost,
) -> Response {
    let email = post.fields.get("email");
    let result = state.engine.remove_tenant_member(&tenant, &email).await;
    let done = format!("{} no longer belongs to the tenant.", email.trim());
    answer(&session, "tenant-members", result, &done, &console).await
}

/// `POST /t/{tenant}/admin/users`: add an end user of the tenant's
/// authorization server.
pub async fn create_user(
    State(state): State<AppState>,
    ConsolePost {
        post,
        tenant,
        session,
        console,
    }: ConsolePost,
) -> Response {
    let (username, fhir_user) = (post.fields.get("username"), post.fields.get("fhir_user"));
    let result = state
        .engine
        .create_tenant_user(&tenant, &username, &post.fields.get("password"), &fhir_user)
        .await;
    let outcome = match result {
        Ok(user) => flash(
            "tenant-users",
            FlashKind::Success,
            format!("{} can now log in as {}.", user.username, user.fhir_user),
        ),
        // The form comes back filled in, but for the password.
        Err(e) => refused(
            "tenant-users",
            &e,
            &[("username", username), ("fhir_user", fhir_user)],
        ),
    };
    back(&session, outcome, &console).await
}

/// `POST /t/{tenant}/admin/users/remove`.
pub async fn remove_user(
    State(state): State<AppState>,
    ConsolePost {
        post,
        tenant,
        session,
        console,
    }: ConsolePost,
) -> Response {
    let result = state
        .engine
        .remove_tenant_user(&tenant, &post.fields.get("id"))
        .await;
    answer(
        &session,
        "tenant-users",
        result,
        "The user is removed.",
        &console,
    )
    .await
}

/// `POST /account/tenant-applications`: a health system applies for a tenant.
pub async fn apply_for_tenant(
    State(state): State<AppState>,
    session: Session,
    request: Request,
) -> Response {
    let post = Post::read(request).await;
    let page = "/account/tenant-applications";
    let Some(account) = post.account() else {
        return log_in(page);
    };
    let fields = ["slug", "name", "fhir_base_urls", "message"].map(|f| (f, post.fields.get(f)));
    let [slug, name, urls, message] = fields.clone().map(|(_, v)| v);
    match state
        .engine
        .apply_for_tenant(&account, &slug, &name, &urls, &message)
        .await
    {
        Ok(application) => {
            let message = format!(
                "Thank you: the application for {} is with the platform's admins. You will hear by mail.",
                application.name
            );
            back(&session, flash("apply", FlashKind::Success, message), page).await
        }
        Err(e) => back(&session, refused("apply", &e, &fields), page).await,
    }
}

/// `POST /admin/applications/{id}/{approve|reject}`.
pub async fn decide_application(
    State(state): State<AppState>,
    session: Session,
    Path((id, verb)): Path<(String, String)>,
    request: Request,
) -> Response {
    let post = Post::read(request).await;
    let Some(account) = post.account() else {
        return log_in("/admin");
    };
    let approve = match verb.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return (StatusCode::NOT_FOUND, "No such action.").into_response(),
    };
    let reason = post.fields.get("reason");
    match state
        .engine
        .decide_tenant_application(&account, &id, approve, &reason)
        .await
    {
        Ok(application) => {
            let message = if approve {
                format!(
                    "{} is created; {} is its admin.",
                    application.name, application.applicant_email
                )
            } else {
                format!(
                    "The application for {} is declined; the applicant is told why.",
                    application.name
                )
            };
            back(
                &session,
                flash("admin-applications", FlashKind::Success, message),
                "/admin",
            )
            .await
        }
        Err(e) => back(&session, refused("admin-applications", &e, &[]), "/admin").await,
    }
}
