//! Roles: platform-wide, within a publisher organisation, within a tenant.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? } error $msg:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s { $($text => Ok($name::$variant),)+ other => Err(format!($msg, other)) }
            }
        }
    };
}

string_enum! {
    /// Platform staff. Everyone else is an ordinary user whose rights come
    /// from memberships.
    PlatformRole { Admin => "admin", Reviewer => "reviewer" }
    error "unknown platform role `{}` (expected admin or reviewer)"
}

string_enum! {
    /// A member's role in a publisher organisation.
    PublisherRole { Owner => "owner", Admin => "admin", Developer => "developer" }
    error "unknown publisher role `{}` (expected owner, admin or developer)"
}

string_enum! {
    /// A member's role in a tenant (a health system).
    TenantRole { Admin => "admin", Viewer => "viewer" }
    error "unknown tenant role `{}` (expected admin or viewer)"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_text() {
        for role in PublisherRole::ALL {
            assert_eq!(role.as_str().parse::<PublisherRole>().unwrap(), *role);
        }
        assert!("owner".parse::<TenantRole>().is_err());
    }
}
