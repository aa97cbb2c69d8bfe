//! SMART on FHIR scopes, v1 and v2 (SMART App Launch 2.2, "Scopes and
//! Launch Context"), with the algebra tenants use to narrow what they grant.
//!
//! Clinical scopes are `(patient|user|system)/(Type|*).(permissions)`:
//! SMART v1 permissions are `read`, `write` or `*`; v2 permissions are an
//! ordered, non-empty subset of `cruds`, optionally followed by search
//! constraints `?name=value&…` (§ "Finer-grained resource constraints").
//! Everything is compared in canonical v2 form: read → `rs`, write → `cud`,
//! `*` → `cruds`.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::fhir::is_r4_resource_type;

/// Whose data a clinical scope reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScopeContext {
    /// The patient in context.
    Patient,
    /// Whatever the signed-in user may see.
    User,
    /// A backend service, no user (SMART Backend Services).
    System,
}

impl ScopeContext {
    pub fn as_str(self) -> &'static str {
        match self {
            ScopeContext::Patient => "patient",
            ScopeContext::User => "user",
            ScopeContext::System => "system",
        }
    }
}

/// Permissions as a set of `c r u d s`, kept in that order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Permissions(u8);

impl Permissions {
    const ORDER: [(char, u8); 5] = [('c', 1), ('r', 2), ('u', 4), ('d', 8), ('s', 16)];
    pub const READ: Permissions = Permissions(2 | 16);
    pub const WRITE: Permissions = Permissions(1 | 4 | 8);
    pub const ALL: Permissions = Permissions(31);

    pub fn contains(self, other: Permissions) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn intersect(self, other: Permissions) -> Option<Permissions> {
        let bits = self.0 & other.0;
        (bits != 0).then_some(Permissions(bits))
    }

    /// Parses v2 permissions: an ordered, non-empty subset of `cruds`.
    fn parse_v2(text: &str) -> Option<Permissions> {
        let mut bits = 0u8;
        let mut position = 0;
        for c in text.chars() {
            let index = Self::ORDER
                .iter()
                .skip(position)
                .position(|(letter, _)| *letter == c)?
                + position;
            bits |= Self::ORDER[index].1;
            position = index + 1;
        }
        (bits != 0).then_some(Permissions(bits))
    }

    fn v2_text(self) -> String {
        Self::ORDER
            .iter()
            .filter(|(_, bit)| self.0 & bit != 0)
            .map(|(c, _)| *c)
            .collect()
    }
}

/// How a clinical scope was written; kept so that display round-trips.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Syntax {
    V1,
    V2,
}

/// A clinical (resource) scope.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClinicalScope {
    pub context: ScopeContext,
    /// `None` is the wildcard `*`.
    pub resource: Option<String>,
    pub permissions: Permissions,
    /// Search constraints `name=value`, in the order written; each must hold.
    pub constraints: Vec<(String, String)>,
    syntax: Syntax,
}

impl ClinicalScope {
    /// The same scope in v2 syntax.
    pub fn canonical(&self) -> ClinicalScope {
        let mut constraints = self.constraints.clone();
        constraints.sort();
        constraints.dedup();
        ClinicalScope {
            syntax: Syntax::V2,
            constraints,
            ..self.clone()
        }
    }

    /// A v2 scope for `resource` with `permissions` in `context`.
    pub fn new(context: ScopeContext, resource: Option<String>, permissions: Permissions) -> Self {
        Self {
            context,
            resource,
            permissions,
            constraints: Vec::new(),
            syntax: Syntax::V2,
        }
    }

