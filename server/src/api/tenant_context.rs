//! The `{tenant}` of a tenant route as the caller may act in it. The engine
//! makes the context (a membership check, or the key's own tenant), so a
//! handler never compares tenant ids itself.

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use domain::TokenScope;
use engine::tenancy::api_keys::TENANT_KEY_PREFIX;
use engine::tenancy::Tenant;

use super::ApiError;
use crate::http::AppState;

async fn tenant_slug(parts: &mut Parts, state: &AppState) -> Result<String, ApiError> {
    let params = RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(|_| ApiError::not_found("There is no such tenant."))?;
    params
        .iter()
        .find(|(name, _)| *name == "tenant")
        .map(|(_, value)| value.to_owned())
        .ok_or_else(|| ApiError::not_found("There is no such tenant."))
}

/// A member of the tenant, by a personal access token with `tenant-admin`.
pub struct MemberTenant(pub Tenant);

impl FromRequestParts<AppState> for MemberTenant {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let slug = tenant_slug(parts, state).await?;
        let token = super::auth::bearer(parts)?;
        let caller = state.engine.authenticate_personal_token(token).await?;
        caller.require(TokenScope::TenantAdmin)?;
        Ok(Self(state.engine.tenant(&caller.account, &slug).await?))
    }
}

/// Whoever may work the tenant's installs: a member by personal access
/// token (`tenant-admin`), or the tenant's own API key with
/// `installs:write` (an EHR installing on the tenant's behalf).
pub struct InstallsTenant(pub Tenant);

impl FromRequestParts<AppState> for InstallsTenant {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let slug = tenant_slug(parts, state).await?;
        let token = super::auth::bearer(parts)?;
        if token.starts_with(TENANT_KEY_PREFIX) {
            let key = state.engine.authenticate_tenant_key(token).await?;
            let tenant = state
                .engine
                .tenant_for_key(&key, &slug, TokenScope::InstallsWrite)
                .await?;
            return Ok(Self(tenant));
        }
        let caller = state.engine.authenticate_personal_token(token).await?;
        caller.require(TokenScope::TenantAdmin)?;
        Ok(Self(state.engine.tenant(&caller.account, &slug).await?))
    }
}
