//! The signed-in account: who is signed in (every page asks), flash
//! messages, personal access tokens, password-reset links.

use leptos::prelude::*;

use super::shared::{account_view, current_account, date, engine, internal, session};
use crate::model::{PageState, TokenView};

pub async fn load_page(form: String) -> Result<PageState, ServerFnError> {
    let engine = engine()?;
    let flash = crate::session::take_flash(&session().await?, &form).await;
    let account = match current_account().await {
        Some(account) => Some(account_view(&engine, &account).await?),
        None => None,
    };
    Ok(PageState { account, flash })
}

pub async fn list_tokens() -> Result<Vec<TokenView>, ServerFnError> {
    let engine = engine()?;
    let Some(account) = current_account().await else {
        return Ok(Vec::new());
    };
    let tokens = engine
        .list_personal_tokens(&account.id)
        .await
        .map_err(internal)?;
    Ok(tokens
        .into_iter()
        .map(|t| TokenView {
            id: t.id,
            name: t.name,
            scopes: t.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            created: date(t.created_at),
            expires: t.expires_at.map(date),
            last_used: t.last_used_at.map(date),
        })
        .collect())
}

pub async fn reset_link_is_live(token: String) -> Result<bool, ServerFnError> {
    engine()?
        .reset_token_is_live(&token)
        .await
        .map_err(internal)
}
