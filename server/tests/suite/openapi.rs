//! `/api/v1/openapi.json`: served, OpenAPI 3.1, whole (every reference
//! resolves), and the same set of routes the API serves — in both
//! directions.

use crate::support;

use std::collections::BTreeSet;
use std::path::Path;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use support::spawn_app;

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

fn operations(doc: &Value) -> Vec<(String, String)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if item.get(method).is_some() {
                ops.push((method.to_owned(), path.clone()));
            }
        }
    }
    ops
}

fn refs<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                found.push(r);
            }
            map.values().for_each(|v| refs(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_is_openapi_3_1_and_whole() {
    let app = spawn_app().await;
    let response = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    let doc: Value = response.json().await.unwrap();

    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "Sidecar API");
    // The API, and each tenant's authorization server (apps and EHRs
    // call it most).
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths
        .keys()
        .all(|p| p.starts_with("/api/v1/") || p.starts_with("/t/{tenant}/")));
    for oauth in ["token", "introspect", "revoke", "authorize", "jwks"] {
        assert!(
            paths.contains_key(&format!("/t/{{tenant}}/oauth/{oauth}")),
            "the {oauth} endpoint is not described"
        );
    }

    // Every reference points at a component that is there.
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(!found.is_empty());
    for r in found {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("a reference outside the schemas: {r}"));
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "{r} is referenced but not defined"
        );
    }

    // Each operation: a unique id, a tag, an error answer, and a security
    // scheme that exists (the catalog and this document need none).
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    let mut ids = BTreeSet::new();
    for (method, path) in operations(&doc) {
        let op = &doc["paths"][&path][&method];
        let id = op["operationId"].as_str().unwrap().to_owned();
        assert!(ids.insert(id.clone()), "operationId {id} twice");
        assert!(op["tags"][0].is_string(), "{method} {path} has no tag");
        assert!(
            op["responses"]["default"].is_object(),
            "{method} {path} does not describe its errors"
        );
        for (status, response) in op["responses"].as_object().unwrap() {
            assert!(
                response["description"]
                    .as_str()
                    .is_some_and(|d| !d.is_empty()),
                "{method} {path} {status}: OpenAPI requires a description"
            );
        }
        // The catalog, this document, and what an authorization server
        // serves to anyone (discovery, keys, the authorize page).
        let public = path.starts_with("/api/v1/catalog/")
            || path == "/api/v1/openapi.json"
            || path.starts_with("/t/{tenant}/.well-known/")
            || path == "/t/{tenant}/oauth/jwks"
            || path == "/t/{tenant}/oauth/authorize";
        match op.get("security") {
            None => assert!(public, "{method} {path} names no security scheme"),
            Some(requirements) => {
                for requirement in requirements.as_array().unwrap() {
                    for scheme in requirement.as_object().unwrap().keys() {
                        assert!(schemes.contains_key(scheme), "unknown scheme {scheme}");
                    }
                }
            }
        }
        // Path parameters are declared, each one.
        let declared: BTreeSet<&str> = op["parameters"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .filter(|p| p["in"] == "path")
                    .map(|p| p["name"].as_str().unwrap())
                    .collect()
            })
            .unwrap_or_default();
        let in_path: BTreeSet<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        assert_eq!(declared, in_path, "{method} {path}");
    }
}

/// A request the router answers with its fallback or 405 reached no route.
fn unrouted(status: StatusCode, body: &Value) -> bool {
    status == StatusCode::METHOD_NOT_ALLOWED
        || (status == StatusCode::NOT_FOUND && body["message"] == "There is no such API endpoint.")
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let app = spawn_app().await;
    let doc: Value = reqwest::get(app.url("/api/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ops = operations(&doc);
    assert!(ops.len() >= 30, "only {} operations", ops.len());

    // The check itself: a path that is not routed is noticed.
    let (status, body) = app
        .api(Method::GET, "/api/v1/no/such/route", None, None)
        .await;
    assert!(unrouted(status, &body));
    let (status, body) = app
        .api(Method::PATCH, "/api/v1/publishers", None, None)
        .await;
    assert!(unrouted(status, &body), "{status} {body}");

    for (method, path) in ops {
        let concrete: String = path
            .split('/')
            .map(|s| if s.starts_with('{') { "x" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let (status, body) = app.api(method.clone(), &concrete, None, None).await;
        assert!(
            !unrouted(status, &body),
            "{method} {path} is in the document but not routed ({status} {body})"
        );
    }
}

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push((
                path.display().to_string(),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
    files
}

/// The other direction: a route can only be served through `routes!` with
/// its `#[utoipa::path]`, so a route the document lacks fails here.
#[test]
fn no_api_route_is_added_outside_the_document() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");

    // The API module registers routes only through `.routes(routes!(…))`.
    for (file, text) in sources(&src.join("api")) {
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            for raw in [
                ".route(",
                ".route_service(",
                ".nest(",
                ".nest_service(",
                ".merge(",
            ] {
                assert!(
                    !code.contains(raw),
                    "{file}:{}: `{raw}` adds a route the OpenAPI document does not have; \
                     add the handler with `#[utoipa::path]` and `routes!` in api/mod.rs",
                    n + 1
                );
            }
        }
        // Every public handler of the API carries its operation.
        let lines: Vec<&str> = text.lines().collect();
        for (n, line) in lines.iter().enumerate() {
            // The API's 404 answers where no route is; it is no route.
            if !line.starts_with("pub async fn ")
                || line.starts_with("pub async fn no_such_endpoint(")
            {
                continue;
            }
            let annotated = lines[..n]
                .iter()
                .rev()
                .take_while(|l| !l.trim().is_empty() && !l.starts_with('}'))
                .any(|l| l.starts_with("#[utoipa::path("));
            assert!(
                annotated,
                "{file}:{}: a handler without #[utoipa::path]",
                n + 1
            );
        }
    }

    // Nothing else serves under `/api/`: the HTTP layer merges the API's
    // router, answers the rest of `/api/v1` with the API's 404, and may look
    // at the prefix.
    for (file, text) in sources(&src.join("http")) {
        for (n, line) in text.lines().enumerate() {
            if line.contains("\"/api/") {
                assert!(
                    line.contains("any(crate::api::no_such_endpoint)")
                        || line.contains("starts_with(\"/api/\")"),
                    "{file}:{}: an `/api/` path outside the API module",
                    n + 1
                );
            }
        }
    }
}
