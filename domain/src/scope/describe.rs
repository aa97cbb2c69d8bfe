//! A scope in plain words, for the person deciding whether to grant it.

use super::{ClinicalScope, Permissions, ScopeContext, SmartScope};

impl SmartScope {
    /// Plain words for a person deciding whether to grant this.
    pub fn describe(&self) -> String {
        match self {
            SmartScope::Launch => "Open from within your health record system, in the context you are working in".into(),
            SmartScope::LaunchPatient => "Know which patient is selected when it starts".into(),
            SmartScope::LaunchEncounter => "Know which visit (encounter) is selected when it starts".into(),
            SmartScope::OpenId => "Confirm who you are".into(),
            SmartScope::FhirUser => "See your identity in the health record (as patient, practitioner or related person)".into(),
            SmartScope::Profile => "See your basic profile".into(),
            SmartScope::OfflineAccess => "Keep access when you are not using it (until you revoke it)".into(),
            SmartScope::OnlineAccess => "Keep access while you are signed in".into(),
            SmartScope::Clinical(c) => describe_clinical(c),
        }
    }
}

fn describe_clinical(c: &ClinicalScope) -> String {
    let p = c.permissions;
    let mut verbs = Vec::new();
    if p.contains(Permissions(2)) || p.contains(Permissions(16)) {
        verbs.push(if p.contains(Permissions::READ) {
            "read"
        } else if p.contains(Permissions(2)) {
            "read (by id)"
        } else {
            "search"
        });
    }
    if p.contains(Permissions(1)) {
        verbs.push("create");
    }
    if p.contains(Permissions(4)) {
        verbs.push("update");
    }
    if p.contains(Permissions(8)) {
        verbs.push("delete");
    }
    let what = match &c.resource {
        None => "all kinds of records".to_owned(),
        Some(r) => format!("{} records", split_camel(r)),
    };
    let whose = match c.context {
        ScopeContext::Patient => "of the patient in context",
        ScopeContext::User => "you have access to",
        ScopeContext::System => "on the server, with no user involved",
    };
    let verbs = match verbs.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    };
    let mut text = format!(
        "{}{} {what} {whose}",
        verbs[..1].to_uppercase(),
        &verbs[1..]
    );
    if !c.constraints.is_empty() {
        let only: Vec<String> = c
            .constraints
            .iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect();
        text.push_str(&format!(", only where {}", only.join(" and ")));
    }
    text
}

/// `AllergyIntolerance` → `allergy intolerance`.
fn split_camel(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    out
}
