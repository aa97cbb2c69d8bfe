//! Server-side fetches against real loopback servers (allowed here by the
//! development setting), answering with raw HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use engine::platform::fetch::{fetch, FetchConfig, FetchError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;

/// A server that answers every connection with `response`.
async fn serve(response: Vec<u8>) -> Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let response = response.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let _ = socket.write_all(&response).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    Url::parse(&format!("http://{addr}/jwks.json")).unwrap()
}

fn http(status: &str, headers: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n{headers}\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

fn development() -> FetchConfig {
    FetchConfig {
        allow_private: true,
        timeout: Duration::from_secs(2),
        ..FetchConfig::default()
    }
}

#[tokio::test]
async fn fetches_a_body() {
    let url = serve(http(
        "200 OK",
        "content-type: application/json\r\n",
        br#"{"keys":[]}"#,
    ))
    .await;
    assert_eq!(
        fetch(&development(), &url).await.unwrap(),
        br#"{"keys":[]}"#
    );
}

#[tokio::test]
async fn loopback_needs_the_development_setting() {
    let url = serve(http("200 OK", "", b"{}")).await;
    let production = FetchConfig::default();
    // Plain http is refused first; the address rule covers https too.
    assert_eq!(fetch(&production, &url).await, Err(FetchError::NotHttps));
    let mut https = url.clone();
    https.set_scheme("https").unwrap();
    assert!(matches!(
        fetch(&production, &https).await,
        Err(FetchError::PrivateAddress(_))
    ));
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let url = serve(http(
        "302 Found",
        "location: http://169.254.169.254/latest/meta-data/\r\n",
        b"",
    ))
    .await;
    assert_eq!(fetch(&development(), &url).await, Err(FetchError::Redirect));
}

#[tokio::test]
async fn errors_and_oversized_answers_are_refused() {
    let url = serve(http("404 Not Found", "", b"no")).await;
    assert_eq!(
        fetch(&development(), &url).await,
        Err(FetchError::Status(404))
    );
    let big = vec![b' '; 64 * 1024 + 1];
    let url = serve(http("200 OK", "", &big)).await;
    assert_eq!(
        fetch(&development(), &url).await,
        Err(FetchError::TooLarge(64 * 1024))
    );
    // Without a length up front, the limit holds while reading.
    let mut chunked =
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n".to_vec();
    for _ in 0..20 {
        chunked.extend_from_slice(format!("{:x}\r\n", 4096).as_bytes());
        chunked.extend_from_slice(&[b'x'; 4096]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let url = serve(chunked).await;
    assert_eq!(
        fetch(&development(), &url).await,
        Err(FetchError::TooLarge(64 * 1024))
    );
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let config = FetchConfig {
        timeout: Duration::from_millis(300),
        ..development()
    };
    let url = Url::parse(&format!("http://{addr}/jwks.json")).unwrap();
    assert!(matches!(
        fetch(&config, &url).await,
        Err(FetchError::Timeout(_))
    ));
}
