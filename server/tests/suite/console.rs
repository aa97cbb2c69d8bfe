//! The developer console and review forms: the same engine rules as the
//! API, shown next to the field.

use crate::support;

use domain::PlatformRole;
use reqwest::StatusCode;
use serde_json::json;
use support::{spawn_app, TestApp, PASSWORD};

fn manifest(redirect: &str) -> String {
    json!({
        "client_name": "Sleep Diary",
        "redirect_uris": [redirect],
        "scope": "openid launch/patient patient/Observation.rs",
        "launch_types": ["standalone"],
        "fhir_versions": ["4.0.1"]
    })
    .to_string()
}

async fn developer(app: &TestApp) {
    let dev = app
        .engine
        .create_verified_user("dev@example.org", PASSWORD, None)
        .await
        .unwrap();
    app.engine
        .create_publisher(&dev, "acme", "Acme Health Apps")
        .await
        .unwrap();
    app.log_in("dev@example.org", PASSWORD)
        .await
        .assert_redirect("/account");
}

#[tokio::test]
async fn a_developer_registers_edits_and_submits_an_app() {
    let app = spawn_app().await;
    developer(&app).await;
    let posted = app
        .post_form(
            "/dev/apps",
            &[
                ("publisher", "acme"),
                ("manifest", &manifest("https://sleep.example.org/cb")),
            ],
        )
        .await;
    posted.assert_redirect("/dev/apps/sleep-diary");
    let page = app.get("/dev/apps/sleep-diary").await;
    page.assert_contains("App registered.");
    page.assert_contains("Submit draft for review");

    app.submit(
        "/dev/apps/sleep-diary/draft",
        &[("manifest", &manifest("https://sleep.example.org/callback"))],
    )
    .await
    .assert_contains("Draft saved.");
    let submitted = app.submit("/dev/apps/sleep-diary/submit", &[]).await;
    submitted.assert_contains("Version 1 is submitted for review.");
    submitted.assert_contains("A version is waiting for review.");
    app.get("/dev").await.assert_contains("version 1 in review");
}

#[tokio::test]
async fn bad_manifests_are_refused_on_the_field_and_kept_for_fixing() {
    let app = spawn_app().await;
    developer(&app).await;
    let page = app
        .submit(
            "/dev/apps",
            &[
                ("publisher", "acme"),
                ("manifest", &manifest("http://sleep.example.org/cb")),
            ],
        )
        .await;
    page.assert_contains("field-error");
    page.assert_contains("redirect_uris: Redirect URI 1");
    page.assert_contains("http://sleep.example.org/cb");
    let page = app
        .submit(
            "/dev/apps",
            &[("publisher", "acme"), ("manifest", "{ not json")],
        )
        .await;
    page.assert_contains("The manifest is not valid");
    let page = app
        .submit(
            "/dev/apps",
            &[
                ("publisher", "someone-else"),
                ("manifest", &manifest("https://sleep.example.org/cb")),
            ],
        )
        .await;
    page.assert_contains("You are not a member of a publisher organisation");
    assert!(app
        .engine
        .list_publisher_apps(
            &app.engine
                .account(
                    &app.engine
                        .find_user_by_email(&domain::Email::parse("dev@example.org").unwrap())
                        .await
                        .unwrap()
                        .unwrap()
                        .id
                )
                .await
                .unwrap()
                .unwrap()
        )
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn only_reviewers_decide_and_a_rejection_needs_a_reason() {
    let app = spawn_app().await;
    developer(&app).await;
    app.post_form(
        "/dev/apps",
        &[
            ("publisher", "acme"),
            ("manifest", &manifest("https://sleep.example.org/cb")),
        ],
    )
    .await;
    app.post_form("/dev/apps/sleep-diary/submit", &[]).await;
    let reviewer = app
        .engine
        .create_verified_user(
            "reviewer@example.org",
            PASSWORD,
            Some(PlatformRole::Reviewer),
        )
        .await
        .unwrap();
    let id = app.engine.review_queue(&reviewer).await.unwrap()[0]
        .version
        .id
        .clone();

    // The developer is no reviewer.
    app.get("/review").await.assert_contains("For reviewers");
    app.submit(&format!("/review/{id}/approve"), &[])
        .await
        .assert_contains("Only reviewers");

    app.post_form("/logout", &[]).await;
    app.log_in("reviewer@example.org", PASSWORD).await;
    let queue = app.get("/review").await;
    queue.assert_contains("Sleep Diary");
    let item = app.get(&format!("/review/{id}")).await;
    item.assert_contains("Automatic checks");
    item.assert_contains("No privacy policy link");
    let refused = app
        .submit(&format!("/review/{id}/reject"), &[("reason", " ")])
        .await;
    refused.assert_contains("Tell the publisher why");
    app.submit(
        &format!("/review/{id}/reject"),
        &[("reason", "Add a privacy policy.")],
    )
    .await
    .assert_contains("is rejected");
    assert_eq!(
        app.get(&format!("/review/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
}
