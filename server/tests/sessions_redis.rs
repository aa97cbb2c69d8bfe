//! Sessions in Redis (what several replicas share). Run by
//! `scripts/test.sh` with `SIDECAR_TEST_REDIS_URL`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod support;

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
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("sidecar_session="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();

    // The sessions table stays empty: the session is in Redis.
    use sea_orm::{ConnectionTrait, Statement};
    let table = match app.engine.db().get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => "tower_sessions.session",
        _ => "tower_sessions",
    };
    let rows = app
        .engine
        .db()
        .query_all(Statement::from_string(
            app.engine.db().get_database_backend(),
            format!("SELECT id FROM {table}"),
        ))
        .await;
    assert!(rows.map(|r| r.is_empty()).unwrap_or(true));

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
}
