//! The app manifest: what a developer registers, in RFC 7591 client
//! metadata names where one exists, plus SMART and gallery fields.
//!
//! [`ManifestInput`] is the wire form (every member optional, unknown
//! members refused); [`AppManifest::validate`] turns it into the checked
//! form or a list of errors, each naming its field.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{HttpsUrl, Jwks, LaunchUrl, RedirectUri, ScopeContext, ScopeSet, SmartScope};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ManifestInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_uris: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_types: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logo_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tos_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contacts: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub software_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub software_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launch_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fhir_versions: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launch_types: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub categories: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tagline: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// How the app authenticates at the token endpoint (RFC 7591 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// A public client (`none`): PKCE only.
    None,
    ClientSecretBasic,
    ClientSecretPost,
    /// Signed JWT assertions with the app's keys (SMART asymmetric auth).
    PrivateKeyJwt,
}

impl ClientAuth {
    pub fn client_type(self) -> &'static str {
        match self {
            ClientAuth::None => "public",
            ClientAuth::ClientSecretBasic | ClientAuth::ClientSecretPost => {
                "confidential symmetric"
            }
            ClientAuth::PrivateKeyJwt => "confidential asymmetric",
        }
    }
}

pub const LAUNCH_TYPES: &[&str] = &["ehr", "standalone", "backend"];
pub const AUDIENCES: &[&str] = &["patient", "clinician", "backend"];
pub const FHIR_VERSIONS: &[&str] = &["4.0.1", "4.3.0", "5.0.0"];
pub const GRANT_TYPES: &[&str] = &["authorization_code", "refresh_token", "client_credentials"];
pub const CATEGORIES: &[&str] = &[
    "administrative",
    "care-coordination",
    "clinical-decision-support",
    "genomics",
    "imaging",
    "medications",
    "patient-engagement",
    "population-health",
    "research",
    "telehealth",
];

/// A checked manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppManifest {
    pub client_name: String,
    pub redirect_uris: Vec<RedirectUri>,
    pub scope: ScopeSet,
    pub token_endpoint_auth_method: ClientAuth,
    pub grant_types: Vec<String>,
    pub jwks_uri: Option<HttpsUrl>,
    pub jwks: Option<Jwks>,
    pub logo_uri: Option<HttpsUrl>,
    pub client_uri: Option<HttpsUrl>,
    pub policy_uri: Option<HttpsUrl>,
    pub tos_uri: Option<HttpsUrl>,
    pub contacts: Vec<String>,
    pub software_id: Option<String>,
    pub software_version: Option<String>,
    pub launch_url: Option<LaunchUrl>,
    pub fhir_versions: Vec<String>,
    pub launch_types: Vec<String>,
    pub audience: Vec<String>,
    pub categories: Vec<String>,
    pub tagline: String,
    pub description: String,
}

/// A refused field and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The manifest member, by its wire name.
    pub field: &'static str,
    pub message: String,
}

struct Errors(Vec<FieldError>);

impl Errors {
    fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push(FieldError {
            field,
            message: message.into(),
        });
    }

    /// For rules between fields: a field that is already wrong gets no
    /// second, consequential message.
    fn add_once(&mut self, field: &'static str, message: impl Into<String>) {
        if !self.0.iter().any(|e| e.field == field) {
            self.add(field, message);
        }
    }

    fn text(
        &mut self,
        field: &'static str,
        value: Option<String>,
        max: usize,
        required: bool,
    ) -> String {
        let value = value.map(|v| v.trim().to_owned()).unwrap_or_default();
        if value.is_empty() && required {
            self.add(field, "This is required.");
        } else if value.chars().count() > max {
            self.add(field, format!("Use at most {max} characters."));
        }
        value
    }

    fn https(&mut self, field: &'static str, value: Option<String>) -> Option<HttpsUrl> {
        let value = value.filter(|v| !v.trim().is_empty())?;
        match HttpsUrl::parse(value.trim()) {
            Ok(url) => Some(url),
            Err(e) => {
                self.add(field, e.to_string());
                None
            }
        }
    }

    /// FHIR versions by number or release name (`R4`), as numbers.
    fn fhir_versions(&mut self, values: Option<Vec<String>>) -> Vec<String> {
        let mut known = Vec::new();
        for value in values.unwrap_or_default() {
            match crate::fhir::fhir_version_number(&value) {
                Some(number) => known.push(number.to_owned()),
                None => {
                    let names = crate::fhir::FHIR_RELEASES
                        .iter()
                        .map(|(number, release)| format!("{number} ({release})"))
                        .collect::<Vec<_>>();
                    self.add(
                        "fhir_versions",
                        format!("`{}` is not one of: {}.", value.trim(), names.join(", ")),
                    );
                }
            }
        }
        self.choices("fhir_versions", Some(known), FHIR_VERSIONS)
    }

    /// Values from a fixed list, deduplicated, in the list's order.
    fn choices(
        &mut self,
        field: &'static str,
        values: Option<Vec<String>>,
        allowed: &[&str],
    ) -> Vec<String> {
        let values: BTreeSet<String> = values
            .unwrap_or_default()
            .into_iter()
            .map(|v| v.trim().to_owned())
            .collect();
        if let Some(bad) = values.iter().find(|v| !allowed.contains(&v.as_str())) {
            self.add(
                field,
                format!("`{bad}` is not one of: {}.", allowed.join(", ")),
            );
        }
        allowed
            .iter()
            .filter(|a| values.contains(**a))
            .map(|a| (*a).to_owned())
            .collect()
    }
}