    fn constraint_set(&self) -> BTreeSet<(&str, &str)> {
        self.constraints
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    /// Does this scope, granted, allow everything `request` asks for?
    pub fn covers(&self, request: &ClinicalScope) -> bool {
        self.context == request.context
            && (self.resource.is_none() || self.resource == request.resource)
            && self.permissions.contains(request.permissions)
            // A constrained grant covers only requests at least as constrained.
            && self.constraint_set().is_subset(&request.constraint_set())
    }

    /// The largest scope both allow, if any.
    pub fn intersect(&self, other: &ClinicalScope) -> Option<ClinicalScope> {
        if self.context != other.context {
            return None;
        }
        let resource = match (&self.resource, &other.resource) {
            (None, r) | (r, None) => r.clone(),
            (Some(a), Some(b)) if a == b => Some(a.clone()),
            _ => return None,
        };
        let permissions = self.permissions.intersect(other.permissions)?;
        let mut constraints: Vec<(String, String)> = self
            .constraint_set()
            .union(&other.constraint_set())
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        constraints.sort();
        Some(ClinicalScope {
            context: self.context,
            resource,
            permissions,
            constraints,
            syntax: Syntax::V2,
        })
    }
}

impl fmt::Display for ClinicalScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}.",
            self.context.as_str(),
            self.resource.as_deref().unwrap_or("*")
        )?;
        match self.syntax {
            Syntax::V1 if self.permissions == Permissions::READ => f.write_str("read")?,
            Syntax::V1 if self.permissions == Permissions::WRITE => f.write_str("write")?,
            Syntax::V1 if self.permissions == Permissions::ALL => f.write_str("*")?,
            _ => f.write_str(&self.permissions.v2_text())?,
        }
        for (i, (name, value)) in self.constraints.iter().enumerate() {
            write!(f, "{}{name}={value}", if i == 0 { '?' } else { '&' })?;
        }
        Ok(())
    }
}

/// One SMART scope.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum SmartScope {
    Clinical(ClinicalScope),
    /// `launch`: the app is launched from the EHR with a launch context.
    Launch,
    LaunchPatient,
    LaunchEncounter,
    OpenId,
    FhirUser,
    Profile,
    OfflineAccess,
    OnlineAccess,
}

/// Why a scope was refused; the message names the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{token}`: {reason}")]
pub struct ScopeError {
    pub token: String,
    pub reason: String,
}

fn refuse(token: &str, reason: impl Into<String>) -> ScopeError {
    ScopeError {
        token: token.to_owned(),
        reason: reason.into(),
    }
}

const SPECIAL: &[(&str, SmartScope)] = &[
    ("launch", SmartScope::Launch),
    ("launch/patient", SmartScope::LaunchPatient),
    ("launch/encounter", SmartScope::LaunchEncounter),
    ("openid", SmartScope::OpenId),
    ("fhirUser", SmartScope::FhirUser),
    ("profile", SmartScope::Profile),
    ("offline_access", SmartScope::OfflineAccess),
    ("online_access", SmartScope::OnlineAccess),
];

fn valid_param_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

fn valid_param_value(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 256
        && value
            .chars()
            .all(|c| c.is_ascii_graphic() && c != '&' && c != '?')
}

impl SmartScope {
    pub fn parse(token: &str) -> Result<SmartScope, ScopeError> {
        if token.is_empty() {
            return Err(refuse(token, "empty scope"));
        }
        if let Some((_, scope)) = SPECIAL.iter().find(|(name, _)| *name == token) {
            return Ok(scope.clone());
        }
        let Some((context, rest)) = token.split_once('/') else {
            return Err(refuse(token, "not a SMART scope: expected patient/, user/ or system/ followed by Type.permissions, or one of launch, launch/patient, launch/encounter, openid, fhirUser, profile, offline_access, online_access"));
        };
        let context = match context {
            "patient" => ScopeContext::Patient,
            "user" => ScopeContext::User,
            "system" => ScopeContext::System,
            "launch" => {
                return Err(refuse(
                    token,
                    "unknown launch context: expected launch/patient or launch/encounter",
                ))
            }
            other => {
                return Err(refuse(
                    token,
                    format!("`{other}` is not a scope context: use patient, user or system"),
                ))
            }
        };
        let (body, query) = match rest.split_once('?') {
            Some((body, query)) => (body, Some(query)),
            None => (rest, None),
        };
        let Some((resource, permissions)) = body.rsplit_once('.') else {
            return Err(refuse(
                token,
                "missing permissions: write Type.read (v1) or Type.rs (v2)",
            ));
        };
        let resource = match resource {
            "*" => None,
            name if is_r4_resource_type(name) => Some(name.to_owned()),
            name => {
                return Err(refuse(
                    token,
                    format!("`{name}` is not a FHIR R4 resource type"),
                ))
            }
        };
        let (permissions, syntax) = match permissions {
            "read" => (Permissions::READ, Syntax::V1),
            "write" => (Permissions::WRITE, Syntax::V1),
            "*" => (Permissions::ALL, Syntax::V1),
            v2 => match Permissions::parse_v2(v2) {
                Some(p) => (p, Syntax::V2),
                None => {
                    return Err(refuse(
                        token,
                        format!("`{v2}` are not permissions: use read, write or * (SMART v1) or letters of cruds in that order, each once (SMART v2)"),
                    ))
                }
            },
        };
        let mut constraints = Vec::new();
        if let Some(query) = query {
            if syntax == Syntax::V1 {
                return Err(refuse(
                    token,
                    "search constraints (?name=value) need SMART v2 permissions such as .rs",
                ));
            }
            for pair in query.split('&') {
                let Some((name, value)) = pair.split_once('=') else {
                    return Err(refuse(
                        token,
                        format!("constraint `{pair}` must be name=value"),
                    ));
                };
                if !valid_param_name(name) || !valid_param_value(value) {
                    return Err(refuse(
                        token,
                        format!("constraint `{pair}` is not a valid search parameter and value"),
                    ));
                }
                constraints.push((name.to_owned(), value.to_owned()));
            }
        }
        Ok(SmartScope::Clinical(ClinicalScope {
            context,
            resource,
            permissions,
            constraints,
            syntax,
        }))
    }

