//! The `authorization_code` grant (RFC 6749 §4.1.3 with PKCE, RFC 7636):
//! a code is good once; a second exchange revokes what the first one got.

use domain::SmartScope;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};

use super::{
    is_code_verifier, refresh_life, s256, unexpected, when, Issued, ACCESS_TOKEN_LIFE, CODE_REUSED,
};
use crate::authz::authorize::{Grant, Pending};
use crate::authz::tokens::{TokenRequest, TokenResponse};
use crate::authz::{Issuer, OAuthError, OAuthResult};
use crate::entity::authorizations;
use crate::platform::secret::{new_id, random_token, token_hash};
use crate::Engine;

impl Engine {
    /// `grant_type=authorization_code`.
    pub(crate) async fn authorization_code(
        &self,
        issuer: &Issuer,
        request: &TokenRequest,
    ) -> OAuthResult<TokenResponse> {
        let client = self.authenticate_token_client(issuer, request).await?;
        if !client.grant_types.iter().any(|g| g == "authorization_code") {
            return Err(OAuthError::unauthorized_client(
                "This client is not registered for the authorization code grant.",
            ));
        }
        let code = request
            .code
            .as_deref()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| OAuthError::invalid_request("`code` is missing."))?;
        let row = authorizations::Entity::find()
            .filter(authorizations::Column::CodeHash.eq(token_hash(code)))
            .filter(authorizations::Column::TenantId.eq(issuer.tenant_id.as_str()))
            .one(self.db())
            .await?
            .ok_or_else(|| OAuthError::invalid_grant("The code is unknown."))?;
        if row.client_id != client.client_id {
            return Err(OAuthError::invalid_grant(
                "The code was issued to another client.",
            ));
        }
        if row.used_at.is_some() {
            self.revoke_issued(issuer, &row).await?;
            return Err(OAuthError::invalid_grant(CODE_REUSED));
        }
        if row.expires_at <= self.now() {
            return Err(OAuthError::invalid_grant(
                "The code has expired (codes are good for 60 seconds).",
            ));
        }
        let pending: Pending =
            serde_json::from_str(&row.request).map_err(|e| unexpected("a stored request", e))?;
        let redirect_uri = request
            .redirect_uri
            .as_deref()
            .ok_or_else(|| OAuthError::invalid_request("`redirect_uri` is missing."))?;
        if pending.redirect_uri != redirect_uri {
            return Err(OAuthError::invalid_grant(
                "`redirect_uri` is not the one the code was requested with.",
            ));
        }
        let verifier = request
            .code_verifier
            .as_deref()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| OAuthError::invalid_request("PKCE `code_verifier` is missing."))?;
        if !is_code_verifier(verifier) {
            return Err(OAuthError::invalid_request(
                "`code_verifier` must be 43–128 characters of letters, digits, `-`, `.`, `_` or `~`.",
            ));
        }
        if !crate::platform::secret::constant_time_eq(&pending.code_challenge, &s256(verifier)) {
            return Err(OAuthError::invalid_grant(
                "`code_verifier` does not match the `code_challenge` of the request.",
            ));
        }
        let grant: Grant = row
            .grant
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| unexpected("a stored grant", e))?
            .ok_or_else(|| OAuthError::invalid_grant("The code is unknown."))?;
        // What the install grants now, if the tenant narrowed it meanwhile.
        let scope = self.current_scope(&client, &grant.scope)?;

        let now = self.now().timestamp();
        let jti = random_token();
        let exp = now + ACCESS_TOKEN_LIFE;
        let refresh = refresh_life(&scope, self.now(), when(grant.auth_time));
        let family = refresh.map(|_| new_id("rtf"));
        let issued = serde_json::to_string(&Issued {
            jti: jti.clone(),
            exp,
            family: family.clone(),
        })
        .map_err(|e| unexpected("serialising", e))?;
        let txn = self.db().begin().await?;
        let used = authorizations::Entity::update_many()
            .col_expr(authorizations::Column::UsedAt, Expr::value(self.now()))
            .col_expr(authorizations::Column::Issued, Expr::value(issued))
            .filter(authorizations::Column::Id.eq(row.id.clone()))
            .filter(authorizations::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        if used.rows_affected != 1 {
            drop(txn);
            // Another exchange won the race: revoke what it got, as it
            // stands now.
            if let Some(now_row) = authorizations::Entity::find_by_id(row.id.clone())
                .one(self.db())
                .await?
            {
                self.revoke_issued(issuer, &now_row).await?;
            }
            return Err(OAuthError::invalid_grant(CODE_REUSED));
        }
        let grant = Grant {
            scope: scope.to_string(),
            ..grant
        };
        let refresh_token = match (family, refresh) {
            (Some(family), Some(expires_at)) => Some(
                self.store_refresh(
                    &txn,
                    issuer,
                    &client,
                    &family,
                    &grant,
                    (&jti, exp),
                    expires_at,
                )
                .await?,
            ),
            _ => None,
        };
        txn.commit().await?;
        let id_token = if scope.scopes().contains(&SmartScope::OpenId) {
            Some(self.id_token(issuer, &client, &grant, &scope).await?)
        } else {
            None
        };
        self.user_tokens(
            issuer,
            &client,
            &grant,
            &scope,
            (jti, exp),
            refresh_token,
            id_token,
        )
        .await
    }
}
