//! Uploaded logos: served by content hash, uploaded from the developer
//! console as a multipart form (which works without JavaScript).

use app::session::CurrentAccount;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use domain::MAX_LOGO_BYTES;
use engine::EngineError;
use tower_sessions::Session;

use super::forms::{answer, Post};
use super::AppState;

/// `GET /media/{id}`: the file, cacheable for good (the id is its hash).
pub async fn serve(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.engine.media(&id).await {
        Ok(file) => (
            [
                (header::CONTENT_TYPE, file.content_type),
                (
                    header::CACHE_CONTROL,
                    "public, max-age=31536000, immutable".to_owned(),
                ),
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; sandbox".to_owned(),
                ),
            ],
            file.bytes,
        )
            .into_response(),
        Err(EngineError::NotFound(message)) => (StatusCode::NOT_FOUND, message).into_response(),
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "serving media failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The `logo` file of a multipart form, read up to one byte past the limit
/// so that an oversized file is refused by size, not cut short.
async fn logo_field(request: Request, state: &AppState) -> Result<Vec<u8>, EngineError> {
    let unreadable = || {
        EngineError::invalid(
            "logo",
            "The upload could not be read; choose the file again.",
        )
    };
    let too_large = || EngineError::invalid("logo", "The logo is larger than 256 KB.");
    let mut form = Multipart::from_request(request, state)
        .await
        .map_err(|_| unreadable())?;
    while let Some(mut field) = form.next_field().await.map_err(|_| too_large())? {
        if field.name() != Some("logo") {
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|_| too_large())? {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > MAX_LOGO_BYTES {
                return Err(too_large());
            }
        }
        return Ok(bytes);
    }
    Err(EngineError::invalid(
        "logo",
        "Choose an image file for the logo.",
    ))
}

/// `POST /dev/apps/{slug}/logo` (multipart, field `logo`).
pub async fn upload_logo(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    request: Request,
) -> Response {
    let account = request
        .extensions()
        .get::<CurrentAccount>()
        .and_then(|current| current.0.clone());
    let Some(account) = account else {
        return Redirect::to("/login?next=/dev").into_response();
    };
    let result = match logo_field(request, &state).await {
        Ok(bytes) => state.engine.set_draft_logo(&account, &slug, &bytes).await,
        Err(e) => Err(e),
    };
    answer(
        &session,
        "dev-app",
        result,
        "Logo uploaded to the draft. It goes live with the next approved version.",
        &format!("/dev/apps/{slug}"),
    )
    .await
}

/// `POST /dev/apps/{slug}/logo/remove`.
pub async fn remove_logo(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    request: Request,
) -> Response {
    let post = Post::read(request).await;
    let Some(account) = post.account() else {
        return Redirect::to("/login?next=/dev").into_response();
    };
    let result = state.engine.remove_draft_logo(&account, &slug).await;
    answer(
        &session,
        "dev-app",
        result,
        "Logo removed from the draft.",
        &format!("/dev/apps/{slug}"),
    )
    .await
}
