//! Fetching developer-supplied URLs from the server (a `jwks_uri`), so
//! that a registration cannot turn Sidecar into a probe of its own network:
//! the host is resolved first and every address must be public (unless the
//! development setting allows private ones), the connection goes to the
//! address that was checked (no second lookup to rebind), redirects are not
//! followed, and the answer is bounded in time and size.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use url::{Host, Url};

#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// Development only: lets fetches reach loopback and private networks.
    pub allow_private: bool,
    pub timeout: Duration,
    pub max_bytes: usize,
    /// Extra trusted CA certificates (PEM), for an organisation's own CA.
    pub extra_roots_pem: Option<Vec<u8>>,
}

impl Default for FetchConfig {
    fn default() -> Self {
        Self {
            allow_private: false,
            timeout: Duration::from_secs(5),
            max_bytes: 64 * 1024,
            extra_roots_pem: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("the URL has no host Sidecar can reach")]
    NoHost,
    #[error("only https URLs are fetched")]
    NotHttps,
    #[error("the host `{0}` did not resolve")]
    Resolve(String),
    #[error("the host resolves to {0}, a private, loopback or link-local address; Sidecar only fetches from public addresses")]
    PrivateAddress(IpAddr),
    #[error("could not connect: {0}")]
    Connect(String),
    #[error("no answer within {0} seconds")]
    Timeout(u64),
    /// The request may have reached the server; its answer did not arrive.
    #[error("the connection broke before the answer: {0}")]
    Unanswered(String),
    #[error(
        "it answered with a redirect; Sidecar does not follow redirects, so register the final URL"
    )]
    Redirect,
    #[error("it answered with HTTP status {0}")]
    Status(u16),
    #[error("the answer is larger than {0} bytes")]
    TooLarge(usize),
}

/// Is `ip` on the public internet? Loopback, private (RFC 1918, unique
/// local), link-local, shared (CGNAT), documentation, benchmarking,
/// multicast, broadcast and reserved ranges are not; neither is an IPv6
/// address that embeds such an IPv4 address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let segments = ip.segments();
    // NAT64 (64:ff9b::/96) carries an IPv4 address in its last 32 bits.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., hi, lo] = segments;
        return is_public_v4(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo)));
    }
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00
        || (segments[0] & 0xffc0) == 0xfe80
        || (segments[0] == 0x2001 && segments[1] == 0x0db8)
        // Old IPv4-compatible addresses (::a.b.c.d).
        || segments[..6] == [0; 6])
}

/// The addresses of `url`'s host, each checked.
async fn checked_addresses(
    config: &FetchConfig,
    url: &Url,
) -> Result<(String, Vec<SocketAddr>), FetchError> {
    let port = url.port_or_known_default().ok_or(FetchError::NoHost)?;
    let (name, addrs) = match url.host().ok_or(FetchError::NoHost)? {
        Host::Ipv4(ip) => (ip.to_string(), vec![SocketAddr::new(IpAddr::V4(ip), port)]),
        Host::Ipv6(ip) => (ip.to_string(), vec![SocketAddr::new(IpAddr::V6(ip), port)]),
        Host::Domain(domain) => {
            let found =
                tokio::time::timeout(config.timeout, tokio::net::lookup_host((domain, port)))
                    .await
                    .map_err(|_| FetchError::Timeout(config.timeout.as_secs()))?
                    .map_err(|_| FetchError::Resolve(domain.to_owned()))?
                    .collect::<Vec<_>>();
            (domain.to_owned(), found)
        }
    };
    if addrs.is_empty() {
        return Err(FetchError::Resolve(name));
    }
    if !config.allow_private {
        if let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
            return Err(FetchError::PrivateAddress(bad.ip()));
        }
    }
    Ok((name, addrs))
}