    /// The same scope, with clinical scopes in v2 syntax.
    pub fn canonical(&self) -> SmartScope {
        match self {
            SmartScope::Clinical(c) => SmartScope::Clinical(c.canonical()),
            other => other.clone(),
        }
    }

    pub fn covers(&self, request: &SmartScope) -> bool {
        match (self, request) {
            (SmartScope::Clinical(g), SmartScope::Clinical(r)) => g.covers(r),
            (g, r) => g == r,
        }
    }

    pub fn intersect(&self, other: &SmartScope) -> Option<SmartScope> {
        match (self, other) {
            (SmartScope::Clinical(a), SmartScope::Clinical(b)) => {
                a.intersect(b).map(SmartScope::Clinical)
            }
            (a, b) if a == b => Some(a.clone()),
            _ => None,
        }
    }

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

impl fmt::Display for SmartScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SmartScope::Clinical(c) => c.fmt(f),
            other => {
                let name = SPECIAL
                    .iter()
                    .find(|(_, s)| s == other)
                    .map(|(n, _)| *n)
                    .unwrap_or("?");
                f.write_str(name)
            }
        }
    }
}

/// A space-separated scope string (RFC 6749 §3.3), in the order written,
/// without duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ScopeSet(Vec<SmartScope>);

impl ScopeSet {
    pub fn parse(text: &str) -> Result<ScopeSet, ScopeError> {
        let mut scopes: Vec<SmartScope> = Vec::new();
        for token in text.split_ascii_whitespace() {
            let scope = SmartScope::parse(token)?;
            if !scopes.iter().any(|s| s.canonical() == scope.canonical()) {
                scopes.push(scope);
            }
        }
        Ok(ScopeSet(scopes))
    }

    pub fn scopes(&self) -> &[SmartScope] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Is every requested scope covered by some scope of this set?
    pub fn covers(&self, request: &SmartScope) -> bool {
        self.0.iter().any(|granted| granted.covers(request))
    }

    pub fn covers_all(&self, request: &ScopeSet) -> bool {
        request.0.iter().all(|r| self.covers(r))
    }

    /// What a tenant grants when it narrows `self` (what the app asked
    /// for) to `allowed`: every piece of a requested scope that `allowed`
    /// also covers, without entries covered by others.
    pub fn intersect(&self, allowed: &ScopeSet) -> ScopeSet {
        let mut out: Vec<SmartScope> = Vec::new();
        for requested in &self.0 {
            for granted in &allowed.0 {
                if let Some(both) = requested.intersect(granted) {
                    out.push(both);
                }
            }
        }
        let mut minimal: Vec<SmartScope> = Vec::new();
        for (i, scope) in out.iter().enumerate() {
            let redundant = out
                .iter()
                .enumerate()
                .any(|(j, other)| j != i && other.covers(scope) && (!scope.covers(other) || j < i));
            if !redundant {
                minimal.push(scope.clone());
            }
        }
        ScopeSet(minimal)
    }

    /// Requested scopes that `grant` does not cover, e.g. to explain a refusal.
    pub fn not_covered_by(&self, grant: &ScopeSet) -> Vec<SmartScope> {
        self.0
            .iter()
            .filter(|s| !grant.covers(s))
            .cloned()
            .collect()
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text: Vec<String> = self.0.iter().map(|s| s.to_string()).collect();
        f.write_str(&text.join(" "))
    }
}

text_conversions!(SmartScope => ScopeError, ScopeSet => ScopeError);

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(
            s("patient/Observation.rs").covers(&s("patient/Observation.rs?category=laboratory"))
        );
        assert!(
            !s("patient/Observation.rs?category=laboratory").covers(&s("patient/Observation.rs"))
        );
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
}
