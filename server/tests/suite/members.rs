//! Publisher members: owners and admins invite by email.

use crate::support;

use reqwest::{Method, StatusCode};
use serde_json::json;
use support::{spawn_app, TestApp, PASSWORD};

async fn token(app: &TestApp, email: &str) -> String {
    let account = app
        .engine
        .create_verified_user(email, PASSWORD, None)
        .await
        .unwrap();
    app.engine
        .create_personal_token(&account.id, "t", &["publisher".to_owned()], None)
        .await
        .unwrap()
        .0
}

#[tokio::test]
async fn an_owner_invites_existing_and_new_people_by_email() {
    let app = spawn_app().await;
    let owner = token(&app, "owner@example.org").await;
    app.api(
        Method::POST,
        "/api/v1/publishers",
        Some(&owner),
        Some(json!({"slug": "acme", "name": "Acme"})),
    )
    .await;
    let dev = token(&app, "dev@example.org").await;

    let (status, body) = app
        .api(
            Method::POST,
            "/api/v1/publishers/acme/members",
            Some(&owner),
            Some(json!({"email": "Dev@Example.org", "role": "developer"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        (body["email"].clone(), body["status"].clone()),
        (json!("dev@example.org"), json!("active"))
    );
    assert!(app
        .wait_for_mail("dev@example.org", 1)
        .await
        .contains("You were added"));
    let (_, mine) = app
        .api(Method::GET, "/api/v1/publishers", Some(&dev), None)
        .await;
    assert_eq!(mine["items"][0]["role"], "developer");

    let (_, body) = app
        .api(
            Method::POST,
            "/api/v1/publishers/acme/members",
            Some(&owner),
            Some(json!({"email": "new@example.org", "role": "admin"})),
        )
        .await;
    assert_eq!(body["status"], "invited");
    assert!(app
        .wait_for_mail("new@example.org", 1)
        .await
        .contains("invited to join the publisher \"Acme\""));
    app.verified_user("new@example.org", PASSWORD).await;
    let (_, members) = app
        .api(
            Method::GET,
            "/api/v1/publishers/acme/members",
            Some(&owner),
            None,
        )
        .await;
    let listed: Vec<(String, String, String)> = members["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["email"].as_str().unwrap().to_owned(),
                m["role"].as_str().unwrap().to_owned(),
                m["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (
                "dev@example.org".to_owned(),
                "developer".to_owned(),
                "active".to_owned()
            ),
            (
                "new@example.org".to_owned(),
                "admin".to_owned(),
                "active".to_owned()
            ),
            (
                "owner@example.org".to_owned(),
                "owner".to_owned(),
                "active".to_owned()
            ),
        ]
    );
}

#[tokio::test]
async fn developers_cannot_invite_and_bad_input_is_refused() {
    let app = spawn_app().await;
    let owner = token(&app, "owner@example.org").await;
    app.api(
        Method::POST,
        "/api/v1/publishers",
        Some(&owner),
        Some(json!({"slug": "acme", "name": "Acme"})),
    )
    .await;
    let dev = token(&app, "dev@example.org").await;
    app.api(
        Method::POST,
        "/api/v1/publishers/acme/members",
        Some(&owner),
        Some(json!({"email": "dev@example.org", "role": "developer"})),
    )
    .await;

    let (status, _) = app
        .api(
            Method::POST,
            "/api/v1/publishers/acme/members",
            Some(&dev),
            Some(json!({"email": "x@example.org", "role": "developer"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = app
        .api(
            Method::POST,
            "/api/v1/publishers/acme/members",
            Some(&owner),
            Some(json!({"email": "x@example.org", "role": "boss"})),
        )
        .await;
    assert_eq!(
        (status, body["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("role"))
    );
    let (status, body) = app
        .api(
            Method::POST,
            "/api/v1/publishers/acme/members",
            Some(&owner),
            Some(json!({"email": "not-an-email", "role": "admin"})),
        )
        .await;
    assert_eq!(
        (status, body["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("email"))
    );
    let (status, _) = app
        .api(
            Method::POST,
            "/api/v1/publishers/acme/members",
            Some(&owner),
            Some(json!({"email": "dev@example.org", "role": "admin"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let outsider = token(&app, "out@example.org").await;
    let (status, _) = app
        .api(
            Method::GET,
            "/api/v1/publishers/acme/members",
            Some(&outsider),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
