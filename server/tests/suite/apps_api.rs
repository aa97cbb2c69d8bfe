//! Registering, versioning, reviewing and publishing apps through the API.

use crate::support;

use domain::PlatformRole;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::{spawn_app, TestApp, PASSWORD};

async fn token(app: &TestApp, email: &str, role: Option<PlatformRole>, scopes: &[&str]) -> String {
    let account = app
        .engine
        .create_verified_user(email, PASSWORD, role)
        .await
        .unwrap();
    let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
    app.engine
        .create_personal_token(&account.id, "test", &scopes, None)
        .await
        .unwrap()
        .0
}

fn manifest() -> Value {
    json!({
        "publisher": "acme",
        "client_name": "Growth Charts",
        "redirect_uris": ["https://charts.example.org/callback"],
        "scope": "launch openid fhirUser patient/Observation.rs patient/Patient.r",
        "launch_url": "https://charts.example.org/launch",
        "launch_types": ["ehr", "standalone"],
        "fhir_versions": ["4.0.1"],
        "audience": ["clinician"],
        "categories": ["clinical-decision-support"],
        "tagline": "Pediatric growth charts",
        "description": "Plots height and weight against CDC and WHO percentiles."
    })
}

/// A developer with a publisher `acme`, and a reviewer.
async fn setup(app: &TestApp) -> (String, String) {
    let dev = token(app, "dev@example.org", None, &["publisher"]).await;
    let (status, _) = app
        .api(
            Method::POST,
            "/api/v1/publishers",
            Some(&dev),
            Some(json!({"slug": "acme", "name": "Acme Health Apps"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let reviewer = token(
        app,
        "reviewer@example.org",
        Some(PlatformRole::Reviewer),
        &["review"],
    )
    .await;
    (dev, reviewer)
}

#[tokio::test]
async fn an_app_goes_from_manifest_to_the_public_catalog() {
    let app = spawn_app().await;
    let (dev, reviewer) = setup(&app).await;

    let (status, created) = app
        .api(
            Method::POST,
            "/api/v1/publisher/apps",
            Some(&dev),
            Some(manifest()),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["slug"], "growth-charts");
    assert_eq!(
        created["draft"]["scope"],
        "launch openid fhirUser patient/Observation.rs patient/Patient.r"
    );
    assert_eq!(created["published_version"], Value::Null);

    // Not public before review.
    let (status, _) = app
        .api(
            Method::GET,
            "/api/v1/catalog/apps/growth-charts",
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, version) = app
        .api(
            Method::POST,
            "/api/v1/publisher/apps/growth-charts/submit",
            Some(&dev),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{version}");
    assert_eq!(
        (version["number"].clone(), version["state"].clone()),
        (json!(1), json!("submitted"))
    );
    let (status, body) = app
        .api(
            Method::POST,
            "/api/v1/publisher/apps/growth-charts/submit",
            Some(&dev),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    let (_, queue) = app
        .api(
            Method::GET,
            "/api/v1/review/submissions",
            Some(&reviewer),
            None,
        )
        .await;
    assert_eq!(queue["items"].as_array().unwrap().len(), 1);
    let id = queue["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(queue["items"][0]["app"], "growth-charts");

    let (status, approved) = app
        .api(
            Method::POST,
            &format!("/api/v1/review/submissions/{id}/approve"),
            Some(&reviewer),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["state"], "published");
    let mail = app.wait_for_mail("dev@example.org", 1).await;
    assert!(mail.contains("is published"), "{mail}");

    let (status, listed) = app
        .api(Method::GET, "/api/v1/catalog/apps?q=growth", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["items"][0]["slug"], "growth-charts");
    assert_eq!(listed["items"][0]["publisher_name"], "Acme Health Apps");
    assert_eq!(listed["next_cursor"], Value::Null);
    for (query, hits) in [
        ("q=acme", 1),
        ("q=nothing-like-it", 0),
        ("category=research", 0),
        ("category=clinical-decision-support", 1),
        ("fhir_version=4.0.1", 1),
        ("launch=backend", 0),
        ("launch=ehr", 1),
    ] {
        let (_, found) = app
            .api(
                Method::GET,
                &format!("/api/v1/catalog/apps?{query}"),
                None,
                None,
            )
            .await;
        assert_eq!(found["items"].as_array().unwrap().len(), hits, "{query}");
    }
    let (status, page) = app
        .api(
            Method::GET,
            "/api/v1/catalog/apps/growth-charts",
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["version"], 1);
    assert_eq!(page["launch_url"], "https://charts.example.org/launch");
}

#[tokio::test]
async fn the_published_version_stays_live_while_the_next_is_reviewed() {
    let app = spawn_app().await;
    let (dev, reviewer) = setup(&app).await;
    app.api(
        Method::POST,
        "/api/v1/publisher/apps",
        Some(&dev),
        Some(manifest()),
    )
    .await;
    app.api(
        Method::POST,
        "/api/v1/publisher/apps/growth-charts/submit",
        Some(&dev),
        None,
    )
    .await;
    let (_, queue) = app
        .api(
            Method::GET,
            "/api/v1/review/submissions",
            Some(&reviewer),
            None,
        )
        .await;
    let first = queue["items"][0]["id"].as_str().unwrap().to_owned();
    app.api(
        Method::POST,
        &format!("/api/v1/review/submissions/{first}/approve"),
        Some(&reviewer),
        None,
    )
    .await;

    let mut next = manifest();
    next.as_object_mut().unwrap().remove("publisher");
    next["tagline"] = json!("Growth charts, now with BMI");
    let (status, draft) = app
        .api(
            Method::PUT,
            "/api/v1/publisher/apps/growth-charts/draft",
            Some(&dev),
            Some(next),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{draft}");
    let (_, live) = app
        .api(
            Method::GET,
            "/api/v1/catalog/apps/growth-charts",
            None,
            None,
        )
        .await;
    assert_eq!(
        live["tagline"], "Pediatric growth charts",
        "the draft is not public"
    );

    app.api(
        Method::POST,
        "/api/v1/publisher/apps/growth-charts/submit",
        Some(&dev),
        None,
    )
    .await;
    let (_, queue) = app
        .api(
            Method::GET,
            "/api/v1/review/submissions",
            Some(&reviewer),
            None,
        )
        .await;
    let second = queue["items"][0]["id"].as_str().unwrap().to_owned();
    let (_, live) = app
        .api(
            Method::GET,
            "/api/v1/catalog/apps/growth-charts",
            None,
            None,
        )
        .await;
    assert_eq!(live["version"], 1, "still version 1 while 2 is in review");

    app.api(
        Method::POST,
        &format!("/api/v1/review/submissions/{second}/approve"),
        Some(&reviewer),
        None,
    )
    .await;
    let (_, live) = app
        .api(
            Method::GET,
            "/api/v1/catalog/apps/growth-charts",
            None,
            None,
        )
        .await;
    assert_eq!(
        (live["version"].clone(), live["tagline"].clone()),
        (json!(2), json!("Growth charts, now with BMI"))
    );
    let (_, mine) = app
        .api(
            Method::GET,
            "/api/v1/publisher/apps/growth-charts",
            Some(&dev),
            None,
        )
        .await;
    let states: Vec<&str> = mine["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["published", "superseded"]);
}

#[tokio::test]
async fn a_rejection_needs_a_reason_and_tells_the_publisher() {
    let app = spawn_app().await;
    let (dev, reviewer) = setup(&app).await;
    app.api(
        Method::POST,
        "/api/v1/publisher/apps",
        Some(&dev),
        Some(manifest()),
    )
    .await;
    app.api(
        Method::POST,
        "/api/v1/publisher/apps/growth-charts/submit",
        Some(&dev),
        None,
    )
    .await;
    let (_, queue) = app
        .api(
            Method::GET,
            "/api/v1/review/submissions",
            Some(&reviewer),
            None,
        )
        .await;
    let id = queue["items"][0]["id"].as_str().unwrap().to_owned();

    let (status, body) = app
        .api(
            Method::POST,
            &format!("/api/v1/review/submissions/{id}/reject"),
            Some(&reviewer),
            Some(json!({"reason": "  "})),
        )
        .await;
    assert_eq!(
        (status, body["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("reason"))
    );
    let (status, rejected) = app
        .api(
            Method::POST,
            &format!("/api/v1/review/submissions/{id}/reject"),
            Some(&reviewer),
            Some(json!({"reason": "The privacy policy link is missing."})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rejected["state"], "rejected");
    let mail = app.wait_for_mail("dev@example.org", 1).await;
    assert!(
        mail.contains("The privacy policy link is missing."),
        "{mail}"
    );
    let (status, _) = app
        .api(
            Method::POST,
            &format!("/api/v1/review/submissions/{id}/approve"),
            Some(&reviewer),
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a decided submission is no longer in the queue"
    );
    let (status, _) = app
        .api(
            Method::GET,
            "/api/v1/catalog/apps/growth-charts",
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_manifests_are_refused_with_the_field_and_nothing_is_saved() {
    let app = spawn_app().await;
    let (dev, _) = setup(&app).await;
    let mut bad = manifest();
    bad["redirect_uris"] = json!(["http://charts.example.org/cb"]);
    let (status, body) = app
        .api(
            Method::POST,
            "/api/v1/publisher/apps",
            Some(&dev),
            Some(bad),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "redirect_uris");
    assert!(body["message"].as_str().unwrap().contains("https"));

    let mut bad = manifest();
    bad["scope"] = json!("launch patient/Observaton.rs");
    let (_, body) = app
        .api(
            Method::POST,
            "/api/v1/publisher/apps",
            Some(&dev),
            Some(bad),
        )
        .await;
    assert_eq!(body["field"], "scope");
    assert!(body["message"].as_str().unwrap().contains("Observaton"));

    let mut unknown = manifest();
    unknown["client_nam"] = json!("typo");
    let (status, body) = app
        .api(
            Method::POST,
            "/api/v1/publisher/apps",
            Some(&dev),
            Some(unknown),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"].as_str().unwrap().contains("client_nam"),
        "{body}"
    );

    let (_, mine) = app
        .api(Method::GET, "/api/v1/publisher/apps", Some(&dev), None)
        .await;
    assert_eq!(mine["items"], json!([]));

    app.api(
        Method::POST,
        "/api/v1/publisher/apps",
        Some(&dev),
        Some(manifest()),
    )
    .await;
    let (status, body) = app
        .api(
            Method::POST,
            "/api/v1/publisher/apps",
            Some(&dev),
            Some(manifest()),
        )
        .await;
    assert_eq!(
        (status, body["field"].clone()),
        (StatusCode::CONFLICT, json!("slug"))
    );
}

#[tokio::test]
async fn only_members_and_reviewers_reach_apps_and_the_queue() {
    let app = spawn_app().await;
    let (dev, _) = setup(&app).await;
    app.api(
        Method::POST,
        "/api/v1/publisher/apps",
        Some(&dev),
        Some(manifest()),
    )
    .await;

    let outsider = token(&app, "outsider@example.org", None, &["publisher", "review"]).await;
    let (status, _) = app
        .api(
            Method::GET,
            "/api/v1/publisher/apps/growth-charts",
            Some(&outsider),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .api(
            Method::POST,
            "/api/v1/publisher/apps",
            Some(&outsider),
            Some(manifest()),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not a member of acme");
    let (status, body) = app
        .api(
            Method::GET,
            "/api/v1/review/submissions",
            Some(&outsider),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    let wrong_scope = token(&app, "narrow@example.org", None, &["tenant-admin"]).await;
    let (status, body) = app
        .api(
            Method::GET,
            "/api/v1/publisher/apps",
            Some(&wrong_scope),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body["message"].as_str().unwrap().contains("publisher"));
}
