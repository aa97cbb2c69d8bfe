//! What changed between two versions of an app: the parts a tenant's
//! authorization server enforces (scopes, redirect URIs) item by item, the
//! rest by member name.

use serde::{Deserialize, Serialize};

use crate::manifest::AppManifest;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ManifestDiff {
    pub scopes_added: Vec<String>,
    pub scopes_removed: Vec<String>,
    pub redirect_uris_added: Vec<String>,
    pub redirect_uris_removed: Vec<String>,
    /// Other manifest members whose value differs, by wire name.
    pub changed: Vec<String>,
}

impl ManifestDiff {
    /// From `old` to `new`. Scopes compare in canonical form, so
    /// `patient/Observation.read` → `patient/Observation.rs` is no change.
    pub fn between(old: &AppManifest, new: &AppManifest) -> Self {
        let canon = |m: &AppManifest| -> Vec<(String, String)> {
            m.scope
                .scopes()
                .iter()
                .map(|s| (s.canonical().to_string(), s.to_string()))
                .collect()
        };
        let (old_scopes, new_scopes) = (canon(old), canon(new));
        let missing_from = |from: &[(String, String)], other: &[(String, String)]| {
            from.iter()
                .filter(|(c, _)| !other.iter().any(|(o, _)| o == c))
                .map(|(_, shown)| shown.clone())
                .collect::<Vec<_>>()
        };
        let uris = |m: &AppManifest| -> Vec<String> {
            m.redirect_uris.iter().map(|u| u.to_string()).collect()
        };
        let (old_uris, new_uris) = (uris(old), uris(new));
        let absent = |from: &[String], other: &[String]| {
            from.iter()
                .filter(|u| !other.contains(u))
                .cloned()
                .collect::<Vec<_>>()
        };
        Self {
            scopes_added: missing_from(&new_scopes, &old_scopes),
            scopes_removed: missing_from(&old_scopes, &new_scopes),
            redirect_uris_added: absent(&new_uris, &old_uris),
            redirect_uris_removed: absent(&old_uris, &new_uris),
            changed: changed_members(old, new),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.scopes_added.is_empty()
            && self.scopes_removed.is_empty()
            && self.redirect_uris_added.is_empty()
            && self.redirect_uris_removed.is_empty()
            && self.changed.is_empty()
    }
}

fn changed_members(old: &AppManifest, new: &AppManifest) -> Vec<String> {
    let (Ok(serde_json::Value::Object(old)), Ok(serde_json::Value::Object(new))) =
        (serde_json::to_value(old), serde_json::to_value(new))
    else {
        return Vec::new();
    };
    new.iter()
        .filter(|(key, _)| !matches!(key.as_str(), "scope" | "redirect_uris"))
        .filter(|(key, value)| old.get(key.as_str()) != Some(value))
        .map(|(key, _)| key.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::ManifestInput;

    fn manifest(scope: &str, uris: &[&str], name: &str) -> AppManifest {
        let input: ManifestInput = serde_json::from_value(serde_json::json!({
            "client_name": name,
            "redirect_uris": uris,
            "scope": scope,
            "token_endpoint_auth_method": "none",
            "launch_url": "https://app.example.com/launch",
            "fhir_versions": ["4.0.1"],
            "launch_types": ["ehr"],
            "audience": ["clinician"],
            "categories": ["clinical-decision-support"],
            "tagline": "A tagline",
            "description": "A description.",
        }))
        .unwrap();
        AppManifest::validate(input).unwrap()
    }

    #[test]
    fn lists_scopes_and_redirects_added_and_removed() {
        let old = manifest(
            "launch patient/Observation.read openid",
            &["https://app.example.com/cb"],
            "Charts",
        );
        let new = manifest(
            "launch patient/Observation.rs patient/Condition.rs",
            &["https://app.example.com/cb2"],
            "Charts 2",
        );
        let diff = ManifestDiff::between(&old, &new);
        assert_eq!(diff.scopes_added, vec!["patient/Condition.rs"]);
        assert_eq!(diff.scopes_removed, vec!["openid"]);
        assert_eq!(
            diff.redirect_uris_added,
            vec!["https://app.example.com/cb2"]
        );
        assert_eq!(
            diff.redirect_uris_removed,
            vec!["https://app.example.com/cb"]
        );
        assert_eq!(diff.changed, vec!["client_name"]);
        assert!(!diff.is_empty());
    }

    #[test]
    fn a_version_against_itself_is_no_change() {
        let m = manifest("launch openid", &["https://app.example.com/cb"], "Same");
        assert!(ManifestDiff::between(&m, &m).is_empty());
    }
}
