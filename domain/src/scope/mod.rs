//! SMART on FHIR scopes, v1 and v2 (SMART App Launch 2.2, "Scopes and
//! Launch Context"), with the algebra tenants use to narrow what they grant.
//!
//! Clinical scopes are `(patient|user|system)/(Type|*).(permissions)`:
//! SMART v1 permissions are `read`, `write` or `*`; v2 permissions are an
//! ordered, non-empty subset of `cruds`, optionally followed by search
//! constraints `?name=value&…` (§ "Finer-grained resource constraints").
//! Everything is compared in canonical v2 form: read → `rs`, write → `cud`,
//! `*` → `cruds`.
//!
//! The methods of one scope type live with the concern they serve:
//! `grammar` reads and writes a scope, `set` compares scopes and narrows a
//! whole request, `describe` puts a scope into plain words; `permissions`
//! is the `cruds` set they share.

mod describe;
mod grammar;
mod permissions;
mod set;

pub use grammar::{ClinicalScope, ScopeContext, ScopeError, SmartScope};
pub use permissions::Permissions;
pub use set::ScopeSet;
