//! The OpenAPI document Sidecar serves at `/api/v1/openapi.json`: the
//! REST API's operations, and those of each tenant's authorization server
//! (token, introspection, revocation, authorize, discovery), which apps
//! and EHRs call most. Both come from the routers that serve them.

/// The whole document.
pub fn document() -> serde_json::Value {
    let operations = crate::api::operations().merge(crate::http::documented_operations());
    crate::api::finish_document(operations.into_openapi())
}
