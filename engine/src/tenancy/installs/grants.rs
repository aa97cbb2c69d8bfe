//! The scopes a tenant grants an app, by the SMART scope algebra: never
//! more than the app asks for, kept in canonical (v2) form, and carried
//! over when a version changes what it asks.

use domain::ScopeSet;

use crate::{EngineError, EngineResult};

/// The scopes a tenant grants, in canonical (SMART v2) form: every one must
/// be covered by a scope the app asks for (`patient/*.rs` covers
/// `patient/Observation.rs`); none given means all of them.
pub fn grant(requested: &ScopeSet, granted: Option<&str>) -> EngineResult<ScopeSet> {
    let Some(text) = granted.map(str::trim).filter(|t| !t.is_empty()) else {
        return canonical(requested);
    };
    let set = ScopeSet::parse(text).map_err(|e| EngineError::invalid("scope", e.to_string()))?;
    if let Some(extra) = set
        .scopes()
        .iter()
        .find(|g| !requested.scopes().iter().any(|r| r.covers(g)))
    {
        return Err(EngineError::invalid(
            "scope",
            format!("`{extra}` is not among the scopes the app asks for ({requested}); a tenant can grant those or narrower ones only."),
        ));
    }
    canonical(&set)
}

/// The scopes `new` asks for that nothing in `old` covers: what a version
/// really adds (`patient/*.rs` → `patient/Observation.rs` adds nothing).
pub(crate) fn widened(old: &ScopeSet, new: &ScopeSet) -> Vec<String> {
    new.scopes()
        .iter()
        .filter(|n| !old.scopes().iter().any(|o| o.covers(n)))
        .map(|n| n.to_string())
        .collect()
}

/// The part of a grant a new request still covers, plus `added`.
pub(crate) fn regrant(
    granted: &ScopeSet,
    requested: &ScopeSet,
    added: &[String],
) -> EngineResult<ScopeSet> {
    let mut kept: Vec<String> = granted
        .scopes()
        .iter()
        .filter(|g| requested.scopes().iter().any(|r| r.covers(g)))
        .map(|g| g.to_string())
        .collect();
    kept.extend(added.iter().cloned());
    let set = ScopeSet::parse(&kept.join(" "))
        .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("regranted scopes: {e}")))?;
    canonical(&set)
}

pub(crate) fn canonical(set: &ScopeSet) -> EngineResult<ScopeSet> {
    let text: Vec<String> = set
        .scopes()
        .iter()
        .map(|s| s.canonical().to_string())
        .collect();
    ScopeSet::parse(&text.join(" "))
        .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("canonical scopes: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(text: &str) -> ScopeSet {
        ScopeSet::parse(text).unwrap()
    }

    #[test]
    fn a_grant_is_the_request_or_narrower() {
        let asked = set("launch openid patient/*.read");
        assert_eq!(
            grant(&asked, None).unwrap(),
            set("launch openid patient/*.rs")
        );
        assert_eq!(
            grant(&asked, Some("launch patient/Observation.rs")).unwrap(),
            set("launch patient/Observation.rs")
        );
        assert_eq!(
            grant(&asked, Some("patient/Observation.read")).unwrap(),
            set("patient/Observation.rs")
        );
        let err = grant(&asked, Some("launch patient/Observation.cruds")).unwrap_err();
        assert_eq!(err.field(), Some("scope"));
        assert!(
            err.to_string().contains("patient/Observation.cruds"),
            "{err}"
        );
        assert!(grant(&asked, Some("offline_access")).is_err());
        assert!(grant(&asked, Some("patient/Nothing.rs")).is_err());
    }
}
