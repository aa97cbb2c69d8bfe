//! Words for the manifest's fixed values, as pages show them.

pub const CATEGORIES: &[(&str, &str)] = &[
    ("administrative", "Administrative"),
    ("care-coordination", "Care coordination"),
    ("clinical-decision-support", "Clinical decision support"),
    ("genomics", "Genomics"),
    ("imaging", "Imaging"),
    ("medications", "Medications"),
    ("patient-engagement", "Patient engagement"),
    ("population-health", "Population health"),
    ("research", "Research"),
    ("telehealth", "Telehealth"),
];
pub const LAUNCHES: &[(&str, &str)] = &[
    ("ehr", "EHR launch"),
    ("standalone", "Standalone launch"),
    ("backend", "Backend service"),
];
pub const AUDIENCES: &[(&str, &str)] = &[
    ("patient", "Patients"),
    ("clinician", "Clinicians"),
    ("backend", "Back-office systems"),
];
pub const FHIR: &[(&str, &str)] = &[
    ("4.0.1", "FHIR R4"),
    ("4.3.0", "FHIR R4B"),
    ("5.0.0", "FHIR R5"),
];
pub const CLIENT_AUTH: &[(&str, &str)] = &[
    ("none", "Public (PKCE, no secret)"),
    (
        "client_secret_basic",
        "Confidential, client secret (HTTP Basic)",
    ),
    (
        "client_secret_post",
        "Confidential, client secret (in the form)",
    ),
    (
        "private_key_jwt",
        "Confidential, signed JWT with the app's keys",
    ),
];
pub const GRANTS: &[(&str, &str)] = &[
    ("authorization_code", "Authorization code"),
    ("refresh_token", "Refresh token"),
    ("client_credentials", "Client credentials"),
];

/// The words for `value`, or the value itself.
pub fn label(list: &[(&'static str, &'static str)], value: &str) -> String {
    list.iter()
        .find(|(v, _)| *v == value)
        .map(|(_, l)| (*l).to_owned())
        .unwrap_or_else(|| value.to_owned())
}
