//! Logo uploads: from the console form and the API, checked by content,
//! frozen with each version and served by hash.

use crate::support;

use reqwest::{header, Method, StatusCode};
use serde_json::json;
use support::{png, spawn_app, TestApp, PASSWORD};

/// A developer of `acme` with app `growth-charts`; returns their token.
async fn setup(app: &TestApp) -> String {
    let dev = app.developer("dev@example.org").await;
    app.engine
        .create_app(
            &dev,
            "acme",
            None,
            serde_json::from_value(json!({
                "client_name": "Growth Charts",
                "redirect_uris": ["https://app.example.org/callback"],
                "launch_url": "https://app.example.org/launch",
                "scope": "launch openid patient/Observation.rs",
                "launch_types": ["ehr"],
                "fhir_versions": ["4.0.1"],
                "categories": ["clinical-decision-support"]
            }))
            .unwrap(),
        )
        .await
        .unwrap();
    app.token(&dev, &["publisher"]).await
}

async fn put_logo(app: &TestApp, token: &str, bytes: Vec<u8>) -> (StatusCode, serde_json::Value) {
    let response = reqwest::Client::new()
        .put(app.url("/api/v1/publisher/apps/growth-charts/logo"))
        .bearer_auth(token)
        .header(header::CONTENT_TYPE, "image/png")
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn an_uploaded_logo_is_served_and_goes_live_with_the_next_version() {
    let app = spawn_app().await;
    let token = setup(&app).await;
    let image = png(64, 64);
    let (status, body) = put_logo(&app, &token, image.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let url = body["url"].as_str().unwrap().to_owned();

    let served = reqwest::get(app.url(&url)).await.unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()[header::CONTENT_TYPE], "image/png");
    assert!(served.headers()[header::CACHE_CONTROL]
        .to_str()
        .unwrap()
        .contains("immutable"));
    assert_eq!(served.bytes().await.unwrap().to_vec(), image);

    let (_, draft) = app
        .api(
            Method::GET,
            "/api/v1/publisher/apps/growth-charts",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(draft["draft_logo_url"], url.as_str());

    let (_, version) = app
        .api(
            Method::POST,
            "/api/v1/publisher/apps/growth-charts/submit",
            Some(&token),
            None,
        )
        .await;
    let reviewer = app.reviewer("reviewer@example.org").await;
    app.engine
        .approve_submission(&reviewer, version["id"].as_str().unwrap())
        .await
        .unwrap();
    let (_, listed) = app
        .api(Method::GET, "/api/v1/catalog/apps", None, None)
        .await;
    assert_eq!(listed["items"][0]["logo_url"], url.as_str());
    let page = app.get("/apps/growth-charts").await;
    page.assert_contains(&format!(r#"src="{url}""#));

    // Removing it changes the draft only; the live version keeps its logo.
    let (status, _) = app
        .api(
            Method::DELETE,
            "/api/v1/publisher/apps/growth-charts/logo",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, live) = app
        .api(
            Method::GET,
            "/api/v1/catalog/apps/growth-charts",
            None,
            None,
        )
        .await;
    assert_eq!(live["logo_url"], url.as_str());
}

#[tokio::test]
async fn wrong_logos_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let token = setup(&app).await;
    let svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>".to_vec();
    let mut padded = png(64, 64);
    padded.resize(300 * 1024, 0);
    for (bytes, status, says) in [
        (svg, StatusCode::UNPROCESSABLE_ENTITY, "PNG, JPEG or WebP"),
        (
            png(8, 8),
            StatusCode::UNPROCESSABLE_ENTITY,
            "48 to 2048 pixels",
        ),
        (
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose an image",
        ),
        (padded, StatusCode::PAYLOAD_TOO_LARGE, "larger than 256 KB"),
    ] {
        let (got, body) = put_logo(&app, &token, bytes).await;
        assert_eq!(got, status, "{body}");
        assert!(body["message"].as_str().unwrap().contains(says), "{body}");
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            assert_eq!(body["field"], "logo");
        }
    }
    let (_, draft) = app
        .api(
            Method::GET,
            "/api/v1/publisher/apps/growth-charts",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(draft["draft_logo_url"], serde_json::Value::Null);

    // Not a member: the app is not there.
    let other = app
        .engine
        .create_verified_user("other@example.org", PASSWORD, None)
        .await
        .unwrap();
    let other_token = app.token(&other, &["publisher"]).await;
    let (status, _) = put_logo(&app, &other_token, png(64, 64)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let missing = reqwest::get(app.url(&format!("/media/{}", "0".repeat(64))))
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_console_form_uploads_and_shows_errors_next_to_the_field() {
    let app = spawn_app().await;
    setup(&app).await;
    app.log_in("dev@example.org", PASSWORD).await;
    let upload = |bytes: Vec<u8>, name: &'static str| {
        let form = reqwest::multipart::Form::new().part(
            "logo",
            reqwest::multipart::Part::bytes(bytes).file_name(name),
        );
        app.client
            .post(app.url("/dev/apps/growth-charts/logo"))
            .header(header::ORIGIN, &app.base)
            .multipart(form)
            .send()
    };
    let posted = upload(b"GIF89a".to_vec(), "logo.gif").await.unwrap();
    assert_eq!(posted.status(), StatusCode::SEE_OTHER);
    let page = app.get("/dev/apps/growth-charts").await;
    page.assert_contains("field-invalid");
    page.assert_contains("The logo must be a PNG, JPEG or WebP image");

    let mut big = png(64, 64);
    big.resize(400 * 1024, 0);
    // The server may answer before reading the whole body.
    let _ = upload(big, "big.png").await;
    app.get("/dev/apps/growth-charts")
        .await
        .assert_contains("The logo is larger than 256 KB.");

    upload(png(64, 64), "logo.png").await.unwrap();
    let page = app.get("/dev/apps/growth-charts").await;
    page.assert_contains("Logo uploaded to the draft.");
    page.assert_contains(r#"src="/media/"#);
    page.assert_contains("Remove logo");
}
