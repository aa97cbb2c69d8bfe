//! A tenant's authorization servers and where an install's client stands
//! at one of them, as the consoles show them.

use serde::{Deserialize, Serialize};

/// One of the tenant's authorization servers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerRow {
    pub id: String,
    pub name: String,
    /// `builtin`, `rfc7591` or `manual`.
    pub kind: String,
    pub issuer: String,
    pub default: bool,
    /// `ok`, `unreachable`, `invalid` or `unchecked`, with why.
    pub status: String,
    pub status_detail: Option<String>,
    pub registration_endpoint: Option<String>,
}

/// Where an install's client at a tenant's own authorization server stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvisioningLine {
    pub server_id: String,
    pub server_name: String,
    pub issuer: String,
    pub client_id: Option<String>,
    pub state: String,
    pub attempts: i32,
    pub next_attempt: Option<String>,
    pub last_error: Option<String>,
    pub secret_waiting: bool,
    pub possible_orphans: Vec<String>,
    /// At a manual server, what a tenant admin enters (or removes) there.
    pub manual: Option<ManualLine>,
}

/// The registration to enter by hand at a manual authorization server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManualLine {
    /// `register` or `remove`.
    pub action: String,
    /// As RFC 7591 client metadata, pretty-printed.
    pub registration_json: String,
    /// Label and value, for people.
    pub table: Vec<(String, String)>,
}

impl ProvisioningLine {
    /// "Retry now" is offered in these states.
    pub fn retryable(&self) -> bool {
        matches!(
            self.state.as_str(),
            "failed" | "rejected" | "orphaned" | "retrying"
        )
    }
}
