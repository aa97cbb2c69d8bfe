//! Types that cross between the server and the browser.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

mod servers;

pub use servers::{ManualLine, ProvisioningLine, ServerRow};

/// The signed-in person, as pages show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub email: String,
    pub platform_role: Option<String>,
    pub publishers: Vec<MembershipView>,
    pub tenants: Vec<MembershipView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipView {
    pub slug: String,
    pub name: String,
    pub role: String,
    /// A publisher's sandbox tenant.
    pub sandbox: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlashKind {
    Success,
    Info,
    Error,
}

/// A message carried across one redirect (post → 303 → get): the outcome of
/// a form, errors per field and the values to refill (never passwords).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Flash {
    pub form: String,
    pub kind: Option<FlashKind>,
    pub message: Option<String>,
    pub field_errors: BTreeMap<String, String>,
    pub values: BTreeMap<String, String>,
}

impl Flash {
    pub fn error(&self, field: &str) -> Option<String> {
        self.field_errors.get(field).cloned()
    }

    pub fn value(&self, field: &str) -> String {
        self.values.get(field).cloned().unwrap_or_default()
    }
}

/// What every page needs: who is signed in, and any message for this form.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PageState {
    pub account: Option<AccountView>,
    pub flash: Flash,
}

/// A personal access token as listed (the token itself is shown once, via
/// the flash, right after creation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenView {
    pub id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub created: String,
    pub expires: Option<String>,
    pub last_used: Option<String>,
}

/// An app as a card in the gallery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppCard {
    pub slug: String,
    pub name: String,
    pub tagline: String,
    pub publisher: String,
    pub categories: Vec<String>,
    pub launch_types: Vec<String>,
    /// The logo's URL: the uploaded one, else the publisher's `logo_uri`.
    pub logo: Option<String>,
}

/// The gallery's query string; an empty value means "any".
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GalleryFilters {
    pub q: String,
    pub category: String,
    pub fhir_version: String,
    pub launch: String,
    pub audience: String,
    pub sort: String,
}

/// One page of gallery results.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GalleryPage {
    pub items: Vec<AppCard>,
    pub page: u32,
    pub has_more: bool,
}

/// A scope and what it lets the app do, in plain words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeLine {
    pub scope: String,
    pub meaning: String,
}

/// Everything the public page of an app shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppDetails {
    pub slug: String,
    pub name: String,
    pub tagline: String,
    /// The description as HTML, rendered from Markdown on the server with
    /// raw HTML, images and non-web links removed.
    pub description_html: String,
    pub logo: Option<String>,
    pub publisher: String,
    pub version: i32,
    pub published: Option<String>,
    pub history: Vec<HistoryLine>,
    pub scopes: Vec<ScopeLine>,
    pub launch_types: Vec<String>,
    pub fhir_versions: Vec<String>,
    pub audience: Vec<String>,
    pub categories: Vec<String>,
    pub homepage: Option<String>,
    pub privacy: Option<String>,
    pub terms: Option<String>,
    pub support: Vec<String>,
}

/// An app in the developer console's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevAppRow {
    pub slug: String,
    pub name: String,
    pub publisher: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionRow {
    pub id: String,
    pub number: i32,
    pub state: String,
    pub submitted: String,
    pub reason: Option<String>,
}

/// An app in the developer console: its draft as an editable manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevApp {
    pub slug: String,
    pub name: String,
    pub publisher: String,
    pub draft_json: String,
    /// The draft as the field-by-field form.
    pub draft_form: domain::ManifestForm,
    pub versions: Vec<VersionRow>,
    pub pending: bool,
    /// The draft's uploaded logo, on this site.
    pub logo: Option<String>,
    /// The draft against the published version, when both are complete.
    pub draft_changes: Option<domain::ManifestDiff>,
    pub activity: Vec<ActivityLine>,
    /// The app's installs in tenants, with their client ids.
    pub installs: Vec<InstallRow>,
    /// The slug of the publisher's sandbox tenant.
    pub sandbox: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckLine {
    pub passed: bool,
    pub text: String,
}

