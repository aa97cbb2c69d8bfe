//! How one scope is written: the grammar [`SmartScope::parse`] accepts, and
//! the `Display` form that gives the same text back.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Permissions;
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

text_conversions!(SmartScope => ScopeError);
