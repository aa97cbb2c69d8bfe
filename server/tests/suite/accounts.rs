//! Every account path through the real router, and its bad inputs.

use crate::support;

use chrono::Duration;
use reqwest::StatusCode;
use support::{spawn_app, token_in, PASSWORD};

#[tokio::test]
async fn a_new_account_signs_up_verifies_logs_in_and_out() {
    let app = spawn_app().await;
    let shown = app
        .submit(
            "/signup",
            &[("email", "Ada@Example.org"), ("password", PASSWORD)],
        )
        .await;
    shown.assert_contains("Check your inbox");

    let mail = app.wait_for_mail("ada@example.org", 1).await;
    assert!(mail.contains("Subject: Confirm your email for Sidecar"));
    let token = token_in(&mail, "/verify-email?token=");

    // Opening the link changes nothing: it shows a button that posts.
    let page = app.get(&format!("/verify-email?token={token}")).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("Confirm my email");
    app.post_form("/verify-email", &[("token", &token)])
        .await
        .assert_redirect("/login");
    app.get("/login")
        .await
        .assert_contains("Your email address is confirmed");

    app.log_in("ada@example.org", PASSWORD)
        .await
        .assert_redirect("/account");
    let account = app.get("/account").await;
    account.assert_contains("ada@example.org");
    assert!(app.is_logged_in().await);

    app.post_form("/logout", &[])
        .await
        .assert_redirect("/login");
    assert!(!app.is_logged_in().await);
}

#[tokio::test]
async fn a_malformed_email_is_refused_next_to_its_field_and_nothing_is_created() {
    let app = spawn_app().await;
    for email in ["", "ada", "ada@example", "ada@@example.org"] {
        let page = app
            .submit("/signup", &[("email", email), ("password", PASSWORD)])
            .await;
        assert!(
            page.body.contains("field-email-error"),
            "{email:?}: {}",
            page.body
        );
    }
    assert_eq!(app.user_count().await, 0);
}

#[tokio::test]
async fn weak_passwords_are_refused_with_the_reason() {
    let app = spawn_app().await;
    let page = app
        .submit(
            "/signup",
            &[("email", "ada@example.org"), ("password", "short")],
        )
        .await;
    page.assert_contains("Use at least 8 characters.");
    page.assert_contains("value=\"ada@example.org\"");
    let page = app
        .submit(
            "/signup",
            &[("email", "ada@example.org"), ("password", "password1")],
        )
        .await;
    page.assert_contains("too common");
    let long = "x".repeat(129);
    app.submit(
        "/signup",
        &[("email", "ada@example.org"), ("password", &long)],
    )
    .await
    .assert_contains("Use at most 128 characters.");
    assert_eq!(app.user_count().await, 0);
}

#[tokio::test]
async fn signing_up_with_a_taken_email_answers_the_same_and_mails_the_owner() {
    let app = spawn_app().await;
    app.verified_user("ada@example.org", PASSWORD).await;
    let again = app
        .post_form(
            "/signup",
            &[
                ("email", "ada@example.org"),
                ("password", "another fine phrase"),
            ],
        )
        .await;
    again.assert_redirect("/login");
    app.get("/login").await.assert_contains("Check your inbox");
    let mail = app.wait_for_mail("ada@example.org", 2).await;
    assert!(mail.contains("already has one"), "{mail}");
    assert_eq!(app.user_count().await, 1);
    // The original password still works: nothing changed.
    app.log_in("ada@example.org", PASSWORD)
        .await
        .assert_redirect("/account");
}

#[tokio::test]
async fn wrong_passwords_and_unknown_emails_get_the_same_answer() {
    let app = spawn_app().await;
    app.verified_user("ada@example.org", PASSWORD).await;
    app.log_in("ada@example.org", "not the password")
        .await
        .assert_redirect("/login");
    let wrong = app.get("/login").await;
    app.log_in("nobody@example.org", "not the password")
        .await
        .assert_redirect("/login");
    let unknown = app.get("/login").await;
    wrong.assert_contains("Email or password is incorrect.");
    unknown.assert_contains("Email or password is incorrect.");
    assert!(!app.is_logged_in().await);
}

#[tokio::test]
async fn an_unverified_account_cannot_log_in_and_gets_a_new_link() {
    let app = spawn_app().await;
    app.submit(
        "/signup",
        &[("email", "ada@example.org"), ("password", PASSWORD)],
    )
    .await;
    app.wait_for_mail("ada@example.org", 1).await;
    let page = app
        .submit(
            "/login",
            &[("email", "ada@example.org"), ("password", PASSWORD)],
        )
        .await;
    page.assert_contains("Confirm your email address first");
    app.wait_for_mail("ada@example.org", 2).await;
    assert!(!app.is_logged_in().await);
}

