//! Sidecar's pure types and rules.
//!
//! Every type here can only be built valid: constructors parse, and the error
//! says in words a person can act on what was wrong. Nothing here does I/O, so
//! the same rules run on the server and, compiled to wasm, in the browser.

pub mod account;
pub mod role;
pub mod slug;
pub mod token;

pub use account::{Email, EmailError, NewPassword, PasswordError};
pub use role::{PlatformRole, PublisherRole, TenantRole};
pub use slug::{Slug, SlugError};
pub use token::{TokenScope, TokenScopeError};
