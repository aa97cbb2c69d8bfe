//! The tenant API: installs (with the granted scopes) and the tenant's API
//! keys, for its admins (`/api/v1/tenants/{tenant}/…`, token scope
//! `tenant-admin`); and the installs of a publisher's app, with secret
//! rotation, for its developers.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use domain::TokenScope;
use engine::tenancy::api_keys::TenantKeyInfo;
use engine::tenancy::installs::{InstallAction, InstallView};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use engine::tenancy::Tenant;

use super::json::{JsonBody, QueryParams};
use super::publishers::{InviteRequest, MemberResponse};
use super::tenant_context::{InstallsTenant, MemberTenant};
use super::{ApiError, Caller, Page};
use crate::http::AppState;

/// RFC 3339 to the microsecond, the precision both databases keep.
fn timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InstallResponse {
    pub id: String,
    pub tenant: String,
    pub app: String,
    pub client_id: String,
    /// `active`, `suspended` or `revoked`.
    pub state: String,
    /// The scopes granted, canonical.
    pub scope: String,
    /// What the installed version asks for.
    pub requested_scope: String,
    pub version: i32,
    /// A newer version that adds scopes or redirect URIs, waiting for the
    /// tenant's approval (`POST …/installs/{id}/update`).
    pub pending_version: Option<i32>,
    /// What the waiting version changes against the installed one.
    pub pending_changes: Option<domain::ManifestDiff>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<InstallView> for InstallResponse {
    fn from(i: InstallView) -> Self {
        let (pending_version, pending_changes) = match i.pending {
            Some((version, changes)) => (Some(version.number), Some(changes)),
            None => (None, None),
        };
        Self {
            pending_version,
            pending_changes,
            scope: i.granted_scope.to_string(),
            requested_scope: i.version.manifest.scope.to_string(),
            version: i.version.number,
            id: i.id,
            tenant: i.tenant_slug,
            app: i.app_slug,
            client_id: i.client_id,
            state: i.state,
            created_at: timestamp(i.created_at),
            updated_at: timestamp(i.updated_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstallRequest {
    /// The app's slug.
    pub app: String,
    /// The scopes to grant; all the app asks for when absent.
    pub scope: Option<String>,
}

/// The tenant's installs, with what each was granted (a member's token
/// with `tenant-admin`, or a tenant key with `installs:write`).
#[utoipa::path(
    get,
    path = "/api/v1/tenants/{tenant}/installs",
    tag = "installs",
    security(("personal_token" = []), ("tenant_key" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug.")),
    responses((status = 200, body = Page<InstallResponse>)),
)]
pub async fn list_installs(
    State(state): State<AppState>,
    InstallsTenant(tenant): InstallsTenant,
) -> Result<Json<Page<InstallResponse>>, ApiError> {
    let installs = state.engine.list_installs(&tenant).await?;
    Ok(Json(Page {
        items: installs.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

/// Install a published app (in a sandbox, its publisher's draft), granting
/// `scope` or, when absent, all the app asks for; scopes it never asked for
/// are refused.
#[utoipa::path(
    post,
    path = "/api/v1/tenants/{tenant}/installs",
    tag = "installs",
    security(("personal_token" = []), ("tenant_key" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug.")),
    request_body = InstallRequest,
    responses((status = 201, body = InstallResponse)),
)]
pub async fn install(
    State(state): State<AppState>,
    InstallsTenant(tenant): InstallsTenant,
    JsonBody(body): JsonBody<InstallRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let install = state
        .engine
        .install_app(&tenant, &body.app, body.scope.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(InstallResponse::from(install))))
}

async fn change(
    state: AppState,
    tenant: Tenant,
    id: String,
    action: InstallAction,
) -> Result<Json<InstallResponse>, ApiError> {
    let install = state.engine.change_install(&tenant, &id, action).await?;
    Ok(Json(install.into()))
}

/// Suspend an active install: its tokens stop working.
#[utoipa::path(
    post,
    path = "/api/v1/tenants/{tenant}/installs/{id}/suspend",
    tag = "installs",
    security(("personal_token" = []), ("tenant_key" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug."), ("id" = String, Path, description = "The install's id.")),
    responses((status = 200, body = InstallResponse)),
)]
pub async fn suspend(
    State(state): State<AppState>,
    InstallsTenant(tenant): InstallsTenant,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<InstallResponse>, ApiError> {
    change(state, tenant, id, InstallAction::Suspend).await
}

/// Resume a suspended install.
#[utoipa::path(
    post,
    path = "/api/v1/tenants/{tenant}/installs/{id}/resume",
    tag = "installs",
    security(("personal_token" = []), ("tenant_key" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug."), ("id" = String, Path, description = "The install's id.")),
    responses((status = 200, body = InstallResponse)),
)]
pub async fn resume(
    State(state): State<AppState>,
    InstallsTenant(tenant): InstallsTenant,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<InstallResponse>, ApiError> {
    change(state, tenant, id, InstallAction::Resume).await
}

/// Approve the version waiting for the tenant (`pending_version`): the
/// install moves to it, keeping the granted scopes the new version still asks for.
#[utoipa::path(
    post,
    path = "/api/v1/tenants/{tenant}/installs/{id}/update",
    tag = "installs",
    security(("personal_token" = []), ("tenant_key" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug."), ("id" = String, Path, description = "The install's id.")),
    responses((status = 200, body = InstallResponse)),
)]
pub async fn update(
    State(state): State<AppState>,
    InstallsTenant(tenant): InstallsTenant,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<InstallResponse>, ApiError> {
    let install = state.engine.approve_install_update(&tenant, &id).await?;
    Ok(Json(install.into()))
}

/// Revoke an install for good; its client id stops working.
#[utoipa::path(
    delete,
    path = "/api/v1/tenants/{tenant}/installs/{id}",
    tag = "installs",
    security(("personal_token" = []), ("tenant_key" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug."), ("id" = String, Path, description = "The install's id.")),
    responses((status = 200, body = InstallResponse)),
)]
pub async fn revoke(
    State(state): State<AppState>,
    InstallsTenant(tenant): InstallsTenant,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<InstallResponse>, ApiError> {
    change(state, tenant, id, InstallAction::Revoke).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyResponse {
    pub id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_at: String,
    pub last_used_at: Option<String>,
    /// Only in the answer to its creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

impl From<TenantKeyInfo> for KeyResponse {
    fn from(k: TenantKeyInfo) -> Self {
        Self {
            id: k.id,
            name: k.name,
            scopes: k.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            created_at: k.created_at.to_rfc3339(),
            last_used_at: k.last_used_at.map(|at| at.to_rfc3339()),
            key: None,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyRequest {
    pub name: String,
    pub scopes: Vec<String>,
}

/// The tenant's API keys (never the keys themselves).
#[utoipa::path(
    get,
    path = "/api/v1/tenants/{tenant}/keys",
    tag = "keys",
    security(("personal_token" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug.")),
    responses((status = 200, body = Page<KeyResponse>)),
)]
pub async fn list_keys(
    State(state): State<AppState>,
    MemberTenant(tenant): MemberTenant,
) -> Result<Json<Page<KeyResponse>>, ApiError> {
    let keys = state.engine.list_tenant_keys(&tenant).await?;
    Ok(Json(Page {
        items: keys.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

/// Create an API key with the given scopes (`registrations:read`,
/// `installs:write`, `launch:write`, `introspect`); `key` is shown this once.
#[utoipa::path(
    post,
    path = "/api/v1/tenants/{tenant}/keys",
    tag = "keys",
    security(("personal_token" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug.")),
    request_body = KeyRequest,
    responses((status = 201, body = KeyResponse)),
)]
pub async fn create_key(
    State(state): State<AppState>,
    MemberTenant(tenant): MemberTenant,
    JsonBody(body): JsonBody<KeyRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let (info, key) = state
        .engine
        .create_tenant_key(&tenant, &body.name, &body.scopes)
        .await?;
    let mut response = KeyResponse::from(info);
    response.key = Some(key);
    Ok((StatusCode::CREATED, Json(response)))
}

/// Revoke an API key: it gets 401 from then on.
#[utoipa::path(
    delete,
    path = "/api/v1/tenants/{tenant}/keys/{id}",
    tag = "keys",
    security(("personal_token" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug."), ("id" = String, Path, description = "The key's id.")),
    responses((status = 204, description = "Revoked.")),
)]
pub async fn delete_key(
    State(state): State<AppState>,
    MemberTenant(tenant): MemberTenant,
    Path((_, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state.engine.revoke_tenant_key(&tenant, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The app's installs in every tenant, with their client ids.
#[utoipa::path(
    get,
    path = "/api/v1/publisher/apps/{slug}/installs",
    tag = "apps",
    security(("personal_token" = [])),
    params(("slug" = String, Path, description = "The app's slug.")),
    responses((status = 200, body = Page<InstallResponse>)),
)]
pub async fn app_installs(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(slug): Path<String>,
) -> Result<Json<Page<InstallResponse>>, ApiError> {
    caller.require(TokenScope::Publisher)?;
    let installs = state.engine.app_installs(&caller.account, &slug).await?;
    Ok(Json(Page {
        items: installs.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SecretResponse {
    pub client_id: String,
    /// Shown this once; the previous secret keeps working for the grace
    /// period (`SIDECAR_SECRET_GRACE_HOURS`, 24 by default).
    pub client_secret: String,
    pub previous_valid_for_seconds: i64,
}

/// A new client secret for the app in one tenant, shown this once; the
/// previous one keeps working for the grace period.
#[utoipa::path(
    post,
    path = "/api/v1/publisher/apps/{slug}/installs/{tenant}/secret",
    tag = "apps",
    security(("personal_token" = [])),
    params(("slug" = String, Path, description = "The app's slug."), ("tenant" = String, Path, description = "The tenant's slug.")),
    responses((status = 200, body = SecretResponse)),
)]
pub async fn rotate_secret(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path((slug, tenant)): Path<(String, String)>,
) -> Result<Json<SecretResponse>, ApiError> {
    caller.require(TokenScope::Publisher)?;
    let (install, secret) = state
        .engine
        .rotate_client_secret(&caller.account, &slug, &tenant)
        .await?;
    Ok(Json(SecretResponse {
        client_id: install.client_id,
        client_secret: secret,
        previous_valid_for_seconds: state.engine.config().secret_grace.num_seconds(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditResponse {
    pub id: String,
    pub at: String,
    /// An email, `API key "…"`, or `Sidecar` for what it did itself.
    pub actor: String,
    /// The client address the change was asked from.
    pub origin: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub detail: serde_json::Value,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AuditFormat {
    #[default]
    Json,
    Csv,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// `json` (the default) or `csv`.
    #[param(inline)]
    pub format: Option<AuditFormat>,
    /// The newest entries to return: 1,000 by default, 1 to 10,000.
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<u64>,
}

/// The tenant's audit log, newest first: who did what, when and from where.
/// `format=csv` answers a CSV download instead (`text/csv`).
#[utoipa::path(
    get,
    path = "/api/v1/tenants/{tenant}/audit",
    tag = "audit",
    security(("personal_token" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug."), AuditParams),
    responses((
        status = 200,
        description = "The entries; with `format=csv`, a CSV download.",
        content((Page<AuditResponse> = "application/json"), (String = "text/csv")),
    )),
)]
pub async fn audit(
    State(state): State<AppState>,
    MemberTenant(tenant): MemberTenant,
    QueryParams(params): QueryParams<AuditParams>,
) -> Result<axum::response::Response, ApiError> {
    let entries = state
        .engine
        .tenant_audit(&tenant, params.limit.unwrap_or(1000))
        .await?;
    match params.format.unwrap_or_default() {
        AuditFormat::Json => Ok(Json(Page {
            items: entries
                .into_iter()
                .map(|e| AuditResponse {
                    actor: e.actor(),
                    origin: e.origin,
                    id: e.id,
                    at: timestamp(e.at),
                    action: e.action,
                    target_type: e.target_type,
                    target_id: e.target_id,
                    detail: e.detail,
                })
                .collect::<Vec<_>>(),
            next_cursor: None,
        })
        .into_response()),
        AuditFormat::Csv => Ok(csv_download(tenant.slug(), &entries)),
    }
}

/// The audit log as a CSV download.
pub fn csv_download(
    tenant: &str,
    entries: &[engine::platform::audit::AuditEntry],
) -> axum::response::Response {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/csv; charset=utf-8".to_owned(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{tenant}-audit.csv\""),
            ),
        ],
        engine::platform::audit::to_csv(entries),
    )
        .into_response()
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookRequest {
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookSecretResponse {
    pub url: String,
    /// The signing secret, shown this once; setting the webhook again
    /// makes a new one.
    pub secret: String,
}

/// Set the webhook URL; answers a new signing secret, shown this once.
#[utoipa::path(
    put,
    path = "/api/v1/tenants/{tenant}/webhook",
    tag = "webhooks",
    security(("personal_token" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug.")),
    request_body = WebhookRequest,
    responses((status = 200, body = WebhookSecretResponse)),
)]
pub async fn set_webhook(
    State(state): State<AppState>,
    MemberTenant(tenant): MemberTenant,
    JsonBody(body): JsonBody<WebhookRequest>,
) -> Result<Json<WebhookSecretResponse>, ApiError> {
    let secret = state.engine.set_webhook(&tenant, &body.url).await?;
    Ok(Json(WebhookSecretResponse {
        url: body.url.trim().to_owned(),
        secret,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryResponse {
    pub id: String,
    pub event: String,
    pub attempts: i32,
    pub delivered_at: Option<String>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookResponse {
    pub url: String,
    /// The latest 50, newest first.
    pub deliveries: Vec<DeliveryResponse>,
}

/// The webhook URL and its latest deliveries.
#[utoipa::path(
    get,
    path = "/api/v1/tenants/{tenant}/webhook",
    tag = "webhooks",
    security(("personal_token" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug.")),
    responses((status = 200, body = WebhookResponse)),
)]
pub async fn webhook(
    State(state): State<AppState>,
    MemberTenant(tenant): MemberTenant,
) -> Result<Json<WebhookResponse>, ApiError> {
    let hook = state
        .engine
        .webhook(&tenant)
        .await?
        .ok_or_else(|| ApiError::not_found("The tenant has no webhook; PUT one."))?;
    Ok(Json(WebhookResponse {
        url: hook.url,
        deliveries: hook
            .deliveries
            .into_iter()
            .map(|d| DeliveryResponse {
                id: d.id,
                event: d.event,
                attempts: d.attempts,
                delivered_at: d.delivered_at.map(timestamp),
                last_status: d.last_status,
                last_error: d.last_error,
                created_at: timestamp(d.created_at),
            })
            .collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TenantResponse {
    pub slug: String,
    pub name: String,
    pub fhir_base_urls: Vec<String>,
    /// A publisher's sandbox, where its drafts install before review.
    pub sandbox: bool,
    /// The caller's role: `admin` or `viewer`.
    pub role: String,
}

fn tenant_response(tenant: &Tenant) -> Result<TenantResponse, ApiError> {
    Ok(TenantResponse {
        slug: tenant.slug().to_owned(),
        name: tenant.name().to_owned(),
        fhir_base_urls: tenant
            .fhir_base_urls()?
            .into_iter()
            .map(|u| u.as_str().to_owned())
            .collect(),
        sandbox: tenant.is_sandbox(),
        role: tenant.role().as_str().to_owned(),
    })
}

/// The tenant's details and the caller's role in it.
#[utoipa::path(
    get,
    path = "/api/v1/tenants/{tenant}",
    tag = "tenants",
    security(("personal_token" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug.")),
    responses((status = 200, body = TenantResponse)),
)]
pub async fn get_tenant(
    MemberTenant(tenant): MemberTenant,
) -> Result<Json<TenantResponse>, ApiError> {
    Ok(Json(tenant_response(&tenant)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantUpdateRequest {
    pub name: String,
    pub fhir_base_urls: Vec<String>,
}

/// Rename the tenant and set its FHIR base URLs (https, or http on
/// loopback; no query).
#[utoipa::path(
    put,
    path = "/api/v1/tenants/{tenant}",
    tag = "tenants",
    security(("personal_token" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug.")),
    request_body = TenantUpdateRequest,
    responses((status = 200, body = TenantResponse)),
)]
pub async fn put_tenant(
    State(state): State<AppState>,
    MemberTenant(tenant): MemberTenant,
    JsonBody(body): JsonBody<TenantUpdateRequest>,
) -> Result<Json<TenantResponse>, ApiError> {
    let tenant = state
        .engine
        .update_tenant(&tenant, &body.name, &body.fhir_base_urls.join("\n"))
        .await?;
    Ok(Json(tenant_response(&tenant)?))
}

/// The tenant's members and open invitations.
#[utoipa::path(
    get,
    operation_id = "list_tenant_members",
    path = "/api/v1/tenants/{tenant}/members",
    tag = "tenants",
    security(("personal_token" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug.")),
    responses((status = 200, body = Page<MemberResponse>)),
)]
pub async fn members(
    State(state): State<AppState>,
    MemberTenant(tenant): MemberTenant,
) -> Result<Json<Page<MemberResponse>>, ApiError> {
    let members = state.engine.tenant_members(&tenant).await?;
    Ok(Json(Page {
        items: members
            .into_iter()
            .map(|m| MemberResponse {
                email: m.email,
                role: m.role.as_str().to_owned(),
                status: if m.active { "active" } else { "invited" },
            })
            .collect(),
        next_cursor: None,
    }))
}

/// Add a member by email (`role`: `admin` or `viewer`): an existing
/// account joins at once, anyone else gets an invitation.
#[utoipa::path(
    post,
    operation_id = "invite_tenant_member",
    path = "/api/v1/tenants/{tenant}/members",
    tag = "tenants",
    security(("personal_token" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug.")),
    request_body = InviteRequest,
    responses((status = 201, body = MemberResponse)),
)]
pub async fn invite(
    State(state): State<AppState>,
    MemberTenant(tenant): MemberTenant,
    JsonBody(body): JsonBody<InviteRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let outcome = state
        .engine
        .invite_tenant_member(&tenant, &body.email, &body.role)
        .await?;
    let status = match outcome {
        engine::people::members::Invited::Added => "active",
        engine::people::members::Invited::Invited => "invited",
    };
    Ok((
        StatusCode::CREATED,
        Json(MemberResponse {
            email: body.email.trim().to_owned(),
            role: body.role,
            status,
        }),
    ))
}

/// Remove a member, or withdraw an invitation; the last admin stays (409).
#[utoipa::path(
    delete,
    path = "/api/v1/tenants/{tenant}/members/{email}",
    tag = "tenants",
    security(("personal_token" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug."), ("email" = String, Path, description = "The member's email address.")),
    responses((status = 204, description = "Removed.")),
)]
pub async fn remove_member(
    State(state): State<AppState>,
    MemberTenant(tenant): MemberTenant,
    Path((_, email)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state.engine.remove_tenant_member(&tenant, &email).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TenantUserResponse {
    pub id: String,
    pub username: String,
    /// The FHIR resource the user is, e.g. `Practitioner/123` (SMART's
    /// name for it).
    #[serde(rename = "fhirUser")]
    #[schema(rename = "fhirUser")]
    pub fhir_user: String,
    /// The same as `fhirUser`; answered for one more release.
    #[serde(rename = "fhir_user")]
    #[schema(deprecated)]
    pub fhir_user_deprecated: String,
    pub created_at: String,
}

impl From<engine::authz::users::TenantUser> for TenantUserResponse {
    fn from(u: engine::authz::users::TenantUser) -> Self {
        Self {
            id: u.id,
            username: u.username,
            fhir_user_deprecated: u.fhir_user.clone(),
            fhir_user: u.fhir_user,
            created_at: timestamp(u.created_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantUserRequest {
    #[schema(min_length = 1, max_length = 64)]
    pub username: String,
    /// At least 8 characters and not a common one; never shown again.
    #[schema(min_length = 8, max_length = 1024)]
    pub password: String,
    /// `Practitioner/…`, `PractitionerRole/…`, `Patient/…`,
    /// `RelatedPerson/…` or `Person/…` (SMART's name; required).
    #[serde(rename = "fhirUser")]
    #[schema(rename = "fhirUser", max_length = 200)]
    pub fhir_user: Option<String>,
    /// The old spelling of `fhirUser`, taken for one more release.
    #[serde(rename = "fhir_user")]
    #[schema(deprecated, max_length = 200)]
    pub fhir_user_deprecated: Option<String>,
}

impl TenantUserRequest {
    /// `fhirUser`, or its old spelling; one of them, once.
    fn fhir_user(&self) -> Result<&str, ApiError> {
        match (&self.fhir_user, &self.fhir_user_deprecated) {
            (Some(name), None) | (None, Some(name)) => Ok(name),
            (Some(_), Some(_)) => Err(ApiError::invalid(
                "fhir_user",
                "Send `fhirUser` alone: `fhir_user` is its old spelling.",
            )),
            (None, None) => Err(ApiError::invalid(
                "fhirUser",
                "This is required: the FHIR resource the user is, e.g. Practitioner/123.",
            )),
        }
    }
}

/// The end users of the tenant's authorization server.
#[utoipa::path(
    get,
    path = "/api/v1/tenants/{tenant}/users",
    operation_id = "list_tenant_users",
    tag = "tenants",
    security(("personal_token" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug.")),
    responses((status = 200, body = Page<TenantUserResponse>)),
)]
pub async fn users(
    State(state): State<AppState>,
    MemberTenant(tenant): MemberTenant,
) -> Result<Json<Page<TenantUserResponse>>, ApiError> {
    let users = state.engine.tenant_users(&tenant).await?;
    Ok(Json(Page {
        items: users.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

/// Add an end user who logs in at the tenant's authorize endpoint.
#[utoipa::path(
    post,
    path = "/api/v1/tenants/{tenant}/users",
    operation_id = "create_tenant_user",
    tag = "tenants",
    security(("personal_token" = [])),
    params(("tenant" = String, Path, description = "The tenant's slug.")),
    request_body = TenantUserRequest,
    responses((status = 201, body = TenantUserResponse)),
)]
pub async fn create_user(
    State(state): State<AppState>,
    MemberTenant(tenant): MemberTenant,
    JsonBody(body): JsonBody<TenantUserRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let user = state
        .engine
        .create_tenant_user(&tenant, &body.username, &body.password, body.fhir_user()?)
        .await
        .map_err(|e| {
            // Named as the caller spelled it.
            let spelled = if body.fhir_user.is_some() {
                "fhirUser"
            } else {
                "fhir_user"
            };
            ApiError::from(e).with_field_renamed("fhir_user", spelled)
        })?;
    Ok((StatusCode::CREATED, Json(TenantUserResponse::from(user))))
}

/// Remove an end user.
#[utoipa::path(
    delete,
    path = "/api/v1/tenants/{tenant}/users/{id}",
    operation_id = "remove_tenant_user",
    tag = "tenants",
    security(("personal_token" = [])),
    params(
        ("tenant" = String, Path, description = "The tenant's slug."),
        ("id" = String, Path, description = "The user's id."),
    ),
    responses((status = 204, description = "Removed.")),
)]
pub async fn remove_user(
    State(state): State<AppState>,
    MemberTenant(tenant): MemberTenant,
    Path((_, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state.engine.remove_tenant_user(&tenant, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