impl AppManifest {
    pub fn validate(input: ManifestInput) -> Result<AppManifest, Vec<FieldError>> {
        let mut e = Errors(Vec::new());
        let client_name = e.text("client_name", input.client_name, 80, true);
        let tagline = e.text("tagline", input.tagline, 140, false);
        let description = e.text("description", input.description, 20_000, false);
        let software_id =
            Some(e.text("software_id", input.software_id, 200, false)).filter(|s| !s.is_empty());
        let software_version = Some(e.text("software_version", input.software_version, 50, false))
            .filter(|s| !s.is_empty());

        let launch_types = e.choices("launch_types", input.launch_types, LAUNCH_TYPES);
        let audience = e.choices("audience", input.audience, AUDIENCES);
        let fhir_versions = e.fhir_versions(input.fhir_versions);
        let categories = e.choices("categories", input.categories, CATEGORIES);
        if launch_types.is_empty() {
            e.add(
                "launch_types",
                "Choose at least one: ehr, standalone or backend.",
            );
        }
        if fhir_versions.is_empty() {
            e.add(
                "fhir_versions",
                format!(
                    "Name the FHIR versions the app works with: {}.",
                    FHIR_VERSIONS.join(", ")
                ),
            );
        }

        let mut redirect_uris = Vec::new();
        for (i, uri) in input.redirect_uris.unwrap_or_default().iter().enumerate() {
            match RedirectUri::parse(uri.trim()) {
                Ok(uri) if redirect_uris.contains(&uri) => {
                    e.add("redirect_uris", format!("`{uri}` is listed twice."))
                }
                Ok(uri) => redirect_uris.push(uri),
                Err(err) => e.add(
                    "redirect_uris",
                    format!("Redirect URI {} (`{uri}`): {err}", i + 1),
                ),
            }
        }
        let scope = match ScopeSet::parse(input.scope.as_deref().unwrap_or_default()) {
            Ok(scope) => scope,
            Err(err) => {
                e.add("scope", err.to_string());
                ScopeSet::default()
            }
        };
        if scope.is_empty() {
            e.add_once(
                "scope",
                "List the scopes the app asks for, separated by spaces.",
            );
        }
        let auth = match input
            .token_endpoint_auth_method
            .as_deref()
            .unwrap_or("none")
        {
            "none" => ClientAuth::None,
            "client_secret_basic" => ClientAuth::ClientSecretBasic,
            "client_secret_post" => ClientAuth::ClientSecretPost,
            "private_key_jwt" => ClientAuth::PrivateKeyJwt,
            other => {
                e.add_once("token_endpoint_auth_method", format!("`{other}` is not supported: use none, client_secret_basic, client_secret_post or private_key_jwt."));
                ClientAuth::None
            }
        };
        let default_grants = if launch_types == ["backend"] {
            vec!["client_credentials".to_owned()]
        } else {
            vec!["authorization_code".to_owned()]
        };
        let grant_types = match input.grant_types {
            Some(g) if !g.is_empty() => e.choices("grant_types", Some(g), GRANT_TYPES),
            _ => default_grants,
        };
        let jwks_uri = e.https("jwks_uri", input.jwks_uri);
        let jwks = match input.jwks {
            Some(Value::Null) | None => None,
            Some(value) => match Jwks::parse(value) {
                Ok(jwks) => Some(jwks),
                Err(err) => {
                    e.add_once("jwks", err.to_string());
                    None
                }
            },
        };
        let launch_url = match input.launch_url.filter(|v| !v.trim().is_empty()) {
            Some(v) => match LaunchUrl::parse(v.trim()) {
                Ok(url) => Some(url),
                Err(err) => {
                    e.add_once("launch_url", err.to_string());
                    None
                }
            },
            None => None,
        };
        let logo_uri = e.https("logo_uri", input.logo_uri);
        let client_uri = e.https("client_uri", input.client_uri);
        let policy_uri = e.https("policy_uri", input.policy_uri);
        let tos_uri = e.https("tos_uri", input.tos_uri);
        let mut contacts = Vec::new();
        for contact in input.contacts.unwrap_or_default() {
            match crate::Email::parse(&contact) {
                Ok(email) => contacts.push(email.to_string()),
                Err(err) => e.add_once("contacts", format!("`{contact}`: {err}")),
            }
        }

        // Rules between fields (SMART App Launch 2.2, Backend Services).
        let uses_code = grant_types.iter().any(|g| g == "authorization_code");
        if uses_code && redirect_uris.is_empty() {
            e.add_once(
                "redirect_uris",
                "An app that users launch needs at least one redirect URI.",
            );
        }
        if launch_types.iter().any(|t| t == "ehr") {
            if launch_url.is_none() {
                e.add_once("launch_url", "An EHR-launched app needs a launch URL.");
            }
            if !scope.scopes().contains(&SmartScope::Launch) {
                e.add_once("scope", "An EHR-launched app asks for the `launch` scope.");
            }
        }
        let backend = launch_types.iter().any(|t| t == "backend");
        if backend
            && (auth != ClientAuth::PrivateKeyJwt
                || !grant_types.iter().any(|g| g == "client_credentials"))
        {
            e.add_once("token_endpoint_auth_method", "Backend services authenticate with private_key_jwt and use the client_credentials grant.");
        }
        if auth == ClientAuth::PrivateKeyJwt && jwks.is_none() && jwks_uri.is_none() {
            e.add_once(
                "jwks",
                "private_key_jwt needs the app's public keys: give jwks or jwks_uri.",
            );
        }
        if jwks.is_some() && jwks_uri.is_some() {
            e.add_once(
                "jwks",
                "Give either jwks or jwks_uri, not both (RFC 7591 §2).",
            );
        }
        if auth != ClientAuth::PrivateKeyJwt && (jwks.is_some() || jwks_uri.is_some()) {
            e.add_once("jwks", "Keys are used only with private_key_jwt.");
        }
        let system_scope = scope
            .scopes()
            .iter()
            .any(|s| matches!(s, SmartScope::Clinical(c) if c.context == ScopeContext::System));
        if system_scope && !backend {
            e.add_once("scope", "system/ scopes are for backend services only.");
        }
        if auth == ClientAuth::None && grant_types.iter().any(|g| g == "client_credentials") {
            e.add_once(
                "grant_types",
                "client_credentials needs a confidential client.",
            );
        }

        if !e.0.is_empty() {
            return Err(e.0);
        }
        Ok(AppManifest {
            client_name,
            redirect_uris,
            scope,
            token_endpoint_auth_method: auth,
            grant_types,
            jwks_uri,
            jwks,
            logo_uri,
            client_uri,
            policy_uri,
            tos_uri,
            contacts,
            software_id,
            software_version,
            launch_url,
            fhir_versions,
            launch_types,
            audience,
            categories,
            tagline,
            description,
        })
    }

