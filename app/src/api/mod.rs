//! Server functions: the few reads the pages make. Every change goes through
//! a plain form post to the server (so that it works without JavaScript).
//!
//! Each is declared here and does its work in the (server-only) module of
//! its area. The declarations stay in this one module because a server
//! function's URL, `/_app/<name><hash>`, hashes the module it is declared in:
//! moving one elsewhere would change its URL.

use leptos::prelude::*;

use crate::model::{PageState, TokenView};

#[cfg(feature = "ssr")]
mod account;
#[cfg(feature = "ssr")]
mod admin;
#[cfg(feature = "ssr")]
mod catalog;
#[cfg(feature = "ssr")]
mod dev;
#[cfg(feature = "ssr")]
mod review;
#[cfg(feature = "ssr")]
mod shared;
#[cfg(feature = "ssr")]
mod tenant;

/// Who is signed in, and the flash message for `form` (taken: shown once).
#[server(prefix = "/_app")]
pub async fn load_page(form: String) -> Result<PageState, ServerFnError> {
    account::load_page(form).await
}

/// The signed-in user's personal access tokens.
#[server(prefix = "/_app")]
pub async fn list_tokens() -> Result<Vec<TokenView>, ServerFnError> {
    account::list_tokens().await
}

/// Is this password-reset link still good?
#[server(prefix = "/_app")]
pub async fn reset_link_is_live(token: String) -> Result<bool, ServerFnError> {
    account::reset_link_is_live(token).await
}

/// One page of the public gallery.
#[server(prefix = "/_app")]
pub async fn gallery(
    filters: crate::model::GalleryFilters,
    page: u32,
) -> Result<crate::model::GalleryPage, ServerFnError> {
    catalog::gallery(filters, page).await
}

/// The public page of a published app; `None` when there is none.
#[server(prefix = "/_app")]
pub async fn app_details(slug: String) -> Result<Option<crate::model::AppDetails>, ServerFnError> {
    catalog::app_details(slug).await
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
    dev::dev_overview().await
}

/// One of your apps, for the developer console.
#[server(prefix = "/_app")]
pub async fn dev_app(slug: String) -> Result<Option<crate::model::DevApp>, ServerFnError> {
    dev::dev_app(slug).await
}

/// A publisher the signed-in user belongs to, with its members; `None`
/// for anyone else.
#[server(prefix = "/_app")]
pub async fn dev_publisher(
    slug: String,
) -> Result<Option<crate::model::PublisherPage>, ServerFnError> {
    dev::dev_publisher(slug).await
}

/// The review queue; empty for anyone who is not a reviewer.
#[server(prefix = "/_app")]
pub async fn review_queue() -> Result<Vec<crate::model::ReviewItem>, ServerFnError> {
    review::review_queue().await
}

/// One waiting submission, for a reviewer.
#[server(prefix = "/_app")]
pub async fn review_submission(
    id: String,
) -> Result<Option<crate::model::ReviewItem>, ServerFnError> {
    review::review_submission(id).await
}

/// A tenant's console, for its admins; `None` for anyone else.
#[server(prefix = "/_app")]
pub async fn tenant_console(
    tenant: String,
) -> Result<Option<crate::model::TenantConsole>, ServerFnError> {
    tenant::tenant_console(tenant).await
}

/// The approval screen of an install: the app's requested scopes, for a
/// tenant admin; `None` when either is not there for the caller.
#[server(prefix = "/_app")]
pub async fn install_preview(
    tenant: String,
    app: String,
) -> Result<Option<crate::model::InstallPreview>, ServerFnError> {
    tenant::install_preview(tenant, app).await
}

/// Every tenant, for platform admins; `None` for anyone else.
#[server(prefix = "/_app")]
pub async fn admin_tenants() -> Result<Option<Vec<crate::model::TenantRow>>, ServerFnError> {
    admin::admin_tenants().await
}

/// The signed-in user's applications for a tenant, newest first.
#[server(prefix = "/_app")]
pub async fn my_tenant_applications() -> Result<Vec<crate::model::ApplicationRow>, ServerFnError> {
    admin::my_tenant_applications().await
}

/// Applications waiting for a decision, for platform admins.
#[server(prefix = "/_app")]
pub async fn pending_tenant_applications(
) -> Result<Vec<crate::model::ApplicationRow>, ServerFnError> {
    admin::pending_tenant_applications().await
}
