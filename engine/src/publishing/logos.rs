//! Uploaded files: app logos. Stored once per content (by SHA-256), so a
//! logo's URL never changes meaning and can be cached for good.

use domain::Logo;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use sha2::{Digest, Sha256};

use crate::entity::{apps, media};
use crate::people::accounts::Account;
use crate::{Engine, EngineError, EngineResult};

/// A stored file, as it is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFile {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl Engine {
    /// Checks `bytes` as a logo and makes it the logo of the app's draft;
    /// returns the media id. The published version keeps its own logo
    /// until the next version is approved.
    pub async fn set_draft_logo(
        &self,
        account: &Account,
        slug: &str,
        bytes: &[u8],
    ) -> EngineResult<String> {
        let (app, _) = self.member_app(account, slug).await?;
        let logo = Logo::check(bytes).map_err(|e| EngineError::invalid("logo", e.to_string()))?;
        let id = hex::encode(Sha256::digest(bytes));
        let txn = self.begin_write().await?;
        if media::Entity::find_by_id(id.clone())
            .one(&txn)
            .await?
            .is_none()
        {
            media::ActiveModel {
                id: Set(id.clone()),
                content_type: Set(logo.kind.content_type().to_owned()),
                bytes: Set(bytes.to_vec()),
                created_at: Set(self.now()),
            }
            .insert(&txn)
            .await?;
        }
        let mut draft: apps::ActiveModel = app.into();
        draft.draft_logo_id = Set(Some(id.clone()));
        draft.updated_at = Set(self.now());
        draft.update(&txn).await?;
        txn.commit().await?;
        Ok(id)
    }

    /// Takes the uploaded logo off the app's draft.
    pub async fn remove_draft_logo(&self, account: &Account, slug: &str) -> EngineResult<()> {
        let (app, _) = self.member_app(account, slug).await?;
        let mut draft: apps::ActiveModel = app.into();
        draft.draft_logo_id = Set(None);
        draft.updated_at = Set(self.now());
        draft.update(self.db()).await?;
        Ok(())
    }

    /// A stored file by id.
    pub async fn media(&self, id: &str) -> EngineResult<MediaFile> {
        let not_found = || EngineError::not_found("No such file.");
        if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(not_found());
        }
        let row = media::Entity::find_by_id(id.to_owned())
            .one(self.db())
            .await?
            .ok_or_else(not_found)?;
        Ok(MediaFile {
            content_type: row.content_type,
            bytes: row.bytes,
        })
    }
}
