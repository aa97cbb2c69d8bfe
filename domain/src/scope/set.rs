//! What a granted scope covers, where two scopes meet, and [`ScopeSet`],
//! which lifts both to a whole request so a tenant can narrow it.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{ClinicalScope, ScopeError, SmartScope};

impl ClinicalScope {
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
        // `new` writes the result in v2 syntax, as a narrowed scope has no
        // written form of its own to keep.
        let mut both = ClinicalScope::new(self.context, resource, permissions);
        both.constraints = constraints;
        Some(both)
    }
}

impl SmartScope {
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

text_conversions!(ScopeSet => ScopeError);
