//! The end users of a tenant's authorization server, through
//! `/api/v1/tenants/{tenant}/users`: added by admins with a checked
//! password and `fhirUser`, never shown their password, and invisible to
//! other tenants.

use crate::support;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::{spawn_app, TestApp, PASSWORD};

/// An admin's token for a new tenant `slug`.
async fn tenant(app: &TestApp, slug: &str) -> String {
    app.tenant_with_admin(slug, slug).await
}

async fn add(app: &TestApp, token: &str, tenant: &str, body: Value) -> (StatusCode, Value) {
    app.api(
        Method::POST,
        &format!("/api/v1/tenants/{tenant}/users"),
        Some(token),
        Some(body),
    )
    .await
}

#[tokio::test]
async fn admins_add_list_and_remove_end_users() {
    let app = spawn_app().await;
    let admin = tenant(&app, "north").await;
    let password = "violet harbour lantern";
    let (status, created) = add(
        &app,
        &admin,
        "north",
        json!({"username": "Dr.Chen", "password": password, "fhir_user": "Practitioner/123"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["username"], "dr.chen");
    assert_eq!(created["fhir_user"], "Practitioner/123");
    assert!(!created.to_string().contains(password));

    let (status, list) = app
        .api(
            Method::GET,
            "/api/v1/tenants/north/users",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(!list.to_string().contains(password));

    // Refusals name their field and change nothing.
    for (body, status, field) in [
        (
            json!({"username": "dr.chen", "password": password, "fhir_user": "Patient/9"}),
            409,
            "username",
        ),
        (
            json!({"username": "x y", "password": password, "fhir_user": "Patient/9"}),
            422,
            "username",
        ),
        (
            json!({"username": "pat", "password": "password", "fhir_user": "Patient/9"}),
            422,
            "password",
        ),
        (
            json!({"username": "pat", "password": password, "fhir_user": "Observation/9"}),
            422,
            "fhir_user",
        ),
        (
            json!({"username": "pat", "password": password, "fhir_user": "Patient/"}),
            422,
            "fhir_user",
        ),
    ] {
        let (got, answer) = add(&app, &admin, "north", body.clone()).await;
        assert_eq!(got.as_u16(), status, "{body}: {answer}");
        assert_eq!(answer["field"], field, "{body}: {answer}");
    }
    let (status, answer) = add(&app, &admin, "north", json!({"username": "pat"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let (_, list) = app
        .api(
            Method::GET,
            "/api/v1/tenants/north/users",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    let id = created["id"].as_str().unwrap();
    let path = format!("/api/v1/tenants/north/users/{id}");
    let (status, _) = app.api(Method::DELETE, &path, Some(&admin), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.api(Method::DELETE, &path, Some(&admin), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, audit) = app
        .api(
            Method::GET,
            "/api/v1/tenants/north/audit",
            Some(&admin),
            None,
        )
        .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"user.created") && actions.contains(&"user.removed"));
    assert!(!audit.to_string().contains(password));
}

#[tokio::test]
async fn viewers_read_and_other_tenants_see_nothing() {
    let app = spawn_app().await;
    let north = tenant(&app, "north").await;
    let south = tenant(&app, "south").await;
    let (_, created) = add(
        &app,
        &north,
        "north",
        json!({"username": "pat", "password": "violet harbour lantern", "fhir_user": "Patient/456"}),
    )
    .await;
    let id = created["id"].as_str().unwrap();

    // Another tenant's admin: the tenant is not found, its user neither.
    let (status, _) = app
        .api(
            Method::GET,
            "/api/v1/tenants/north/users",
            Some(&south),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .api(
            Method::DELETE,
            &format!("/api/v1/tenants/south/users/{id}"),
            Some(&south),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A viewer reads, and may not change.
    let viewer = app
        .engine
        .create_verified_user("viewer@north.example.org", PASSWORD, None)
        .await
        .unwrap();
    let (status, _) = app
        .api(
            Method::POST,
            "/api/v1/tenants/north/members",
            Some(&north),
            Some(json!({"email": "viewer@north.example.org", "role": "viewer"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let viewer = app.token(&viewer, &["tenant-admin"]).await;
    let (status, list) = app
        .api(
            Method::GET,
            "/api/v1/tenants/north/users",
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"][0]["fhir_user"], "Patient/456");
    let (status, _) = add(
        &app,
        &viewer,
        "north",
        json!({"username": "other", "password": "violet harbour lantern", "fhir_user": "Patient/1"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .api(
            Method::DELETE,
            &format!("/api/v1/tenants/north/users/{id}"),
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn end_users_take_and_answer_smarts_fhir_user_name() {
    let app = spawn_app().await;
    let admin = tenant(&app, "north").await;
    let password = "violet harbour lantern";
    let (status, created) = add(
        &app,
        &admin,
        "north",
        json!({"username": "dr.chen", "password": password, "fhirUser": "Practitioner/123"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["fhirUser"], "Practitioner/123");
    // The old spelling is still answered, for one release.
    assert_eq!(created["fhir_user"], "Practitioner/123");

    for (body, field) in [
        (
            json!({"username": "pat", "password": password, "fhirUser": "Observation/9"}),
            "fhirUser",
        ),
        (
            json!({"username": "pat", "password": password, "fhirUser": "Patient/9", "fhir_user": "Patient/9"}),
            "fhir_user",
        ),
        (json!({"username": "pat", "password": password}), "fhirUser"),
    ] {
        let (status, answer) = add(&app, &admin, "north", body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(answer["field"], field, "{body}: {answer}");
    }
}
