//! Form posts of the tenant console and of the developer console's
//! per-tenant credentials; each answers 303 with a flash message.

mod installs;
mod onboarding;
mod people;
mod servers;
mod settings;

pub(crate) use installs::{change_install, install, reveal_server_secret, rotate_secret};
pub(crate) use onboarding::{apply_for_tenant, create_tenant, decide_application};
pub(crate) use people::{create_user, invite_member, remove_member, remove_user};
pub(crate) use servers::{add_server, check_server, make_default, remove_server};
pub(crate) use settings::{audit_csv, create_key, revoke_key, save_settings, set_webhook};

use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use engine::tenancy::Tenant;
use tower_sessions::Session;

use super::forms::{back, refused, Post};
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
