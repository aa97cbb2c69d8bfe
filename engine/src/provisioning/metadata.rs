//! The client metadata Sidecar wants an install to have at a server (RFC
//! 7591 §2), and how a server's copy is compared with it.

use domain::{AppManifest, ClientAuth};
use serde_json::{json, Map, Value};

/// The mark that lets a registration be recognised at the server, in its
/// `client_name`: `software_id` is the app's own and the same in every
/// install, so it cannot be used.
pub(crate) fn client_name(manifest: &AppManifest, tag: &str) -> String {
    format!("{} [sidecar {tag}]", manifest.client_name)
}

/// What an install at `tag` should look like at the server: the installed
/// version's registration with the scopes the tenant granted.
pub(crate) fn desired(manifest: &AppManifest, granted_scope: &str, tag: &str) -> Value {
    let mut out = Map::new();
    out.insert("client_name".into(), json!(client_name(manifest, tag)));
    let uses_code = manifest
        .grant_types
        .iter()
        .any(|g| g == "authorization_code");
    out.insert(
        "redirect_uris".into(),
        json!(manifest
            .redirect_uris
            .iter()
            .map(|u| u.as_str())
            .collect::<Vec<_>>()),
    );
    out.insert("grant_types".into(), json!(manifest.grant_types));
    out.insert(
        "response_types".into(),
        json!(if uses_code { vec!["code"] } else { vec![] }),
    );
    out.insert(
        "token_endpoint_auth_method".into(),
        json!(manifest.token_endpoint_auth_method),
    );
    out.insert("scope".into(), json!(granted_scope));
    if manifest.token_endpoint_auth_method == ClientAuth::PrivateKeyJwt {
        if let Some(uri) = &manifest.jwks_uri {
            out.insert("jwks_uri".into(), json!(uri.as_str()));
        } else if let Some(jwks) = &manifest.jwks {
            out.insert("jwks".into(), json!(jwks));
        }
    }
    for (key, value) in [
        ("logo_uri", &manifest.logo_uri),
        ("client_uri", &manifest.client_uri),
        ("policy_uri", &manifest.policy_uri),
        ("tos_uri", &manifest.tos_uri),
    ] {
        if let Some(url) = value {
            out.insert(key.into(), json!(url.as_str()));
        }
    }
    if !manifest.contacts.is_empty() {
        out.insert("contacts".into(), json!(manifest.contacts));
    }
    if let Some(id) = &manifest.software_id {
        out.insert("software_id".into(), json!(id));
    }
    if let Some(version) = &manifest.software_version {
        out.insert("software_version".into(), json!(version));
    }
    Value::Object(out)
}

/// The fields that decide what a client may do.
const ENFORCED: &[&str] = &[
    "redirect_uris",
    "scope",
    "grant_types",
    "token_endpoint_auth_method",
    "jwks_uri",
    "jwks",
];

/// The enforced fields in which the server's copy differs from what
/// Sidecar wants (lists compared as sets, scopes as sets of words).
pub(crate) fn drift(wanted: &Value, found: &Value) -> Vec<&'static str> {
    ENFORCED
        .iter()
        .copied()
        .filter(|key| !same(key, &wanted[*key], &found[*key]))
        .collect()
}

fn same(key: &str, a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            let mut x: Vec<String> = x.iter().map(Value::to_string).collect();
            let mut y: Vec<String> = y.iter().map(Value::to_string).collect();
            x.sort();
            y.sort();
            x == y
        }
        (Value::String(x), Value::String(y)) if key == "scope" => {
            let mut x: Vec<&str> = x.split_whitespace().collect();
            let mut y: Vec<&str> = y.split_whitespace().collect();
            x.sort_unstable();
            y.sort_unstable();
            x == y
        }
        // A server may leave out what was not set.
        (Value::Null, Value::Array(y)) => y.is_empty(),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drift_names_only_what_differs() {
        let wanted = json!({
            "redirect_uris": ["https://a/cb", "https://b/cb"],
            "scope": "openid patient/*.rs",
            "grant_types": ["authorization_code"],
            "token_endpoint_auth_method": "none",
        });
        let same = json!({
            "redirect_uris": ["https://b/cb", "https://a/cb"],
            "scope": "patient/*.rs openid",
            "grant_types": ["authorization_code"],
            "token_endpoint_auth_method": "none",
            "client_name": "changed by someone",
        });
        assert!(drift(&wanted, &same).is_empty());
        let changed = json!({
            "redirect_uris": ["https://evil/cb"],
            "scope": "openid patient/*.rs user/*.rs",
            "grant_types": ["authorization_code"],
            "token_endpoint_auth_method": "none",
        });
        assert_eq!(drift(&wanted, &changed), vec!["redirect_uris", "scope"]);
    }
}
