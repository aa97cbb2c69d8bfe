//! Talking to a server's registration API: RFC 7591 to register a client,
//! RFC 7592 to read, replace (a full PUT) and delete it. Every call follows
//! the server-side fetch rules, and every URL it is sent to must share the
//! issuer's origin. Each answer is sorted here into what the job does next.

use std::time::Duration;

use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use crate::platform::fetch::{exchange, Answer, FetchConfig, FetchError};

/// A client as the server described it in a 2xx answer.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    pub client_id: String,
    pub client_secret: Option<String>,
    pub registration_client_uri: Option<String>,
    /// RFC 7592: the token to manage the client with; servers may hand back
    /// a new one with any answer.
    pub registration_access_token: Option<String>,
    /// The whole answer, for drift checks.
    pub metadata: Value,
}

/// Why a call did not give what was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// No answer, 5xx or 429: worth trying again.
    Transient {
        message: String,
        retry_after: Option<Duration>,
        /// The request may have reached the server (its answer was lost).
        maybe_applied: bool,
        /// No HTTP answer at all (the server is down or unreachable).
        unreachable: bool,
    },
    /// The server refused the metadata (400 with an RFC 7591 code) or its
    /// policy refused the call (403): trying again changes nothing.
    Rejected {
        code: Option<String>,
        message: String,
    },
    /// 401 or 404 on a known client: the server does not know it (or the
    /// token) any more.
    Gone { message: String },
    /// 405 to a DELETE: the server does not let clients be deleted.
    DeleteNotAllowed,
    /// Sidecar's own rules stop the call (another origin, a private
    /// address, plain http, a redirect).
    Refused { message: String },
}

impl Failure {
    pub fn message(&self) -> String {
        match self {
            Self::Transient { message, .. }
            | Self::Rejected { message, .. }
            | Self::Gone { message }
            | Self::Refused { message } => message.clone(),
            Self::DeleteNotAllowed => {
                "the server does not allow clients to be deleted (HTTP 405)".into()
            }
        }
    }
}

/// What servers put in an error answer (RFC 7591 §3.2.2).
#[derive(Deserialize, Default)]
struct ErrorBody {
    error: Option<String>,
    error_description: Option<String>,
}

fn from_fetch(error: FetchError) -> Failure {
    match error {
        FetchError::Connect(_) | FetchError::Resolve(_) => Failure::Transient {
            message: error.to_string(),
            retry_after: None,
            maybe_applied: false,
            unreachable: true,
        },
        FetchError::Timeout(_) | FetchError::Unanswered(_) => Failure::Transient {
            message: error.to_string(),
            retry_after: None,
            maybe_applied: true,
            unreachable: true,
        },
        other => Failure::Refused {
            message: other.to_string(),
        },
    }
}

/// Sorts a non-2xx answer.
fn classify(answer: &Answer) -> Failure {
    let body: ErrorBody = serde_json::from_slice(&answer.body).unwrap_or_default();
    let said = match (&body.error, &body.error_description) {
        (Some(code), Some(text)) => format!("{code}: {text}"),
        (Some(code), None) => code.clone(),
        (None, Some(text)) => text.clone(),
        (None, None) => String::new(),
    };
    let status = answer.status;
    let message = if said.is_empty() {
        format!("the server answered HTTP {status}")
    } else {
        format!("the server answered HTTP {status} ({said})")
    };
    match status {
        429 | 500..=599 | 408 => Failure::Transient {
            message,
            retry_after: answer.retry_after,
            maybe_applied: false,
            unreachable: false,
        },
        401 | 404 => Failure::Gone { message },
        403 => Failure::Rejected {
            code: body.error.or(Some("forbidden".into())),
            message: format!("{message}: the server's policy refused it"),
        },
        _ => Failure::Rejected {
            code: body.error,
            message,
        },
    }
}

fn parse_client(answer: &Answer) -> Result<Client, Failure> {
    let metadata: Value = serde_json::from_slice(&answer.body).map_err(|e| Failure::Rejected {
        code: None,
        message: format!("the server's answer is not JSON: {e}"),
    })?;
    let text = |key: &str| metadata[key].as_str().map(str::to_owned);
    let client_id = text("client_id").ok_or_else(|| Failure::Rejected {
        code: None,
        message: "the server's answer names no client_id".into(),
    })?;
    Ok(Client {
        client_id,
        client_secret: text("client_secret"),
        registration_client_uri: text("registration_client_uri"),
        registration_access_token: text("registration_access_token"),
        metadata,
    })
}