#[tokio::test]
async fn verification_links_are_single_use_and_expire() {
    let app = spawn_app().await;
    app.verified_user("ada@example.org", PASSWORD).await;
    let token = token_in(&app.mails_to("ada@example.org")[0], "/verify-email?token=");
    let reused = app.submit("/verify-email", &[("token", &token)]).await;
    reused.assert_contains("invalid, has expired or was already used");

    app.submit(
        "/signup",
        &[("email", "bob@example.org"), ("password", PASSWORD)],
    )
    .await;
    let token = token_in(
        &app.wait_for_mail("bob@example.org", 1).await,
        "/verify-email?token=",
    );
    app.clock.advance(Duration::hours(25));
    app.submit("/verify-email", &[("token", &token)])
        .await
        .assert_contains("invalid, has expired or was already used");
    app.submit("/verify-email", &[("token", "made-up")])
        .await
        .assert_contains("invalid, has expired or was already used");
}

#[tokio::test]
async fn a_password_reset_changes_the_password_once_and_ends_other_sessions() {
    let app = spawn_app().await;
    app.verified_user("ada@example.org", PASSWORD).await;
    app.log_in("ada@example.org", PASSWORD)
        .await
        .assert_redirect("/account");
    let other_browser = app.other_browser();
    other_browser
        .log_in("ada@example.org", PASSWORD)
        .await
        .assert_redirect("/account");

    app.submit("/forgot-password", &[("email", "ada@example.org")])
        .await
        .assert_contains("If an account exists for ada@example.org");
    let mail = app.wait_for_mail("ada@example.org", 2).await;
    let token = token_in(&mail, "/reset-password?token=");
    app.get(&format!("/reset-password?token={token}"))
        .await
        .assert_contains("Set new password");

    // A weak new password is refused and the link stays usable.
    let page = app
        .submit(
            "/reset-password",
            &[("token", &token), ("password", "12345678")],
        )
        .await;
    page.assert_contains("too common");
    page.assert_contains("Set new password");

    app.submit(
        "/reset-password",
        &[("token", &token), ("password", "brand new phrase here")],
    )
    .await
    .assert_contains("Your password is changed");
    app.submit(
        "/reset-password",
        &[("token", &token), ("password", "yet another phrase")],
    )
    .await
    .assert_contains("invalid, has expired or was already used");

    app.log_in("ada@example.org", PASSWORD)
        .await
        .assert_redirect("/login");
    app.log_in("ada@example.org", "brand new phrase here")
        .await
        .assert_redirect("/account");
    assert!(
        !other_browser.is_logged_in().await,
        "a reset ends sessions elsewhere"
    );
}

#[tokio::test]
async fn a_reset_for_an_unknown_email_answers_the_same_and_sends_nothing() {
    let app = spawn_app().await;
    app.submit("/forgot-password", &[("email", "nobody@example.org")])
        .await
        .assert_contains("If an account exists for nobody@example.org");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(app.mails_to("nobody@example.org").is_empty());
    app.submit("/forgot-password", &[("email", "not-an-email")])
        .await
        .assert_contains("field-email-error");
}

#[tokio::test]
async fn reset_links_expire_after_an_hour() {
    let app = spawn_app().await;
    app.verified_user("ada@example.org", PASSWORD).await;
    app.submit("/forgot-password", &[("email", "ada@example.org")])
        .await;
    let token = token_in(
        &app.wait_for_mail("ada@example.org", 2).await,
        "/reset-password?token=",
    );
    app.clock.advance(Duration::minutes(61));
    app.get(&format!("/reset-password?token={token}"))
        .await
        .assert_contains("This reset link is invalid");
    app.submit(
        "/reset-password",
        &[("token", &token), ("password", "brand new phrase here")],
    )
    .await
    .assert_contains("This reset link is invalid");
    app.log_in("ada@example.org", PASSWORD)
        .await
        .assert_redirect("/account");
}

#[tokio::test]
async fn posts_without_our_origin_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let fields = [("email", "ada@example.org"), ("password", PASSWORD)];
    let missing = app.post_form_with_origin("/signup", &fields, None).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    assert!(missing.body.contains("refused to protect your account"));
    let foreign = app
        .post_form_with_origin("/signup", &fields, Some("https://evil.example"))
        .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    assert_eq!(app.user_count().await, 0);
}

#[tokio::test]
async fn get_requests_change_no_state() {
    let app = spawn_app().await;
    app.verified_user("ada@example.org", PASSWORD).await;
    app.log_in("ada@example.org", PASSWORD)
        .await
        .assert_redirect("/account");
    let page = app.get("/logout").await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("Log out of Sidecar?");
    assert!(app.is_logged_in().await, "GET /logout must not log out");
}

