//! People: accounts and their sign-in, personal access tokens, and the
//! publisher organisations they form, with members and invitations.
//!
//! Stands on [`crate::platform`]. When a publisher is created, the contexts
//! above learn of it through [`Event`] (its sandbox tenant is made there).

pub mod accounts;
pub mod email_links;
pub mod invitations;
pub mod members;
pub mod publishers;
pub mod tokens;

use chrono::{DateTime, Utc};

use crate::entity::publishers as publisher_rows;

/// What people announce to the contexts above, inside the transaction
/// that made the change (see [`crate::events`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Event<'a> {
    /// A publisher organisation was created.
    PublisherCreated {
        publisher: &'a publisher_rows::Model,
        at: DateTime<Utc>,
    },
}
