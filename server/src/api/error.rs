//! The API's error body: `{"error": code, "message": text, "field": name?}`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use engine::EngineError;
use serde::Serialize;

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<&'static str>,
    retry_after: Option<u64>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// The same error, naming the member `to` where it named `from`.
    pub fn with_field_renamed(mut self, from: &str, to: &'static str) -> Self {
        if self.field == Some(from) {
            self.field = Some(to);
        }
        self
    }

    /// `422`: the request member `field` is wrong, as `message` says.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        let mut error = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message);
        error.field = Some(field);
        error
    }
}

impl From<EngineError> for ApiError {
    fn from(err: EngineError) -> Self {
        let field = err.field();
        let mut api = match &err {
            EngineError::Invalid { message, .. } => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message.clone())
            }
            EngineError::Unauthenticated(m) => Self::unauthenticated(m.clone()),
            EngineError::Forbidden(m) => Self::new(StatusCode::FORBIDDEN, "forbidden", m.clone()),
            EngineError::NotFound(m) => Self::not_found(m.clone()),
            EngineError::Conflict { message, .. } => {
                Self::new(StatusCode::CONFLICT, "conflict", message.clone())
            }
            EngineError::Throttled { retry_after_secs } => {
                let mut e = Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    err.to_string(),
                );
                e.retry_after = Some(*retry_after_secs);
                e
            }
            EngineError::Unexpected(inner) => {
                tracing::error!(error = %format!("{inner:#}"), "API request failed");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Something went wrong on our side. Try again later.",
                )
            }
        };
        api.field = field;
        api
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: self.code,
            message: &self.message,
            field: self.field,
        };
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"sidecar\""),
            );
        }
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
