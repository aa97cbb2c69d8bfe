//! The `refresh_token` grant: refresh tokens rotate on every use, an old
//! one coming back revokes its whole family, and a refresh keeps or
//! narrows the scope, never beyond what the install grants now.

use domain::ScopeSet;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde_json::json;

use super::{refresh_life, unexpected, when, Issued, ACCESS_TOKEN_LIFE, REFRESH_REUSED};
use crate::authz::authorize::Grant;
use crate::authz::tokens::{TokenRequest, TokenResponse};
use crate::authz::{Issuer, OAuthError, OAuthResult};
use crate::entity::{authorizations, refresh_tokens};
use crate::platform::secret::{random_token, token_hash};
use crate::{Engine, EngineError, EngineResult};

impl Engine {
    /// `grant_type=refresh_token`.
    pub(crate) async fn refresh(
        &self,
        issuer: &Issuer,
        request: &TokenRequest,
    ) -> OAuthResult<TokenResponse> {
        let client = self.authenticate_token_client(issuer, request).await?;
        let token = request
            .refresh_token
            .as_deref()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| OAuthError::invalid_request("`refresh_token` is missing."))?;
        let row = refresh_tokens::Entity::find_by_id(token_hash(token))
            .filter(refresh_tokens::Column::TenantId.eq(issuer.tenant_id.as_str()))
            .one(self.db())
            .await?
            .ok_or_else(|| OAuthError::invalid_grant("The refresh token is unknown."))?;
        if row.client_id != client.client_id {
            return Err(OAuthError::invalid_grant(
                "The refresh token was issued to another client.",
            ));
        }
        if row.revoked_at.is_some() {
            return Err(OAuthError::invalid_grant(
                "The refresh token has been revoked. Sign in again.",
            ));
        }
        if row.used_at.is_some() {
            self.revoke_family(&issuer.tenant_id, &row.family_id)
                .await?;
            return Err(OAuthError::invalid_grant(REFRESH_REUSED));
        }
        if row.expires_at <= self.now() {
            return Err(OAuthError::invalid_grant(
                "The refresh token has expired. Sign in again.",
            ));
        }
        let grant: Grant =
            serde_json::from_str(&row.grant).map_err(|e| unexpected("a stored grant", e))?;
        let user_exists = crate::entity::tenant_users::Entity::find_by_id(grant.user_id.clone())
            .filter(crate::entity::tenant_users::Column::TenantId.eq(issuer.tenant_id.as_str()))
            .one(self.db())
            .await?
            .is_some();
        if !user_exists {
            self.revoke_family(&issuer.tenant_id, &row.family_id)
                .await?;
            return Err(OAuthError::invalid_grant(
                "The user this grant was for no longer exists.",
            ));
        }
        let held = ScopeSet::parse(&grant.scope).map_err(|e| unexpected("a stored scope", e))?;
        let asked = match request
            .scope
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => held.clone(),
            Some(text) => {
                let asked =
                    ScopeSet::parse(text).map_err(|e| OAuthError::invalid_scope(e.to_string()))?;
                let beyond = asked.not_covered_by(&held);
                if !beyond.is_empty() {
                    let names: Vec<String> = beyond.iter().map(|s| s.to_string()).collect();
                    return Err(OAuthError::invalid_scope(format!(
                        "A refresh can keep or narrow the scope, not widen it: {} was not granted.",
                        names.join(", ")
                    )));
                }
                asked
            }
        };
        // The access token gets what was asked for; the refresh token keeps
        // the whole grant (RFC 6749 §6), both cut to what the install
        // grants now.
        let scope = self.current_scope(&client, &asked.to_string())?;
        let kept = self.current_scope(&client, &held.to_string())?;

        let now = self.now().timestamp();
        let jti = random_token();
        let exp = now + ACCESS_TOKEN_LIFE;
        let txn = self.db().begin().await?;
        let used = refresh_tokens::Entity::update_many()
            .col_expr(refresh_tokens::Column::UsedAt, Expr::value(self.now()))
            .filter(refresh_tokens::Column::Id.eq(row.id.clone()))
            .filter(refresh_tokens::Column::UsedAt.is_null())
            .filter(refresh_tokens::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        if used.rows_affected != 1 {
            drop(txn);
            self.revoke_family(&issuer.tenant_id, &row.family_id)
                .await?;
            return Err(OAuthError::invalid_grant(REFRESH_REUSED));
        }
        let grant = Grant {
            scope: kept.to_string(),
            nonce: None,
            ..grant
        };
        let refresh_token = match refresh_life(&kept, self.now(), when(grant.auth_time)) {
            Some(expires_at) => Some(
                self.store_refresh(
                    &txn,
                    issuer,
                    &client,
                    &row.family_id,
                    &grant,
                    (&jti, exp),
                    expires_at,
                )
                .await?,
            ),
            None => None,
        };
        txn.commit().await?;
        self.user_tokens(
            issuer,
            &client,
            &grant,
            &scope,
            (jti, exp),
            refresh_token,
            None,
        )
        .await
    }

    /// Revokes what a code was exchanged for.
    pub(super) async fn revoke_issued(
        &self,
        issuer: &Issuer,
        row: &authorizations::Model,
    ) -> EngineResult<()> {
        let Some(issued) = row.issued.as_deref() else {
            return Ok(());
        };
        let issued: Issued = serde_json::from_str(issued)
            .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("stored issue: {e}")))?;
        tracing::warn!(tenant = %issuer.slug, "a code was used twice; what it was exchanged for is revoked");
        self.revoke_jti(&issuer.tenant_id, &issued.jti, issued.exp)
            .await?;
        if let Some(family) = &issued.family {
            self.revoke_family(&issuer.tenant_id, family).await?;
        }
        Ok(())
    }

    /// Revokes every refresh token of a family and the live access tokens
    /// issued beside them.
    async fn revoke_family(&self, tenant_id: &str, family: &str) -> EngineResult<()> {
        let now = self.now();
        let members = refresh_tokens::Entity::find()
            .filter(refresh_tokens::Column::FamilyId.eq(family))
            .filter(refresh_tokens::Column::TenantId.eq(tenant_id))
            .all(self.db())
            .await?;
        refresh_tokens::Entity::update_many()
            .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(now))
            .filter(refresh_tokens::Column::FamilyId.eq(family))
            .filter(refresh_tokens::Column::TenantId.eq(tenant_id))
            .filter(refresh_tokens::Column::RevokedAt.is_null())
            .exec(self.db())
            .await?;
        for member in members.iter().filter(|m| m.access_expires_at > now) {
            self.revoke_jti(
                tenant_id,
                &member.access_jti,
                member.access_expires_at.timestamp(),
            )
            .await?;
        }
        Ok(())
    }

    /// RFC 7009 for a refresh token: its family is revoked. A token that
    /// is no refresh token of this tenant is ignored.
    pub(crate) async fn revoke_refresh_token(
        &self,
        issuer: &Issuer,
        client_id: Option<&str>,
        token: &str,
    ) -> OAuthResult<()> {
        let Some(row) = refresh_tokens::Entity::find_by_id(token_hash(token))
            .filter(refresh_tokens::Column::TenantId.eq(issuer.tenant_id.as_str()))
            .one(self.db())
            .await?
        else {
            return Ok(());
        };
        if client_id.is_some_and(|id| id != row.client_id) {
            return Err(OAuthError::invalid_request(
                "The token was not issued to this client.",
            ));
        }
        if row.revoked_at.is_some() {
            return Ok(());
        }
        self.revoke_family(&issuer.tenant_id, &row.family_id)
            .await?;
        if let Ok(client) = self.client(issuer, &row.client_id).await {
            crate::platform::audit::record(
                self.db(),
                self.now(),
                crate::platform::audit::Event::in_tenant(
                    None,
                    &issuer.tenant_id,
                    "token.revoked",
                    ("install", &client.install_id),
                    json!({ "client_id": row.client_id, "token": "refresh", "by": if client_id.is_some() { "client" } else { "API key" } }),
                ),
            )
            .await?;
        }
        Ok(())
    }
}
