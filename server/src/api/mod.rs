//! The REST API under `/api/v1`: JSON, bearer tokens, one error shape.

mod apps;
mod auth;
mod doc;
mod error;
mod json;
mod launches;
mod publishers;
mod registrations;
mod tenant_context;
pub(crate) mod tenants;

use axum::Router;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::AppState;

pub(crate) use auth::bearer_token;
pub use auth::Caller;
pub use error::ApiError;
pub use registrations::RegistryPages;

/// Every API route, each with its OpenAPI operation. Add routes here only,
/// through `routes!` (one path per call), so none can be served without
/// being in the document.
pub(crate) fn operations() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(doc::Base::openapi())
        .routes(routes!(doc::openapi_json))
        .routes(routes!(publishers::list, publishers::create))
        .routes(routes!(publishers::members, publishers::invite))
        .routes(routes!(apps::list, apps::create))
        .routes(routes!(apps::get))
        .routes(routes!(apps::put_draft))
        .routes(routes!(apps::submit))
        .routes(routes!(apps::put_logo, apps::delete_logo))
        .routes(routes!(tenants::installs::app_installs))
        .routes(routes!(tenants::secrets::rotate_secret))
        .routes(routes!(tenants::secrets::reveal_secret))
        .routes(routes!(tenants::get_tenant, tenants::put_tenant))
        .routes(routes!(tenants::members::members, tenants::members::invite))
        .routes(routes!(tenants::members::remove_member))
        .routes(routes!(tenants::users::users, tenants::users::create_user))
        .routes(routes!(tenants::users::remove_user))
        .routes(routes!(
            tenants::installs::list_installs,
            tenants::installs::install
        ))
        .routes(routes!(tenants::installs::suspend))
        .routes(routes!(tenants::installs::resume))
        .routes(routes!(tenants::installs::update))
        .routes(routes!(tenants::installs::revoke))
        .routes(routes!(tenants::provisioning::retry))
        .routes(routes!(tenants::provisioning::move_install))
        .routes(routes!(
            tenants::provisioning::manual_handoff,
            tenants::provisioning::complete_manual
        ))
        .routes(routes!(
            tenants::authorization_servers::list_authorization_servers,
            tenants::authorization_servers::add_authorization_server
        ))
        .routes(routes!(
            tenants::authorization_servers::get_authorization_server,
            tenants::authorization_servers::put_authorization_server,
            tenants::authorization_servers::delete_authorization_server
        ))
        .routes(routes!(
            tenants::authorization_servers::check_authorization_server
        ))
        .routes(routes!(tenants::keys::list_keys, tenants::keys::create_key))
        .routes(routes!(tenants::keys::delete_key))
        .routes(routes!(tenants::audit::audit))
        .routes(routes!(
            tenants::webhooks::webhook,
            tenants::webhooks::set_webhook
        ))
        .routes(routes!(registrations::list))
        .routes(routes!(registrations::get))
        .routes(routes!(launches::create))
        .routes(routes!(apps::review::review_queue))
        .routes(routes!(apps::review::approve))
        .routes(routes!(apps::review::reject))
        .routes(routes!(apps::catalog::catalog))
        .routes(routes!(apps::catalog::catalog_app))
}

/// The API's routes (each path starts with `/api/v1`).
pub fn router() -> Router<AppState> {
    operations().split_for_parts().0
}

/// The answer under `/api/v1` where no route is.
pub async fn no_such_endpoint() -> ApiError {
    ApiError::not_found("There is no such API endpoint.")
}

/// The OpenAPI 3.1 document, as `/api/v1/openapi.json` serves it: the
/// API's operations and the authorization servers' (see `crate::openapi`).
pub fn openapi() -> serde_json::Value {
    crate::openapi::document()
}

/// Makes the document whole once every operation is in it.
pub(crate) fn finish_document(document: utoipa::openapi::OpenApi) -> serde_json::Value {
    let mut document = document;
    doc::finish(&mut document);
    // A document of maps and strings always serialises.
    let mut json = serde_json::to_value(&document).unwrap_or_default();
    doc::merge_flattened(&mut json);
    json
}

/// The list shape every collection answers with.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}
