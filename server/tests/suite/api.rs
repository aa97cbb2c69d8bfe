//! The REST API: bearer tokens, the error body and the list shape.

use crate::support;

use reqwest::{Method, StatusCode};
use serde_json::json;
use support::{spawn_app, TestApp, PASSWORD};

async fn token_for(app: &TestApp, email: &str, scopes: &[&str]) -> String {
    app.verified_user(email, PASSWORD).await;
    let user = app
        .engine
        .find_user_by_email(&domain::Email::parse(email).unwrap())
        .await
        .unwrap()
        .unwrap();
    let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
    app.engine
        .create_personal_token(&user.id, "test", &scopes, None)
        .await
        .unwrap()
        .0
}

#[tokio::test]
async fn a_token_creates_and_lists_its_users_publishers() {
    let app = spawn_app().await;
    let token = token_for(&app, "dev@example.org", &["publisher"]).await;
    let (status, body) = app
        .api(Method::GET, "/api/v1/publishers", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"items": [], "next_cursor": null}));

    let (status, created) = app
        .api(
            Method::POST,
            "/api/v1/publishers",
            Some(&token),
            Some(json!({"slug": "acme", "name": "Acme Apps"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["slug"], "acme");
    assert_eq!(created["role"], "owner");

    let (_, body) = app
        .api(Method::GET, "/api/v1/publishers", Some(&token), None)
        .await;
    assert_eq!(body["items"].as_array().unwrap().len(), 1);
    assert_eq!(body["items"][0]["name"], "Acme Apps");

    // Another user's token sees none of them.
    let other = token_for(&app, "other@example.org", &["publisher"]).await;
    let (_, body) = app
        .api(Method::GET, "/api/v1/publishers", Some(&other), None)
        .await;
    assert_eq!(body["items"], json!([]));
}

#[tokio::test]
async fn bad_publisher_input_gets_422_with_the_field_and_a_taken_slug_409() {
    let app = spawn_app().await;
    let token = token_for(&app, "dev@example.org", &["publisher"]).await;
    let (status, body) = app
        .api(
            Method::POST,
            "/api/v1/publishers",
            Some(&token),
            Some(json!({"slug": "Not A Slug", "name": "Acme"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"], "invalid");
    assert_eq!(body["field"], "slug");
    assert!(body["message"].as_str().unwrap().contains("lower-case"));

    let (status, body) = app
        .api(
            Method::POST,
            "/api/v1/publishers",
            Some(&token),
            Some(json!({"slug": "acme", "name": "  "})),
        )
        .await;
    assert_eq!(
        (status, body["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("name"))
    );

    app.api(
        Method::POST,
        "/api/v1/publishers",
        Some(&token),
        Some(json!({"slug": "acme", "name": "Acme"})),
    )
    .await;
    let (status, body) = app
        .api(
            Method::POST,
            "/api/v1/publishers",
            Some(&token),
            Some(json!({"slug": "acme", "name": "Acme again"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"], "conflict");

    let (status, body) = app
        .api(
            Method::POST,
            "/api/v1/publishers",
            Some(&token),
            Some(json!({"slug": "acme2"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["message"].as_str().unwrap().contains("name"));
}

#[tokio::test]
async fn missing_invalid_and_revoked_tokens_get_401() {
    let app = spawn_app().await;
    let (status, body) = app.api(Method::GET, "/api/v1/publishers", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "unauthenticated");
    let (status, _) = app
        .api(
            Method::GET,
            "/api/v1/publishers",
            Some("sdc_pat_madeup"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let token = token_for(&app, "dev@example.org", &["publisher"]).await;
    let user = app
        .engine
        .find_user_by_email(&domain::Email::parse("dev@example.org").unwrap())
        .await
        .unwrap()
        .unwrap();
    let listed = app.engine.list_personal_tokens(&user.id).await.unwrap();
    app.engine
        .revoke_personal_token(&user.id, &listed[0].id)
        .await
        .unwrap();
    let (status, body) = app
        .api(Method::GET, "/api/v1/publishers", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["message"].as_str().unwrap().contains("revoked"));
}

#[tokio::test]
async fn an_unknown_api_path_is_a_json_404() {
    let app = spawn_app().await;
    let (status, body) = app
        .api(Method::GET, "/api/v1/nothing-here", None, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "not_found");
}

#[tokio::test]
async fn tokens_record_when_they_were_last_used() {
    let app = spawn_app().await;
    let token = token_for(&app, "dev@example.org", &["publisher"]).await;
    let user = app
        .engine
        .find_user_by_email(&domain::Email::parse("dev@example.org").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(app.engine.list_personal_tokens(&user.id).await.unwrap()[0]
        .last_used_at
        .is_none());
    app.api(Method::GET, "/api/v1/publishers", Some(&token), None)
        .await;
    assert!(app.engine.list_personal_tokens(&user.id).await.unwrap()[0]
        .last_used_at
        .is_some());
}
