//! `cargo fuzz run scope_parser` (from `domain/`): the scope parser never
//! panics, and whatever it accepts displays back to text it accepts again
//! as the same scope.
#![no_main]

use domain::{ScopeSet, SmartScope};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(scope) = SmartScope::parse(text) {
        assert_eq!(SmartScope::parse(&scope.to_string()).as_ref(), Ok(&scope), "display must parse back");
        assert!(scope.covers(&scope));
    }
    if let Ok(set) = ScopeSet::parse(text) {
        assert_eq!(ScopeSet::parse(&set.to_string()).as_ref(), Ok(&set), "display must parse back");
    }
});