    /// Back to the wire form, for export (and re-import).
    pub fn to_input(&self) -> ManifestInput {
        let url = |u: &Option<HttpsUrl>| u.as_ref().map(|u| u.to_string());
        ManifestInput {
            client_name: Some(self.client_name.clone()),
            redirect_uris: Some(self.redirect_uris.iter().map(|u| u.to_string()).collect()),
            scope: Some(self.scope.to_string()),
            token_endpoint_auth_method: Some(
                serde_json::to_value(self.token_endpoint_auth_method)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
            ),
            grant_types: Some(self.grant_types.clone()),
            jwks_uri: url(&self.jwks_uri),
            jwks: self.jwks.as_ref().map(|j| j.as_json().clone()),
            logo_uri: url(&self.logo_uri),
            client_uri: url(&self.client_uri),
            policy_uri: url(&self.policy_uri),
            tos_uri: url(&self.tos_uri),
            contacts: Some(self.contacts.clone()),
            software_id: self.software_id.clone(),
            software_version: self.software_version.clone(),
            launch_url: self.launch_url.as_ref().map(|u| u.to_string()),
            fhir_versions: Some(self.fhir_versions.clone()),
            launch_types: Some(self.launch_types.clone()),
            audience: Some(self.audience.clone()),
            categories: Some(self.categories.clone()),
            tagline: Some(self.tagline.clone()),
            description: Some(self.description.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(value: Value) -> ManifestInput {
        serde_json::from_value(value).unwrap()
    }

    fn ehr_app() -> Value {
        json!({
            "client_name": "Growth Charts",
            "redirect_uris": ["https://charts.example.org/callback"],
            "scope": "launch openid fhirUser patient/Observation.rs patient/Patient.r",
            "launch_url": "https://charts.example.org/launch",
            "launch_types": ["ehr"],
            "fhir_versions": ["4.0.1"],
            "audience": ["clinician"],
            "categories": ["clinical-decision-support"],
            "tagline": "Pediatric growth charts"
        })
    }

    #[test]
    fn a_complete_ehr_app_validates_and_round_trips() {
        let manifest = AppManifest::validate(input(ehr_app())).unwrap();
        assert_eq!(manifest.token_endpoint_auth_method, ClientAuth::None);
        assert_eq!(manifest.grant_types, ["authorization_code"]);
        let again = AppManifest::validate(manifest.to_input()).unwrap();
        assert_eq!(again, manifest);
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut value = ehr_app();
        value["redirect_uris"] = json!([
            "http://charts.example.org/cb",
            "https://charts.example.org/cb#x"
        ]);
        value["scope"] = json!("launch patient/Observaton.rs");
        value["launch_url"] = json!("ftp://charts.example.org");
        value["categories"] = json!(["astrology"]);
        let errors = AppManifest::validate(input(value)).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "categories",
                "redirect_uris",
                "redirect_uris",
                "scope",
                "launch_url"
            ],
            "{errors:?}"
        );
        assert!(errors[3].message.contains("Observaton"));
    }

    #[test]
    fn unknown_members_are_refused_at_the_edge() {
        assert!(serde_json::from_value::<ManifestInput>(json!({"client_nam": "x"})).is_err());
    }

    #[test]
    fn backend_services_need_keys_and_client_credentials() {
        let base = json!({
            "client_name": "Nightly export", "launch_types": ["backend"], "fhir_versions": ["4.0.1"],
            "scope": "system/Patient.rs", "token_endpoint_auth_method": "private_key_jwt",
            "jwks_uri": "https://export.example.org/jwks.json"
        });
        let ok = AppManifest::validate(input(base.clone())).unwrap();
        assert_eq!(ok.grant_types, ["client_credentials"]);
        let mut no_keys = base.clone();
        no_keys["jwks_uri"] = Value::Null;
        let errors = AppManifest::validate(input(no_keys)).unwrap_err();
        assert_eq!(errors[0].field, "jwks");
        let mut secret = base;
        secret["token_endpoint_auth_method"] = json!("client_secret_basic");
        secret["jwks_uri"] = Value::Null;
        assert!(AppManifest::validate(input(secret))
            .unwrap_err()
            .iter()
            .any(|e| e.field == "token_endpoint_auth_method"));
    }

    #[test]
    fn system_scopes_are_for_backends_only() {
        let mut value = ehr_app();
        value["scope"] = json!("launch system/Patient.rs");
        let errors = AppManifest::validate(input(value)).unwrap_err();
        assert!(errors
            .iter()
            .any(|e| e.field == "scope" && e.message.contains("backend")));
    }

    #[test]
    fn fhir_versions_are_taken_by_release_name_and_kept_as_numbers() {
        let mut value = ehr_app();
        value["fhir_versions"] = json!(["R5", "r4", "4.0.1"]);
        let manifest = AppManifest::validate(input(value)).unwrap();
        assert_eq!(manifest.fhir_versions, ["4.0.1", "5.0.0"]);

        let mut value = ehr_app();
        value["fhir_versions"] = json!(["AAA"]);
        let errors = AppManifest::validate(input(value)).unwrap_err();
        assert_eq!(errors[0].field, "fhir_versions");
        assert!(
            errors[0].message.contains("4.0.1 (R4)"),
            "{}",
            errors[0].message
        );
    }
}
