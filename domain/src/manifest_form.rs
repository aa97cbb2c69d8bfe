//! The app manifest as an HTML form: one text value per field, lists one
//! per line, choices as checked boxes. The same conversion runs in the
//! server (a posted form) and in the browser (validation as you type), so
//! both report the same errors against the same fields.

use serde::{Deserialize, Serialize};

use crate::manifest::{AppManifest, FieldError, ManifestInput};

/// The form's values, named after the manifest members they fill.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestForm {
    pub client_name: String,
    pub tagline: String,
    pub description: String,
    pub logo_uri: String,
    pub client_uri: String,
    pub policy_uri: String,
    pub tos_uri: String,
    /// One address per line.
    pub contacts: String,
    pub software_id: String,
    pub software_version: String,
    pub launch_url: String,
    /// One URI per line.
    pub redirect_uris: String,
    pub scope: String,
    pub token_endpoint_auth_method: String,
    pub jwks_uri: String,
    /// A JWKS as JSON text.
    pub jwks: String,
    pub grant_types: Vec<String>,
    pub fhir_versions: Vec<String>,
    pub launch_types: Vec<String>,
    pub audience: Vec<String>,
    pub categories: Vec<String>,
}

/// Field names and accessors from one list, so that a name means the same
/// member everywhere.
macro_rules! form_fields {
    (text: [$($t:ident),* $(,)?], multi: [$($m:ident),* $(,)?] $(,)?) => {
        /// The members a form sends as one text value each.
        pub const TEXT_FIELDS: &[&str] = &[$(stringify!($t)),*];
        /// The members a form sends as checked boxes (repeated names).
        pub const MULTI_FIELDS: &[&str] = &[$(stringify!($m)),*];

        impl ManifestForm {
            /// The text field `name`; `None` for a name that is not one.
            pub fn text_mut(&mut self, name: &str) -> Option<&mut String> {
                match name {
                    $(stringify!($t) => Some(&mut self.$t),)*
                    _ => None,
                }
            }

            /// The text field `name` (empty for a name that is not one).
            pub fn text(&self, name: &str) -> &str {
                match name {
                    $(stringify!($t) => &self.$t,)*
                    _ => "",
                }
            }

            /// The repeated field `name`; `None` for a name that is not one.
            pub fn choices_mut(&mut self, name: &str) -> Option<&mut Vec<String>> {
                match name {
                    $(stringify!($m) => Some(&mut self.$m),)*
                    _ => None,
                }
            }

            /// The values of the repeated field `name` (none for other names).
            pub fn choices(&self, name: &str) -> &[String] {
                match name {
                    $(stringify!($m) => &self.$m,)*
                    _ => &[],
                }
            }
        }
    };
}

form_fields! {
    text: [
        client_name, tagline, description, logo_uri, client_uri, policy_uri, tos_uri,
        contacts, software_id, software_version, launch_url, redirect_uris, scope,
        token_endpoint_auth_method, jwks_uri, jwks,
    ],
    multi: [grant_types, fhir_versions, launch_types, audience, categories],
}

fn text(value: &str) -> Option<String> {
    Some(value.trim().to_owned()).filter(|v| !v.is_empty())
}

fn lines(value: &str) -> Option<Vec<String>> {
    let items: Vec<String> = value
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    (!items.is_empty()).then_some(items)
}

fn choices(values: &[String]) -> Option<Vec<String>> {
    (!values.is_empty()).then(|| values.to_vec())
}

impl ManifestForm {
    /// Reads a posted form: `one(name)` is a field's value (empty when
    /// absent), `all(name)` every value of a repeated field.
    pub fn from_fields(one: impl Fn(&str) -> String, all: impl Fn(&str) -> Vec<String>) -> Self {
        let mut form = Self::default();
        for name in TEXT_FIELDS {
            if let Some(text) = form.text_mut(name) {
                *text = one(name);
            }
        }
        for name in MULTI_FIELDS {
            if let Some(values) = form.choices_mut(name) {
                *values = all(name);
            }
        }
        form
    }

    /// The form filled from a (possibly incomplete) manifest.
    pub fn from_input(input: &ManifestInput) -> Self {
        let one = |v: &Option<String>| v.clone().unwrap_or_default();
        let joined = |v: &Option<Vec<String>>| v.clone().unwrap_or_default().join("\n");
        let list = |v: &Option<Vec<String>>| v.clone().unwrap_or_default();
        Self {
            client_name: one(&input.client_name),
            tagline: one(&input.tagline),
            description: one(&input.description),
            logo_uri: one(&input.logo_uri),
            client_uri: one(&input.client_uri),
            policy_uri: one(&input.policy_uri),
            tos_uri: one(&input.tos_uri),
            contacts: joined(&input.contacts),
            software_id: one(&input.software_id),
            software_version: one(&input.software_version),
            launch_url: one(&input.launch_url),
            redirect_uris: joined(&input.redirect_uris),
            scope: one(&input.scope),
            token_endpoint_auth_method: one(&input.token_endpoint_auth_method),
            jwks_uri: one(&input.jwks_uri),
            jwks: input
                .jwks
                .as_ref()
                .and_then(|j| serde_json::to_string_pretty(j).ok())
                .unwrap_or_default(),
            grant_types: list(&input.grant_types),
            fhir_versions: list(&input.fhir_versions),
            launch_types: list(&input.launch_types),
            audience: list(&input.audience),
            categories: list(&input.categories),
        }
    }

