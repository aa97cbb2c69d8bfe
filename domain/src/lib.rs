//! Sidecar's pure types and rules.
//!
//! Every type here can only be built valid: constructors parse, and the error
//! says in words a person can act on what was wrong. Nothing here does I/O, so
//! the same rules run on the server and, compiled to wasm, in the browser.

/// `TryFrom<String>`, `FromStr` and `Into<String>` for a type with a
/// `parse(&str)` constructor and a `Display` form, so that serde and the
/// edges convert through the one constructor.
macro_rules! text_conversions {
    ($($ty:ty => $err:ty),* $(,)?) => {$(
        impl TryFrom<String> for $ty {
            type Error = $err;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }
        impl std::str::FromStr for $ty {
            type Err = $err;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::parse(text)
            }
        }
        impl From<$ty> for String {
            fn from(value: $ty) -> Self {
                value.to_string()
            }
        }
    )*};
}

pub mod account;
pub mod diff;
pub mod fhir;
pub mod jwks;
pub mod logo;
pub mod manifest;
pub mod manifest_form;
pub mod role;
pub mod scope;
pub mod slug;
pub mod token;
pub mod uri;

pub use account::{Email, EmailError, NewPassword, PasswordError};
pub use diff::ManifestDiff;
pub use jwks::{Jwks, JwksError};
pub use logo::{Logo, LogoError, LogoType, MAX_LOGO_BYTES};
pub use manifest::{AppManifest, ClientAuth, FieldError, ManifestInput};
pub use manifest_form::ManifestForm;
pub use role::{PlatformRole, PublisherRole, TenantRole};
pub use scope::{ClinicalScope, Permissions, ScopeContext, ScopeError, ScopeSet, SmartScope};
pub use slug::{Slug, SlugError};
pub use token::{TokenScope, TokenScopeError};
pub use uri::{FhirBaseUrl, HttpsUrl, LaunchUrl, RedirectUri, UriError};
