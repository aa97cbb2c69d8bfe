//! Mail through a real SMTP server (aiosmtpd), including an outage.
//! Run by `scripts/test.sh`, which installs aiosmtpd.

use crate::support;

use chrono::Duration;
use support::smtp::{free_port, SmtpSink};
use support::{spawn_app_with, token_in, Options, PASSWORD};

#[tokio::test]
#[ignore = "needs Python's aiosmtpd; scripts/test.sh runs it"]
async fn the_verification_mail_arrives_over_smtp_and_its_link_works() {
    let sink = SmtpSink::start(0).await;
    let app = spawn_app_with(Options {
        smtp_url: Some(sink.url()),
        ..Default::default()
    })
    .await;
    app.submit(
        "/signup",
        &[("email", "ada@example.org"), ("password", PASSWORD)],
    )
    .await
    .assert_contains("Check your inbox");
    let mail = sink.wait_for_message("ada@example.org").await;
    assert!(
        mail.contains("Subject: Confirm your email for Sidecar"),
        "{mail}"
    );
    assert!(
        mail.contains(&format!("{}/verify-email?token=", app.base)),
        "links point at PUBLIC_URL: {mail}"
    );
    let token = token_in(&mail, "/verify-email?token=");
    app.post_form("/verify-email", &[("token", &token)])
        .await
        .assert_redirect("/login");
    app.log_in("ada@example.org", PASSWORD)
        .await
        .assert_redirect("/account");
    assert!(
        app.mails_to("ada@example.org").is_empty(),
        "with SMTP, nothing is written to files"
    );
    sink.stop().await;
}

#[tokio::test]
#[ignore = "needs Python's aiosmtpd; scripts/test.sh runs it"]
async fn mail_queued_during_an_smtp_outage_is_delivered_when_it_recovers() {
    let port = free_port();
    let app = spawn_app_with(Options {
        smtp_url: Some(format!("smtp://127.0.0.1:{port}")),
        ..Default::default()
    })
    .await;
    app.submit(
        "/signup",
        &[("email", "ada@example.org"), ("password", PASSWORD)],
    )
    .await;

    // Nothing listens: the attempt fails and the mail stays queued.
    use sea_orm::EntityTrait;
    let mut failed = None;
    for _ in 0..100 {
        let rows = engine::entity::mail_outbox::Entity::find()
            .all(app.engine.db())
            .await
            .unwrap();
        if let Some(row) = rows.into_iter().find(|r| r.attempts > 0) {
            failed = Some(row);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let failed = failed.expect("a failed delivery attempt");
    assert!(failed.sent_at.is_none());
    assert!(failed.last_error.is_some());

    let sink = SmtpSink::start(port).await;
    app.clock.advance(Duration::minutes(5));
    app.engine.wake_mail_worker();
    let mail = sink.wait_for_message("ada@example.org").await;
    assert!(mail.contains("/verify-email?token="));
    sink.stop().await;
}