#[tokio::test]
async fn failed_logins_are_throttled_with_429_and_retry_after() {
    let app = spawn_app().await;
    app.verified_user("ada@example.org", PASSWORD).await;
    for _ in 0..5 {
        app.log_in("ada@example.org", "wrong password!")
            .await
            .assert_redirect("/login");
    }
    let throttled = app.log_in("ada@example.org", PASSWORD).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = throttled.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    throttled.assert_contains("Too many failed attempts");
    assert!(
        !app.is_logged_in().await,
        "the right password does not get through while throttled"
    );

    // Each further failure doubles the wait.
    app.clock.advance(Duration::seconds(retry_after as i64));
    app.log_in("ada@example.org", "wrong again!!")
        .await
        .assert_redirect("/login");
    let second = app.log_in("ada@example.org", PASSWORD).await;
    assert_eq!(second.status, StatusCode::TOO_MANY_REQUESTS);
    let second_wait: u64 = second.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        second_wait > retry_after,
        "{second_wait} should exceed {retry_after}"
    );

    app.clock.advance(Duration::seconds(second_wait as i64));
    app.log_in("ada@example.org", PASSWORD)
        .await
        .assert_redirect("/account");
}

#[tokio::test]
async fn failures_from_one_address_are_throttled_across_accounts() {
    let app = spawn_app().await;
    app.verified_user("ada@example.org", PASSWORD).await;
    // Twenty failures on twenty different accounts: each account is fine,
    // but the address is now slowed down, even for a correct password.
    for n in 0..20 {
        app.log_in(&format!("guess{n}@example.org"), "wrong password!")
            .await
            .assert_redirect("/login");
    }
    let throttled = app.log_in("ada@example.org", PASSWORD).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.headers.contains_key("retry-after"));
    app.clock.advance(Duration::seconds(2));
    app.log_in("ada@example.org", PASSWORD)
        .await
        .assert_redirect("/account");
}

#[tokio::test]
async fn an_idle_session_expires_after_30_minutes() {
    let app = spawn_app().await;
    app.verified_user("ada@example.org", PASSWORD).await;
    app.log_in("ada@example.org", PASSWORD)
        .await
        .assert_redirect("/account");
    app.clock.advance(Duration::minutes(29));
    assert!(app.is_logged_in().await);
    app.clock.advance(Duration::minutes(29));
    assert!(app.is_logged_in().await, "activity keeps the session alive");
    app.clock.advance(Duration::minutes(31));
    assert!(!app.is_logged_in().await);
}

#[tokio::test]
async fn an_active_session_still_ends_after_12_hours() {
    let app = spawn_app().await;
    app.verified_user("ada@example.org", PASSWORD).await;
    app.log_in("ada@example.org", PASSWORD)
        .await
        .assert_redirect("/account");
    for _ in 0..35 {
        app.clock.advance(Duration::minutes(20));
        assert!(app.is_logged_in().await);
    }
    app.clock.advance(Duration::minutes(20));
    assert!(
        !app.is_logged_in().await,
        "12 h after sign-in the session ends"
    );
}

#[tokio::test]
async fn the_session_id_changes_at_login_and_dies_at_logout() {
    let app = spawn_app().await;
    app.verified_user("ada@example.org", PASSWORD).await;
    // A failed attempt leaves a session (it carries the error message).
    let failed = app.log_in("ada@example.org", "not the password").await;
    let before = failed.session_cookie().expect("a session before login");
    let login = app.log_in("ada@example.org", PASSWORD).await;
    let cookie = login.session_cookie().expect("a session cookie at login");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    let value = cookie.split(';').next().unwrap().to_owned();
    assert_ne!(
        before.split(';').next().unwrap(),
        value,
        "login must issue a new session id"
    );

    // Replaying the old cookie after logout gets nowhere: the session is gone
    // server-side, and what the logout stores (its message) has a new id.
    let logout = app.post_form("/logout", &[]).await;
    let after = logout
        .session_cookie()
        .expect("the logout message's session");
    assert_ne!(
        after.split(';').next().unwrap(),
        value,
        "the old id is never reused"
    );
    let replay = reqwest::Client::new()
        .get(app.url("/account"))
        .header("cookie", value)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(replay.contains("You are not logged in"));
}

#[tokio::test]
async fn behind_https_the_cookie_is_secure_and_host_prefixed() {
    let app = support::spawn_app_with(support::Options {
        public_url: Some("https://sidecar.example.org".into()),
        ..Default::default()
    })
    .await;
    let page = app
        .post_form_with_origin(
            "/login",
            &[("email", "ada@example.org"), ("password", "x")],
            Some("https://sidecar.example.org"),
        )
        .await;
    let cookie = page
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .next()
        .expect("cookie")
        .to_owned();
    assert!(cookie.starts_with("__Host-sidecar="), "{cookie}");
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(page.headers.contains_key("strict-transport-security"));
}

#[tokio::test]
async fn pages_carry_security_headers() {
    let app = spawn_app().await;
    let page = app.get("/login").await;
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("'nonce-"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(page.headers["x-content-type-options"], "nosniff");
    assert_eq!(page.headers["referrer-policy"], "same-origin");
    assert!(page.headers.contains_key("x-request-id"));
}

#[tokio::test]
async fn an_unknown_page_is_a_404_with_a_way_home() {
    let app = spawn_app().await;
    let page = app.get("/no/such/page").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    page.assert_contains("Page not found");
}
