//! The app manifest's checks, through the public API.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use serde_json::{json, Value};

use domain::manifest::*;

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