/// A submission on the reviewer's screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewItem {
    pub id: String,
    pub app: String,
    pub name: String,
    pub publisher: String,
    pub number: i32,
    pub submitted: String,
    pub scopes: Vec<ScopeLine>,
    pub redirect_uris: Vec<String>,
    pub launch_url: Option<String>,
    pub client_type: String,
    pub checks: Vec<CheckLine>,
    pub manifest_json: String,
    /// Against the published version (submission page only).
    pub changes: Option<domain::ManifestDiff>,
    /// The app's audit trail, newest first (submission page only).
    pub activity: Vec<ActivityLine>,
}

/// A version that was live, and what it changed from the one before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryLine {
    pub number: i32,
    pub published: Option<String>,
    pub changes: Option<domain::ManifestDiff>,
}

/// One audit log entry, for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityLine {
    pub at: String,
    pub who: String,
    pub what: String,
}

/// A publisher organisation and its members, for the console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublisherPage {
    pub slug: String,
    pub name: String,
    /// The signed-in member's role.
    pub role: String,
    pub members: Vec<MemberRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRow {
    pub email: String,
    pub role: String,
    /// `false` while the invitation waits for sign-up.
    pub active: bool,
}

/// A tenant's console: its installs and API keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantConsole {
    pub slug: String,
    pub name: String,
    /// May the caller change things (else a viewer)?
    pub admin: bool,
    /// A publisher's sandbox, where its drafts install before review.
    pub sandbox: bool,
    pub fhir_base_urls: Vec<String>,
    pub members: Vec<MemberRow>,
    /// End users of the tenant's authorization server.
    pub users: Vec<EndUserRow>,
    pub installs: Vec<InstallRow>,
    pub keys: Vec<KeyRow>,
    /// The newest audit log entries.
    pub activity: Vec<ActivityLine>,
    pub webhook: Option<WebhookRow>,
    /// The tenant's authorization servers, the built-in one first.
    pub servers: Vec<ServerRow>,
}

/// Someone who logs in at the tenant's authorization server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndUserRow {
    pub id: String,
    pub username: String,
    pub fhir_user: String,
    pub created: String,
}

/// The tenant's webhook and its latest deliveries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookRow {
    pub url: String,
    pub deliveries: Vec<DeliveryRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRow {
    pub event: String,
    pub created: String,
    pub attempts: i32,
    /// "delivered", or what went wrong last.
    pub outcome: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallRow {
    pub id: String,
    pub tenant: String,
    pub app: String,
    pub app_name: String,
    pub client_id: String,
    pub state: String,
    pub version: i32,
    pub scopes: Vec<ScopeLine>,
    /// A confidential symmetric client (it has secrets).
    pub has_secret: bool,
    /// A newer version waiting for approval, and what it changes.
    pub pending: Option<(i32, domain::ManifestDiff)>,
    /// The client at the tenant's own authorization server, if it is at one.
    pub provisioning: Option<ProvisioningLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRow {
    pub id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub created: String,
    pub last_used: Option<String>,
}

/// The approval screen: what an app asks for, to grant all or part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallPreview {
    pub tenant: String,
    pub tenant_name: String,
    pub app: String,
    pub app_name: String,
    pub version: i32,
    pub scopes: Vec<ScopeChoice>,
    /// The tenant's authorization servers: `(id, name, default)`.
    pub servers: Vec<(String, String, bool)>,
}

/// One requested scope on the approval screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeChoice {
    pub scope: String,
    pub meaning: String,
    /// `*` for every resource type: the admin may name types instead.
    pub wildcard: bool,
}

/// A tenant in the platform console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantRow {
    pub slug: String,
    pub name: String,
    pub created: String,
}

/// A health system's application for a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationRow {
    pub id: String,
    pub applicant: String,
    pub slug: String,
    pub name: String,
    pub fhir_base_urls: Vec<String>,
    pub message: String,
    /// `pending`, `approved` or `rejected`.
    pub state: String,
    pub reason: Option<String>,
    pub created: String,
}