    /// The manifest this form describes; `jwks` must be JSON.
    pub fn to_input(&self) -> Result<ManifestInput, FieldError> {
        let jwks = match text(&self.jwks) {
            None => None,
            Some(json) => Some(serde_json::from_str(&json).map_err(|e| FieldError {
                field: "jwks",
                message: format!("The keys are not valid JSON: {e}"),
            })?),
        };
        Ok(ManifestInput {
            client_name: text(&self.client_name),
            redirect_uris: lines(&self.redirect_uris),
            scope: text(&self.scope),
            token_endpoint_auth_method: text(&self.token_endpoint_auth_method),
            grant_types: choices(&self.grant_types),
            jwks_uri: text(&self.jwks_uri),
            jwks,
            logo_uri: text(&self.logo_uri),
            client_uri: text(&self.client_uri),
            policy_uri: text(&self.policy_uri),
            tos_uri: text(&self.tos_uri),
            contacts: lines(&self.contacts),
            software_id: text(&self.software_id),
            software_version: text(&self.software_version),
            launch_url: text(&self.launch_url),
            fhir_versions: choices(&self.fhir_versions),
            launch_types: choices(&self.launch_types),
            audience: choices(&self.audience),
            categories: choices(&self.categories),
            tagline: text(&self.tagline),
            description: text(&self.description),
        })
    }

    /// Every error of the form, the first per field.
    pub fn errors(&self) -> Vec<FieldError> {
        let input = match self.to_input() {
            Ok(input) => input,
            Err(jwks) => {
                // Check the rest without the keys, and report the keys too.
                let mut without = self.clone();
                without.jwks.clear();
                let mut errors = without.errors();
                errors.retain(|e| e.field != "jwks");
                errors.push(jwks);
                return errors;
            }
        };
        match AppManifest::validate(input) {
            Ok(_) => Vec::new(),
            Err(errors) => {
                let mut first: Vec<FieldError> = Vec::new();
                for e in errors {
                    if !first.iter().any(|f| f.field == e.field) {
                        first.push(e);
                    }
                }
                first
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled() -> ManifestForm {
        ManifestForm {
            client_name: "Growth Charts".into(),
            redirect_uris: "https://app.example.org/cb\n\n  https://app.example.org/cb2 \n".into(),
            launch_url: "https://app.example.org/launch".into(),
            scope: "launch openid patient/Observation.rs".into(),
            token_endpoint_auth_method: "none".into(),
            launch_types: vec!["ehr".into()],
            fhir_versions: vec!["4.0.1".into()],
            ..ManifestForm::default()
        }
    }

    #[test]
    fn a_complete_form_is_a_valid_manifest() {
        let form = filled();
        assert!(form.errors().is_empty(), "{:?}", form.errors());
        let input = form.to_input().unwrap();
        assert_eq!(
            input.redirect_uris.unwrap(),
            ["https://app.example.org/cb", "https://app.example.org/cb2"]
        );
        assert_eq!(input.tagline, None);
    }

    #[test]
    fn every_wrong_field_gets_its_own_error() {
        let form = ManifestForm {
            client_name: String::new(),
            redirect_uris: "http://app.example.org/cb".into(),
            policy_uri: "ftp://example.org".into(),
            jwks: "{not json".into(),
            ..filled()
        };
        let fields: Vec<&str> = form.errors().iter().map(|e| e.field).collect();
        for field in ["client_name", "redirect_uris", "policy_uri", "jwks"] {
            assert!(fields.contains(&field), "{field} missing from {fields:?}");
        }
        assert_eq!(
            fields.len(),
            fields
                .iter()
                .collect::<std::collections::BTreeSet<_>>()
                .len()
        );
    }

    #[test]
    fn every_named_field_is_reachable_by_name() {
        let mut form = ManifestForm::default();
        for name in TEXT_FIELDS {
            *form.text_mut(name).unwrap() = format!("{name}!");
            assert_eq!(form.text(name), format!("{name}!"));
        }
        for name in MULTI_FIELDS {
            form.choices_mut(name).unwrap().push((*name).to_owned());
            assert_eq!(form.choices(name), [name.to_string()]);
        }
        assert!(form.text_mut("password").is_none());
        let posted = ManifestForm::from_fields(|n| format!("{n}!"), |n| vec![n.to_owned()]);
        assert_eq!(posted, form);
    }

    #[test]
    fn round_trips_through_the_manifest() {
        let form = ManifestForm {
            contacts: "help@example.org\nops@example.org".into(),
            categories: vec!["imaging".into()],
            ..filled()
        };
        let again = ManifestForm::from_input(&form.to_input().unwrap());
        assert_eq!(again.contacts, form.contacts);
        assert_eq!(again.categories, form.categories);
        assert_eq!(
            again.redirect_uris,
            "https://app.example.org/cb\nhttps://app.example.org/cb2"
        );
    }
}
