//! The wire form of a manifest, as developers send and export it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::AppManifest;
use crate::HttpsUrl;

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

impl AppManifest {
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
