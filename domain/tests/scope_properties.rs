//! Properties of the SMART scope grammar and algebra.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use domain::{ScopeSet, SmartScope};
use proptest::prelude::*;

fn context() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("patient"), Just("user"), Just("system")]
}

fn resource() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("*"),
        Just("Observation"),
        Just("Condition"),
        Just("Patient"),
        Just("MedicationRequest")
    ]
}

fn permissions() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("read".to_owned()),
        Just("write".to_owned()),
        Just("*".to_owned()),
        (1u8..32).prop_map(|bits| "cruds"
            .chars()
            .enumerate()
            .filter(|(i, _)| bits & (1 << i) != 0)
            .map(|(_, c)| c)
            .collect()),
    ]
}

fn constraints() -> impl Strategy<Value = Vec<(&'static str, &'static str)>> {
    prop::collection::vec(
        (
            prop_oneof![Just("category"), Just("code"), Just("status")],
            prop_oneof![Just("laboratory"), Just("vital-signs"), Just("final")],
        ),
        0..3,
    )
}

fn scope_text() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => prop_oneof![Just("launch"), Just("launch/patient"), Just("openid"), Just("fhirUser"), Just("offline_access")].prop_map(str::to_owned),
        6 => (context(), resource(), permissions(), constraints()).prop_map(|(c, r, p, q)| {
            let v1 = matches!(p.as_str(), "read" | "write" | "*");
            let query = if v1 || q.is_empty() {
                String::new()
            } else {
                format!("?{}", q.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&"))
            };
            format!("{c}/{r}.{p}{query}")
        }),
    ]
}

fn scope() -> impl Strategy<Value = SmartScope> {
    scope_text().prop_map(|text| SmartScope::parse(&text).expect("generated scopes are valid"))
}

proptest! {
    #[test]
    fn display_then_parse_round_trips(text in scope_text()) {
        let scope = SmartScope::parse(&text).unwrap();
        prop_assert_eq!(scope.to_string(), text.clone());
        prop_assert_eq!(SmartScope::parse(&scope.to_string()).unwrap(), scope);
    }

    #[test]
    fn covers_is_reflexive(a in scope()) {
        prop_assert!(a.covers(&a));
        prop_assert!(a.covers(&a.canonical()) && a.canonical().covers(&a));
    }

    #[test]
    fn covers_is_transitive(a in scope(), b in scope(), c in scope()) {
        if a.covers(&b) && b.covers(&c) {
            prop_assert!(a.covers(&c), "{} ⊒ {} ⊒ {}", a, b, c);
        }
    }

    #[test]
    fn covers_is_antisymmetric_up_to_canonical_form(a in scope(), b in scope()) {
        if a.covers(&b) && b.covers(&a) {
            prop_assert_eq!(a.canonical(), b.canonical());
        }
    }

    #[test]
    fn an_intersection_is_covered_by_both_sides(a in scope(), b in scope()) {
        if let Some(both) = a.intersect(&b) {
            prop_assert!(a.covers(&both), "{} ∩ {} = {}", a, b, both);
            prop_assert!(b.covers(&both), "{} ∩ {} = {}", a, b, both);
        }
    }

    #[test]
    fn intersecting_with_a_wider_grant_changes_nothing(a in scope(), b in scope()) {
        if a.covers(&b) {
            prop_assert_eq!(a.intersect(&b).map(|s| s.canonical()), Some(b.canonical()));
        }
    }

    #[test]
    fn a_narrowed_set_is_covered_by_what_was_asked_and_what_was_allowed(
        asked in prop::collection::vec(scope_text(), 0..5),
        allowed in prop::collection::vec(scope_text(), 0..5),
    ) {
        let asked = ScopeSet::parse(&asked.join(" ")).unwrap();
        let allowed = ScopeSet::parse(&allowed.join(" ")).unwrap();
        let granted = asked.intersect(&allowed);
        prop_assert!(asked.covers_all(&granted));
        prop_assert!(allowed.covers_all(&granted));
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,80}") {
        let _ = SmartScope::parse(&text);
        let _ = ScopeSet::parse(&text);
    }
}
