//! How tenants come to be: a platform admin creates one, or decides a
//! health system's application for one.

use app::model::FlashKind;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use super::log_in;
use crate::http::forms::{back, flash, refused, Post};
use crate::http::AppState;

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
