//! The app manifest: what a developer registers, in RFC 7591 client
//! metadata names where one exists, plus SMART and gallery fields.
//!
//! [`ManifestInput`] is the wire form (every member optional, unknown
//! members refused); [`AppManifest::validate`] turns it into the checked
//! form or a list of errors, each naming its field.
//!
//! `input` holds the wire form, `fields` the check of each field on its
//! own, `client_auth` how the app authenticates (method, grants, keys), and
//! `rules` the rules between fields, run on the otherwise checked manifest.

mod client_auth;
mod fields;
mod input;
mod rules;

use serde::{Deserialize, Serialize};

use crate::{HttpsUrl, Jwks, LaunchUrl, RedirectUri, ScopeSet};
use fields::Errors;

pub use client_auth::{ClientAuth, GRANT_TYPES};
pub use fields::FieldError;
pub use input::ManifestInput;

pub const LAUNCH_TYPES: &[&str] = &["ehr", "standalone", "backend"];
pub const AUDIENCES: &[&str] = &["patient", "clinician", "backend"];
pub const FHIR_VERSIONS: &[&str] = &["4.0.1", "4.3.0", "5.0.0"];
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

impl AppManifest {
    pub fn validate(input: ManifestInput) -> Result<AppManifest, Vec<FieldError>> {
        // Errors come out in the order of the checks below, which is the
        // order the developer reads them in (and tests pin).
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

        let redirect_uris = e.redirect_uris(input.redirect_uris);
        let scope = e.scope(input.scope.as_deref());
        let auth = e.client_auth(input.token_endpoint_auth_method.as_deref());
        let grant_types = e.grant_types(input.grant_types, &launch_types);
        let jwks_uri = e.https("jwks_uri", input.jwks_uri);
        let jwks = e.jwks(input.jwks);
        let launch_url = e.launch_url(input.launch_url);
        let logo_uri = e.https("logo_uri", input.logo_uri);
        let client_uri = e.https("client_uri", input.client_uri);
        let policy_uri = e.https("policy_uri", input.policy_uri);
        let tos_uri = e.https("tos_uri", input.tos_uri);
        let contacts = e.contacts(input.contacts);

        let manifest = AppManifest {
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
        };
        e.between_fields(&manifest);
        if !e.0.is_empty() {
            return Err(e.0);
        }
        Ok(manifest)
    }
}
