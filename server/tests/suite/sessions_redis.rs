//! Sessions in Redis (what several replicas share). Run by
//! `scripts/test.sh` with `SIDECAR_TEST_REDIS_URL`.

use crate::support;

use support::{spawn_app_with, Options, PASSWORD};

#[tokio::test]
#[ignore = "needs Redis; scripts/test.sh runs it with SIDECAR_TEST_REDIS_URL"]
async fn sessions_live_in_redis_and_logout_deletes_them() {
    let redis = std::env::var("SIDECAR_TEST_REDIS_URL").expect("SIDECAR_TEST_REDIS_URL");
    let app = spawn_app_with(Options {
        redis_url: Some(redis.clone()),
        ..Default::default()
    })
    .await;
    app.verified_user("ada@example.org", PASSWORD).await;
    let login = app.log_in("ada@example.org", PASSWORD).await;
    login.assert_redirect("/account");
    assert!(app.is_logged_in().await);
    let cookie = login
        .session_cookie()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let id = cookie.trim_start_matches("sidecar_session=").to_owned();

    // The session is a key in Redis (the store keys records by session id).
    assert_eq!(
        redis_exists(&redis, &id).await,
        1,
        "the session is stored in Redis"
    );

    // Logging out deletes it from Redis: the cookie no longer works anywhere.
    app.post_form("/logout", &[])
        .await
        .assert_redirect("/login");
    let replay = reqwest::Client::new()
        .get(app.url("/account"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(replay.contains("You are not logged in"));
    assert_eq!(redis_exists(&redis, &id).await, 0, "logout deletes the key");
}

/// `EXISTS key` over Redis's own protocol (RESP), answering 0 or 1.
async fn redis_exists(url: &str, key: &str) -> i64 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = url.trim_start_matches("redis://").trim_end_matches('/');
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect to Redis");
    let command = format!("*2\r\n$6\r\nEXISTS\r\n${}\r\n{key}\r\n", key.len());
    stream.write_all(command.as_bytes()).await.unwrap();
    let mut reply = [0u8; 64];
    let n = stream.read(&mut reply).await.unwrap();
    let text = std::str::from_utf8(&reply[..n]).unwrap();
    text.trim()
        .trim_start_matches(':')
        .parse()
        .unwrap_or_else(|_| panic!("unexpected Redis reply {text:?}"))
}
