//! The API's OpenAPI 3.1 document, made from the same handlers and types
//! the router serves: every route is added with `routes!`, which reads its
//! method and path from the handler's `#[utoipa::path]`.

use std::sync::OnceLock;

use axum::body::Bytes;
use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use serde_json::{json, Map, Value};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{OpenApi, ToSchema};

/// The error body every refusal carries.
#[derive(ToSchema)]
#[schema(as = Error)]
#[allow(dead_code)]
pub struct ErrorBody {
    /// A stable code: `bad_request`, `unauthenticated`, `forbidden`,
    /// `not_found`, `conflict`, `invalid`, `too_large`, `rate_limited`,
    /// `internal`.
    error: String,
    /// What went wrong and what to do about it, for a person.
    message: String,
    /// The request member at fault, when there is one.
    field: Option<String>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Sidecar API",
        description = "Publish SMART on FHIR apps, review them, install them into tenants, \
                       and read a tenant's registrations. Errors share one body \
                       (`Error`); lists share one shape (`items`, `next_cursor`).",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    components(schemas(ErrorBody)),
    tags(
        (name = "publishers", description = "Publisher organisations and their members."),
        (name = "apps", description = "A publisher's apps: drafts, logos, submissions, installs and client secrets."),
        (name = "review", description = "The review queue (token scope `review`)."),
        (name = "catalog", description = "The public gallery's published apps; no token needed."),
        (name = "tenants", description = "A tenant's details and members (token scope `tenant-admin`)."),
        (name = "installs", description = "A tenant's installs and their granted scopes."),
        (name = "authorization-servers", description = "A tenant's authorization servers: the built-in one and those it runs itself, reached by dynamic registration (RFC 7591/7592) or by hand."),
        (name = "keys", description = "A tenant's API keys, shown once at creation."),
        (name = "webhooks", description = "A tenant's webhook and its delivery log."),
        (name = "audit", description = "A tenant's audit log, as JSON or CSV."),
        (name = "registrations", description = "The EHR registry: what a tenant's authorization server must know, by tenant API key."),
        (name = "launches", description = "EHR launch contexts for the built-in authorization server, by tenant API key."),
        (name = "oauth", description = "Each tenant's built-in SMART authorization server, at the issuer `{PUBLIC_URL}/t/{tenant}`: discovery, keys, authorize, token, introspection and revocation. Errors use OAuth's shape (`OAuthError`), not the API's."),
        (name = "meta", description = "This document."),
    ),
)]
pub(super) struct Base;

/// What every operation shares, added once all routes are in: the two
/// bearer schemes, and the error body for any status an operation does not
/// list.
pub(super) fn finish(doc: &mut Document) {
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "personal_token",
        bearer(
            "A personal access token from the account page; each route names the scope it needs.",
        ),
    );
    components.add_security_scheme(
        "client_basic",
        basic("An OAuth client's id and secret (RFC 6749 §2.3.1), at the token and revocation endpoints."),
    );
    components.add_security_scheme(
        "tenant_key",
        bearer("A tenant API key from the tenant console, with the scopes its route needs."),
    );
    let error: RefOr<Response> = ResponseBuilder::new()
        .description("Refused: the body says why, in words a person can act on.")
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Error")))
                .build(),
        )
        .build()
        .into();
    for item in doc.paths.paths.values_mut() {
        for operation in operations(item) {
            let responses = &mut operation.responses.responses;
            for (status, response) in responses.iter_mut() {
                if let RefOr::T(response) = response {
                    if response.description.is_empty() {
                        response.description = status_text(status).to_owned();
                    }
                }
            }
            responses
                .entry("default".to_owned())
                .or_insert_with(|| error.clone());
        }
    }
}

/// OpenAPI requires every response to say what it is; most say it in
/// their status alone.
fn status_text(status: &str) -> &'static str {
    match status {
        "200" => "OK.",
        "201" => "Created.",
        "204" => "Done; no body.",
        "303" => "See the Location.",
        "304" => "Not modified.",
        _ => "See the status.",
    }
}

fn basic(description: &str) -> SecurityScheme {
    let mut http = Http::new(HttpAuthScheme::Basic);
    http.description = Some(description.to_owned());
    SecurityScheme::Http(http)
}

fn bearer(description: &str) -> SecurityScheme {
    let mut http = Http::new(HttpAuthScheme::Bearer);
    http.description = Some(description.to_owned());
    SecurityScheme::Http(http)
}

fn operations(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
    ]
    .into_iter()
    .flatten()
}

static DOCUMENT: OnceLock<Bytes> = OnceLock::new();

/// The document as served, made once.
fn document_bytes() -> Bytes {
    DOCUMENT
        .get_or_init(|| {
            // Serialising a document of plain maps and strings cannot fail;
            // an empty object would still be valid JSON if it ever did.
            Bytes::from(serde_json::to_vec(&super::openapi()).unwrap_or_else(|_| b"{}".to_vec()))
        })
        .clone()
}

/// Writes each schema made with `#[serde(flatten)]` (an `allOf` of objects)
/// as the one object it is on the wire. A flattened manifest refuses
/// unknown members (`additionalProperties: false`), and under `allOf` that
/// would refuse the members of the other parts too.
pub(super) fn merge_flattened(doc: &mut Value) {
    let Some(schemas) = doc.pointer("/components/schemas").cloned() else {
        return;
    };
    let Some(names) = schemas
        .as_object()
        .map(|s| s.keys().cloned().collect::<Vec<_>>())
    else {
        return;
    };
    for name in names {
        if let Some(merged) = merged(&schemas, &schemas[&name]) {
            doc["components"]["schemas"][&name] = merged;
        }
    }
}

/// `schema` as one object when it is an `allOf` of objects.
fn merged(schemas: &Value, schema: &Value) -> Option<Value> {
    let parts = schema.get("allOf")?.as_array()?;
    let mut properties = Map::new();
    let mut required: Vec<Value> = Vec::new();
    let mut closed = false;
    for part in parts {
        let part = match part.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let target = &schemas[r.strip_prefix("#/components/schemas/")?];
                merged(schemas, target).unwrap_or_else(|| target.clone())
            }
            None => part.clone(),
        };
        if part.get("type")? != "object" {
            return None;
        }
        if let Some(p) = part.get("properties").and_then(Value::as_object) {
            properties.extend(p.clone());
        }
        if let Some(r) = part.get("required").and_then(Value::as_array) {
            required.extend(
                r.iter()
                    .filter(|v| !required.contains(v))
                    .cloned()
                    .collect::<Vec<_>>(),
            );
        }
        closed |= part.get("additionalProperties") == Some(&Value::Bool(false));
    }
    let mut object = json!({ "type": "object", "properties": properties, "required": required });
    if closed {
        object["additionalProperties"] = Value::Bool(false);
    }
    if let Some(description) = schema.get("description") {
        object["description"] = description.clone();
    }
    Some(object)
}

/// The OpenAPI 3.1 description of this API.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "meta",
    responses((status = 200, description = "This document.", content_type = "application/json")),
)]
pub async fn openapi_json() -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        document_bytes(),
    )
}
