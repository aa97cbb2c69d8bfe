//! The public gallery and app pages, server-rendered.

use crate::support;

use domain::PlatformRole;
use reqwest::StatusCode;
use serde_json::json;
use support::{spawn_app, TestApp, PASSWORD};

/// Publishes an app named `name` for publisher `acme`; returns its slug.
async fn publish(app: &TestApp, name: &str, category: &str, publish: bool) -> String {
    let dev = match app
        .engine
        .find_user_by_email(&domain::Email::parse("dev@example.org").unwrap())
        .await
        .unwrap()
    {
        Some(user) => app.engine.account(&user.id).await.unwrap().unwrap(),
        None => {
            let dev = app
                .engine
                .create_verified_user("dev@example.org", PASSWORD, None)
                .await
                .unwrap();
            app.engine
                .create_publisher(&dev, "acme", "Acme Health Apps")
                .await
                .unwrap();
            dev
        }
    };
    let reviewer = app
        .engine
        .create_verified_user(
            "reviewer@example.org",
            PASSWORD,
            Some(PlatformRole::Reviewer),
        )
        .await
        .unwrap();
    let manifest = serde_json::from_value(json!({
        "client_name": name,
        "tagline": format!("{name} for clinicians"),
        "redirect_uris": ["https://app.example.org/callback"],
        "launch_url": "https://app.example.org/launch",
        "scope": "launch openid patient/Observation.rs",
        "launch_types": ["ehr"],
        "fhir_versions": ["4.0.1"],
        "categories": [category]
    }))
    .unwrap();
    let created = app
        .engine
        .create_app(&dev, "acme", None, manifest)
        .await
        .unwrap();
    if publish {
        let version = app.engine.submit_app(&dev, &created.slug).await.unwrap();
        app.engine
            .approve_submission(&reviewer, &version.id)
            .await
            .unwrap();
    }
    created.slug
}

#[tokio::test]
async fn the_gallery_lists_published_apps_only_and_filters_them() {
    let app = spawn_app().await;
    publish(&app, "Growth Charts", "clinical-decision-support", true).await;
    publish(&app, "Sepsis Watch", "clinical-decision-support", true).await;
    publish(&app, "Secret Draft", "research", false).await;

    let page = app.get("/apps").await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("Growth Charts");
    page.assert_contains("Sepsis Watch");
    assert!(!page.body.contains("Secret Draft"));

    let searched = app.get("/apps?q=sepsis").await;
    searched.assert_contains("Sepsis Watch");
    assert!(!searched.body.contains("Growth Charts"));
    let none = app.get("/apps?category=research").await;
    none.assert_contains("No apps match");
}

#[tokio::test]
async fn an_app_page_explains_its_scopes_and_has_meta_tags() {
    let app = spawn_app().await;
    let slug = publish(&app, "Growth Charts", "clinical-decision-support", true).await;
    let page = app.get(&format!("/apps/{slug}")).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("<title>Growth Charts · Sidecar</title>");
    page.assert_contains(r#"property="og:title" content="Growth Charts""#);
    page.assert_contains(r#"name="description" content="Growth Charts for clinicians""#);
    page.assert_contains("Read observation records of the patient in context");
    page.assert_contains("patient/Observation.rs");
    page.assert_contains("by Acme Health Apps · version 1");
}

#[tokio::test]
async fn unknown_and_unpublished_apps_are_404() {
    let app = spawn_app().await;
    let draft = publish(&app, "Secret Draft", "research", false).await;
    for path in ["/apps/no-such-app".to_owned(), format!("/apps/{draft}")] {
        let page = app.get(&path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        page.assert_contains("Page not found");
    }
}