/// `url` if it shares `issuer`'s origin; Sidecar sends its tokens nowhere else.
pub(crate) fn at_issuer(issuer: &Url, url: &str) -> Result<Url, Failure> {
    let refused = || {
        Failure::Refused {
        message: format!(
            "`{url}` is not on the issuer's origin ({}); Sidecar sends registrations and their tokens to the issuer's own host only",
            issuer.origin().ascii_serialization()
        ),
    }
    };
    let parsed = Url::parse(url).map_err(|_| refused())?;
    if parsed.origin() != issuer.origin() {
        return Err(refused());
    }
    Ok(parsed)
}

async fn call(
    fetch: &FetchConfig,
    method: Method,
    url: &Url,
    token: Option<&str>,
    body: Option<&Value>,
) -> Result<Answer, Failure> {
    exchange(fetch, method, url, token, body.map(Value::to_string))
        .await
        .map_err(from_fetch)
}

/// Registers a client (RFC 7591 §3).
pub(crate) async fn register(
    fetch: &FetchConfig,
    endpoint: &Url,
    initial_access_token: Option<&str>,
    metadata: &Value,
) -> Result<Client, Failure> {
    let answer = call(
        fetch,
        Method::POST,
        endpoint,
        initial_access_token,
        Some(metadata),
    )
    .await?;
    match answer.status {
        200 | 201 => parse_client(&answer),
        _ => Err(classify(&answer)),
    }
}

/// Reads a client (RFC 7592 §2.1).
pub(crate) async fn read(fetch: &FetchConfig, uri: &Url, token: &str) -> Result<Client, Failure> {
    let answer = call(fetch, Method::GET, uri, Some(token), None).await?;
    match answer.status {
        200 => parse_client(&answer),
        _ => Err(classify(&answer)),
    }
}

/// Replaces a client's metadata (RFC 7592 §2.2: every field, and the
/// client id).
pub(crate) async fn update(
    fetch: &FetchConfig,
    uri: &Url,
    token: &str,
    metadata: &Value,
) -> Result<Client, Failure> {
    let answer = call(fetch, Method::PUT, uri, Some(token), Some(metadata)).await?;
    match answer.status {
        200 => parse_client(&answer),
        _ => Err(classify(&answer)),
    }
}

/// Deletes a client (RFC 7592 §2.3). A client the server no longer knows
/// is deleted already.
pub(crate) async fn delete(fetch: &FetchConfig, uri: &Url, token: &str) -> Result<(), Failure> {
    let answer = call(fetch, Method::DELETE, uri, Some(token), None).await?;
    match answer.status {
        200 | 204 => Ok(()),
        405 => Err(Failure::DeleteNotAllowed),
        _ => match classify(&answer) {
            Failure::Gone { .. } => Ok(()),
            other => Err(other),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            retry_after: Some(Duration::from_secs(7)),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn answers_sort_into_what_happens_next() {
        assert!(matches!(
            classify(&answer(503, "")),
            Failure::Transient { retry_after: Some(d), .. } if d.as_secs() == 7
        ));
        assert!(matches!(
            classify(&answer(429, "")),
            Failure::Transient { .. }
        ));
        let refused = classify(&answer(
            400,
            r#"{"error":"invalid_client_metadata","error_description":"scope not allowed"}"#,
        ));
        assert_eq!(
            refused,
            Failure::Rejected {
                code: Some("invalid_client_metadata".into()),
                message:
                    "the server answered HTTP 400 (invalid_client_metadata: scope not allowed)"
                        .into()
            }
        );
        assert!(matches!(classify(&answer(401, "")), Failure::Gone { .. }));
        assert!(matches!(classify(&answer(404, "")), Failure::Gone { .. }));
        assert!(matches!(
            classify(&answer(403, "{}")),
            Failure::Rejected { code: Some(c), .. } if c == "forbidden"
        ));
    }

    #[test]
    fn management_urls_stay_on_the_issuers_origin() -> Result<(), url::ParseError> {
        let issuer = Url::parse("https://auth.example.org/realms/x")?;
        assert!(at_issuer(&issuer, "https://auth.example.org/reg/abc").is_ok());
        assert!(at_issuer(&issuer, "https://evil.example.org/reg/abc").is_err());
        assert!(at_issuer(&issuer, "http://auth.example.org/reg/abc").is_err());
        assert!(at_issuer(&issuer, "https://auth.example.org:8443/reg").is_err());
        Ok(())
    }
}
