//! Parsing, writing and the algebra of SMART scopes, through the public API.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use domain::scope::*;

fn s(text: &str) -> SmartScope {
    SmartScope::parse(text).unwrap()
}

#[test]
fn v1_and_v2_clinical_scopes_parse_and_display_as_written() {
    for text in [
        "patient/Observation.read",
        "user/*.write",
        "system/Patient.*",
        "patient/Observation.rs",
        "user/Encounter.cruds",
        "patient/Observation.rs?category=laboratory",
        "launch",
        "launch/patient",
        "openid",
        "fhirUser",
        "offline_access",
    ] {
        assert_eq!(s(text).to_string(), text);
    }
}

#[test]
fn v1_permissions_canonicalise_to_v2() {
    assert_eq!(
        s("patient/Observation.read").canonical().to_string(),
        "patient/Observation.rs"
    );
    assert_eq!(
        s("patient/Observation.write").canonical().to_string(),
        "patient/Observation.cud"
    );
    assert_eq!(s("patient/*.*").canonical().to_string(), "patient/*.cruds");
}

#[test]
fn errors_name_the_token_and_the_reason() {
    let cases = [
        ("patient/Observatio.read", "not a FHIR R4 resource type"),
        ("patient/Observation.sr", "letters of cruds in that order"),
        ("patient/Observation.rr", "each once"),
        ("patient/Observation.", "are not permissions"),
        ("doctor/Observation.read", "not a scope context"),
        ("patient/Observation", "missing permissions"),
        ("patient/Observation.read?code=x", "need SMART v2"),
        ("patient/Observation.rs?code", "must be name=value"),
        ("launch/location", "unknown launch context"),
        ("email", "not a SMART scope"),
    ];
    for (token, reason) in cases {
        let err = SmartScope::parse(token).unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with(&format!("`{token}`")), "{message}");
        assert!(message.contains(reason), "{token}: {message}");
    }
}

#[test]
fn grants_cover_narrower_requests_only() {
    assert!(s("patient/*.read").covers(&s("patient/Observation.rs")));
    assert!(s("patient/Observation.cruds").covers(&s("patient/Observation.r")));
    assert!(!s("patient/Observation.rs").covers(&s("patient/Observation.cud")));
    assert!(!s("patient/Observation.rs").covers(&s("user/Observation.rs")));
    assert!(!s("patient/Observation.rs").covers(&s("patient/Condition.rs")));
    assert!(s("patient/Observation.rs").covers(&s("patient/Observation.rs?category=laboratory")));
    assert!(!s("patient/Observation.rs?category=laboratory").covers(&s("patient/Observation.rs")));
    assert!(s("openid").covers(&s("openid")));
    assert!(!s("openid").covers(&s("profile")));
}

#[test]
fn a_tenant_narrows_a_wildcard_to_chosen_types() {
    let requested = ScopeSet::parse("launch openid patient/*.rs offline_access").unwrap();
    let allowed =
        ScopeSet::parse("launch openid patient/Observation.rs patient/Condition.r").unwrap();
    let granted = requested.intersect(&allowed);
    assert_eq!(
        granted.to_string(),
        "launch openid patient/Observation.rs patient/Condition.r"
    );
    assert!(requested.covers_all(&granted));
    assert_eq!(
        requested
            .not_covered_by(&granted)
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>(),
        ["patient/*.rs", "offline_access"]
    );
}

#[test]
fn duplicates_are_dropped_by_canonical_form() {
    assert_eq!(
        ScopeSet::parse("patient/Observation.read patient/Observation.rs  openid")
            .unwrap()
            .to_string(),
        "patient/Observation.read openid"
    );
}

#[test]
fn scopes_are_explained_in_plain_words() {
    assert_eq!(
        s("patient/Observation.rs").describe(),
        "Read observation records of the patient in context"
    );
    assert_eq!(
        s("user/AllergyIntolerance.cud").describe(),
        "Create, update and delete allergy intolerance records you have access to"
    );
    assert_eq!(
        s("patient/Observation.rs?category=laboratory").describe(),
        "Read observation records of the patient in context, only where category = laboratory"
    );
    assert_eq!(
        s("patient/*.s").describe(),
        "Search all kinds of records of the patient in context"
    );
}
