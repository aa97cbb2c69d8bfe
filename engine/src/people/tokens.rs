//! Personal access tokens: bearer tokens that act as their user.
//!
//! A token is shown once at creation; only its SHA-256 is stored. Its scopes
//! narrow what it may do; the user's memberships still decide where.

use chrono::{DateTime, Duration, Utc};
use domain::TokenScope;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::entity::{api_tokens, users};
use crate::people::accounts::Account;
use crate::platform::secret::{new_id, random_token, token_hash};
use crate::{Engine, EngineError, EngineResult};

/// Every personal access token starts with this, so that secret scanners can
/// recognise a leaked one.
pub const PERSONAL_TOKEN_PREFIX: &str = "sdc_pat_";

/// A token as listed: never the token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    pub scopes: Vec<TokenScope>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// Who is calling with a bearer token, and what the token allows.
#[derive(Debug, Clone)]
pub struct TokenPrincipal {
    pub account: Account,
    pub token_id: String,
    pub scopes: Vec<TokenScope>,
}

impl TokenPrincipal {
    pub fn require(&self, scope: TokenScope) -> EngineResult<()> {
        if self.scopes.contains(&scope) {
            Ok(())
        } else {
            Err(EngineError::Forbidden(format!(
                "This token lacks the `{scope}` scope."
            )))
        }
    }
}

impl TryFrom<api_tokens::Model> for TokenInfo {
    type Error = EngineError;
    fn try_from(row: api_tokens::Model) -> Result<Self, Self::Error> {
        Ok(Self {
            scopes: TokenScope::parse_list(&row.scopes).map_err(|e| {
                EngineError::Unexpected(anyhow::anyhow!("stored token scopes: {e}"))
            })?,
            id: row.id,
            name: row.name,
            created_at: row.created_at,
            expires_at: row.expires_at,
            last_used_at: row.last_used_at,
        })
    }
}

const LAST_USED_GRANULARITY: Duration = Duration::minutes(1);

impl Engine {
    /// Creates a token for `user_id`; returns the token (shown once) and its listing.
    pub async fn create_personal_token(
        &self,
        user_id: &str,
        name: &str,
        scopes: &[String],
        expires_in_days: Option<i64>,
    ) -> EngineResult<(String, TokenInfo)> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(EngineError::invalid(
                "name",
                "Give the token a name of 1 to 100 characters, so you can recognise it later.",
            ));
        }
        if scopes.is_empty() {
            return Err(EngineError::invalid("scopes", "Choose at least one scope."));
        }
        let mut parsed = scopes
            .iter()
            .map(|s| TokenScope::parse_personal(s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| EngineError::invalid("scopes", e.to_string()))?;
        parsed.sort();
        parsed.dedup();
        let expires_at = match expires_in_days {
            None => None,
            Some(days) if (1..=366).contains(&days) => Some(self.now() + Duration::days(days)),
            Some(_) => {
                return Err(EngineError::invalid(
                    "expires_in_days",
                    "A token expires after 1 to 366 days, or never.",
                ))
            }
        };
        if users::Entity::find_by_id(user_id.to_owned())
            .one(self.db())
            .await?
            .is_none()
        {
            return Err(EngineError::not_found("No such user."));
        }
        let token = format!("{PERSONAL_TOKEN_PREFIX}{}", random_token());
        let row = api_tokens::ActiveModel {
            id: Set(new_id("pat")),
            user_id: Set(user_id.to_owned()),
            name: Set(name.to_owned()),
            token_hash: Set(token_hash(&token)),
            scopes: Set(TokenScope::join(&parsed)),
            created_at: Set(self.now()),
            expires_at: Set(expires_at),
            last_used_at: Set(None),
            revoked_at: Set(None),
        }
        .insert(self.db())
        .await?;
        Ok((token, row.try_into()?))
    }

    /// The user's live tokens, newest first.
    pub async fn list_personal_tokens(&self, user_id: &str) -> EngineResult<Vec<TokenInfo>> {
        let now = self.now();
        api_tokens::Entity::find()
            .filter(api_tokens::Column::UserId.eq(user_id))
            .filter(api_tokens::Column::RevokedAt.is_null())
            .order_by_desc(api_tokens::Column::CreatedAt)
            .all(self.db())
            .await?
            .into_iter()
            .filter(|row| row.expires_at.is_none_or(|at| at > now))
            .map(TokenInfo::try_from)
            .collect()
    }

    /// Revokes one of the user's tokens; another user's token id is not found.
    pub async fn revoke_personal_token(&self, user_id: &str, token_id: &str) -> EngineResult<()> {
        let result = api_tokens::Entity::update_many()
            .col_expr(api_tokens::Column::RevokedAt, Expr::value(self.now()))
            .filter(api_tokens::Column::Id.eq(token_id))
            .filter(api_tokens::Column::UserId.eq(user_id))
            .filter(api_tokens::Column::RevokedAt.is_null())
            .exec(self.db())
            .await?;
        if result.rows_affected == 0 {
            return Err(EngineError::not_found("No such token."));
        }
        Ok(())
    }

    /// Resolves a bearer token to its user and scopes.
    pub async fn authenticate_personal_token(&self, bearer: &str) -> EngineResult<TokenPrincipal> {
        let invalid =
            || EngineError::Unauthenticated("The token is invalid, expired or revoked.".into());
        if !bearer.starts_with(PERSONAL_TOKEN_PREFIX) {
            return Err(invalid());
        }
        let now = self.now();
        let row = api_tokens::Entity::find()
            .filter(api_tokens::Column::TokenHash.eq(token_hash(bearer)))
            .one(self.db())
            .await?
            .ok_or_else(invalid)?;
        if row.revoked_at.is_some() || row.expires_at.is_some_and(|at| at <= now) {
            return Err(invalid());
        }
        let account = self.account(&row.user_id).await?.ok_or_else(invalid)?;
        // Record use, but write at most once a minute per token.
        if row
            .last_used_at
            .is_none_or(|at| now - at >= LAST_USED_GRANULARITY)
        {
            let mut active: api_tokens::ActiveModel = row.clone().into();
            active.last_used_at = Set(Some(now));
            active.update(self.db()).await?;
        }
        let info = TokenInfo::try_from(row)?;
        Ok(TokenPrincipal {
            account,
            token_id: info.id,
            scopes: info.scopes,
        })
    }
}