/// A client that may reach `url` under the rules above: its host checked,
/// and pinned to the checked addresses.
async fn client_for(config: &FetchConfig, url: &Url) -> Result<reqwest::Client, FetchError> {
    // Plain http only with the development setting (a local server).
    if url.scheme() != "https" && !(config.allow_private && url.scheme() == "http") {
        return Err(FetchError::NotHttps);
    }
    let (host, addrs) = checked_addresses(config, url).await?;
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(config.timeout)
        .connect_timeout(config.timeout)
        .no_proxy()
        .user_agent(concat!("Sidecar/", env!("CARGO_PKG_VERSION")));
    if let Host::Domain(_) = url.host().ok_or(FetchError::NoHost)? {
        builder = builder.resolve_to_addrs(&host, &addrs);
    }
    if let Some(pem) = &config.extra_roots_pem {
        for cert in reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| FetchError::Connect(format!("the extra CA certificates: {e}")))?
        {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder
        .build()
        .map_err(|e| FetchError::Connect(e.to_string()))
}

fn send_error(config: &FetchConfig, e: &reqwest::Error) -> FetchError {
    if e.is_connect() {
        FetchError::Connect(without_url(e))
    } else if e.is_timeout() {
        FetchError::Timeout(config.timeout.as_secs())
    } else {
        FetchError::Unanswered(without_url(e))
    }
}

/// Posts `body` (JSON) with `headers` to `url` under the rules above;
/// the answer's status, which the caller judges (a redirect is an error).
pub async fn post_json(
    config: &FetchConfig,
    url: &Url,
    headers: &[(&str, String)],
    body: String,
) -> Result<u16, FetchError> {
    let client = client_for(config, url).await?;
    let mut request = client
        .post(url.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.map_err(|e| send_error(config, &e))?;
    let status = response.status();
    if status.is_redirection() {
        return Err(FetchError::Redirect);
    }
    Ok(status.as_u16())
}

/// The body at `url`, under the rules above.
pub async fn fetch(config: &FetchConfig, url: &Url) -> Result<Vec<u8>, FetchError> {
    Ok(fetch_with_cache_control(config, url).await?.body)
}

/// A fetched body and what its answer said about keeping it.
pub struct Fetched {
    pub body: Vec<u8>,
    /// The `Cache-Control` header, if any.
    pub cache_control: Option<String>,
}

/// [`fetch`], with the answer's `Cache-Control`.
pub async fn fetch_with_cache_control(
    config: &FetchConfig,
    url: &Url,
) -> Result<Fetched, FetchError> {
    let client = client_for(config, url).await?;
    let mut response = client
        .get(url.clone())
        .header(
            reqwest::header::ACCEPT,
            "application/jwk-set+json, application/json",
        )
        .send()
        .await
        .map_err(|e| send_error(config, &e))?;
    let status = response.status();
    if status.is_redirection() {
        return Err(FetchError::Redirect);
    }
    if !status.is_success() {
        return Err(FetchError::Status(status.as_u16()));
    }
    let cache_control = response
        .headers()
        .get(reqwest::header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Ok(Fetched {
        body: read_bounded(config, &mut response).await?,
        cache_control,
    })
}

/// The body of `response`, at most `config.max_bytes` of it.
async fn read_bounded(
    config: &FetchConfig,
    response: &mut reqwest::Response,
) -> Result<Vec<u8>, FetchError> {
    if response
        .content_length()
        .is_some_and(|n| n > config.max_bytes as u64)
    {
        return Err(FetchError::TooLarge(config.max_bytes));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| send_error(config, &e))? {
        if body.len() + chunk.len() > config.max_bytes {
            return Err(FetchError::TooLarge(config.max_bytes));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// An answer to [`exchange`], whatever its status.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    /// What `Retry-After` asked for (seconds, or an HTTP date from now).
    pub retry_after: Option<Duration>,
    pub body: Vec<u8>,
}

/// A JSON request to another server's API under the rules above: `method`
/// on `url`, with a bearer token and a body when given. Every status is an
/// answer for the caller to judge, except a redirect, which is an error.
pub async fn exchange(
    config: &FetchConfig,
    method: reqwest::Method,
    url: &Url,
    bearer: Option<&str>,
    body: Option<String>,
) -> Result<Answer, FetchError> {
    let client = client_for(config, url).await?;
    let mut request = client
        .request(method, url.clone())
        .header(reqwest::header::ACCEPT, "application/json");
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
    }
    let mut response = request.send().await.map_err(|e| send_error(config, &e))?;
    let status = response.status();
    if status.is_redirection() {
        return Err(FetchError::Redirect);
    }
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| retry_after(v, chrono::Utc::now()));
    Ok(Answer {
        status: status.as_u16(),
        retry_after,
        body: read_bounded(config, &mut response).await?,
    })
}

/// A `Retry-After` value (RFC 9110 §10.2.3) as a wait from `now`.
pub fn retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (at.with_timezone(&chrono::Utc) - now)
            .to_std()
            .unwrap_or_default(),
    )
}

/// What went wrong underneath reqwest's "error sending request for url".
fn without_url(e: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "::127.0.0.1",
        ] {
            let ip: IpAddr = private.parse().unwrap();
            assert!(!is_public(ip), "{private} counted as public");
        }
        for public in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            let ip: IpAddr = public.parse().unwrap();
            assert!(is_public(ip), "{public} counted as private");
        }
    }

    #[test]
    fn retry_after_takes_seconds_and_dates() -> Result<(), chrono::ParseError> {
        let now = chrono::DateTime::parse_from_rfc3339("2015-10-21T07:27:00Z")?
            .with_timezone(&chrono::Utc);
        assert_eq!(retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(retry_after("soon", now), None);
        Ok(())
    }

    #[tokio::test]
    async fn loopback_is_refused_before_any_connection() {
        let url = Url::parse("https://127.0.0.1:9/jwks.json").unwrap();
        let err = fetch(&FetchConfig::default(), &url).await.unwrap_err();
        assert_eq!(
            err,
            FetchError::PrivateAddress("127.0.0.1".parse().unwrap())
        );
        let url = Url::parse("https://localhost:9/jwks.json").unwrap();
        assert!(matches!(
            fetch(&FetchConfig::default(), &url).await,
            Err(FetchError::PrivateAddress(_))
        ));
    }
}
