//! Catalog search (full text, filters, sorting, pages), version history
//! and the audit trail of review decisions.

use crate::support;

use engine::people::accounts::Account;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::{spawn_app, TestApp, PASSWORD};

struct People {
    dev: Account,
    reviewer: Account,
}

async fn people(app: &TestApp) -> People {
    People {
        dev: app.developer("dev@example.org").await,
        reviewer: app.reviewer("reviewer@example.org").await,
    }
}

fn manifest(name: &str, extra: Value) -> domain::ManifestInput {
    let mut value = json!({
        "client_name": name,
        "tagline": format!("{name} at the bedside"),
        "description": "An app.",
        "redirect_uris": ["https://app.example.org/callback"],
        "launch_url": "https://app.example.org/launch",
        "scope": "launch openid patient/Observation.rs",
        "launch_types": ["ehr"],
        "fhir_versions": ["4.0.1"],
        "audience": ["clinician"],
        "categories": ["clinical-decision-support"]
    });
    for (k, v) in extra.as_object().unwrap() {
        value[k] = v.clone();
    }
    serde_json::from_value(value).unwrap()
}

/// Registers, submits and approves, a second apart (the audit trail is
/// ordered by time).
async fn publish(app: &TestApp, p: &People, name: &str, extra: Value) -> String {
    let second = || app.clock.advance(chrono::Duration::seconds(1));
    let created = app
        .engine
        .create_app(&p.dev, "acme", None, manifest(name, extra))
        .await
        .unwrap();
    second();
    let version = app.engine.submit_app(&p.dev, &created.slug).await.unwrap();
    second();
    app.engine
        .approve_submission(&p.reviewer, &version.id)
        .await
        .unwrap();
    created.slug
}

async fn search(app: &TestApp, query: &str) -> Vec<String> {
    let (status, body) = app
        .api(
            Method::GET,
            &format!("/api/v1/catalog/apps?{query}"),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["slug"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn search_reads_every_text_field_with_stems_and_prefixes() {
    let app = spawn_app().await;
    let p = people(&app).await;
    publish(&app, &p, "Growth Charts", json!({})).await;
    publish(
        &app,
        &p,
        "Sepsis Watch",
        json!({"description": "Flags **deteriorating** patients early."}),
    )
    .await;
    publish(
        &app,
        &p,
        "Med List",
        json!({"tagline": "Medication reconciliation"}),
    )
    .await;

    assert_eq!(search(&app, "q=sepsis").await, ["sepsis-watch"]);
    // Stemmed: "chart" finds "Charts"; a prefix finds the whole word.
    assert_eq!(search(&app, "q=chart").await, ["growth-charts"]);
    assert_eq!(search(&app, "q=recon").await, ["med-list"]);
    // The description and the publisher's name are searched too.
    assert_eq!(search(&app, "q=deteriorating").await, ["sepsis-watch"]);
    assert_eq!(search(&app, "q=acme").await.len(), 3);
    // Every word must match; query syntax is just text.
    assert_eq!(search(&app, "q=growth+sepsis").await, Vec::<String>::new());
    assert_eq!(
        search(&app, "q=%22growth%22+NEAR+*").await,
        Vec::<String>::new()
    );
    assert_eq!(search(&app, "q=%21%21%21").await.len(), 3);
}

#[tokio::test]
async fn filters_sorting_and_pages() {
    let app = spawn_app().await;
    let p = people(&app).await;
    // An empty page is cached; an approval must not leave it stale.
    assert_eq!(search(&app, "").await, Vec::<String>::new());
    publish(&app, &p, "Beta", json!({})).await;
    app.clock.advance(chrono::Duration::minutes(1));
    publish(
        &app,
        &p,
        "Alpha",
        json!({
            "audience": ["patient"],
            "launch_types": ["standalone"],
            "categories": ["patient-engagement"],
            "scope": "openid fhirUser launch/patient patient/Observation.rs"
        }),
    )
    .await;
    app.clock.advance(chrono::Duration::minutes(1));
    publish(
        &app,
        &p,
        "Gamma",
        json!({"fhir_versions": ["4.0.1", "5.0.0"]}),
    )
    .await;

    assert_eq!(search(&app, "").await, ["alpha", "beta", "gamma"]);
    assert_eq!(
        search(&app, "sort=newest").await,
        ["gamma", "alpha", "beta"]
    );
    assert_eq!(search(&app, "audience=patient").await, ["alpha"]);
    assert_eq!(search(&app, "launch=ehr").await, ["beta", "gamma"]);
    assert_eq!(search(&app, "fhir_version=5.0.0").await, ["gamma"]);
    assert_eq!(search(&app, "category=patient-engagement").await, ["alpha"]);
    assert_eq!(
        search(&app, "category=patient-engagement&launch=ehr").await,
        Vec::<String>::new()
    );

    let (status, body) = app
        .api(Method::GET, "/api/v1/catalog/apps?sort=price", None, None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("relevance, name, newest"));
    let (status, _) = app
        .api(Method::GET, "/api/v1/catalog/apps?cursor=nope", None, None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = app
        .api(
            Method::GET,
            "/api/v1/catalog/apps?cursor=4000000000",
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // The gallery pages 12 at a time and keeps the filters in its links.
    for i in 0..12 {
        publish(&app, &p, &format!("Zeta {i:02}"), json!({})).await;
    }
    let first = app.get("/apps?launch=ehr").await;
    first.assert_contains(r#"href="/apps?launch=ehr&amp;page=2""#);
    let second = app.get("/apps?launch=ehr&page=2").await;
    second.assert_contains("Zeta 11");
    assert!(!second.body.contains("Zeta 00"));
}

#[tokio::test]
async fn the_app_page_shows_its_version_history_with_changes() {
    let app = spawn_app().await;
    let p = people(&app).await;
    let slug = publish(&app, &p, "Growth Charts", json!({})).await;
    app.engine
        .update_draft(
            &p.dev,
            &slug,
            manifest(
                "Growth Charts",
                json!({
                    "scope": "launch openid patient/Observation.rs patient/Condition.rs",
                    "redirect_uris": ["https://app.example.org/callback2"],
                    "description": "# Charts\n\nNow with <script>alert(1)</script> conditions."
                }),
            ),
        )
        .await
        .unwrap();
    let version = app.engine.submit_app(&p.dev, &slug).await.unwrap();

    // The reviewer sees what changed since the published version.
    app.log_in("reviewer@example.org", PASSWORD).await;
    let review = app.get(&format!("/review/{}", version.id)).await;
    review.assert_contains("Changes since the published version");
    review.assert_contains("patient/Condition.rs");
    review.assert_contains("https://app.example.org/callback2");
    review.assert_contains("submitted version 2 for review");
    review.assert_contains("approved and published version 1");

    app.engine
        .approve_submission(&p.reviewer, &version.id)
        .await
        .unwrap();
    let (status, details) = app
        .api(
            Method::GET,
            &format!("/api/v1/catalog/apps/{slug}"),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let history = details["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["version"], 2);
    assert_eq!(
        history[0]["changes"]["scopes_added"],
        json!(["patient/Condition.rs"])
    );
    assert_eq!(
        history[0]["changes"]["redirect_uris_removed"],
        json!(["https://app.example.org/callback"])
    );
    assert_eq!(history[1]["changes"], Value::Null);

    let page = app.get(&format!("/apps/{slug}")).await;
    page.assert_contains("Version history");
    page.assert_contains("Scopes added");
    page.assert_contains("<h3>Charts</h3>");
    page.assert_contains("&lt;script&gt;");
    assert!(!page.body.contains("<script>alert(1)"));
}

#[tokio::test]
async fn decisions_are_in_the_audit_trail() {
    let app = spawn_app().await;
    let p = people(&app).await;
    let slug = publish(&app, &p, "Growth Charts", json!({})).await;
    app.clock.advance(chrono::Duration::seconds(1));
    let version = app.engine.submit_app(&p.dev, &slug).await.unwrap();
    app.clock.advance(chrono::Duration::seconds(1));
    app.engine
        .reject_submission(
            &p.reviewer,
            &version.id,
            "The privacy policy link is missing.",
        )
        .await
        .unwrap();
    let trail: Vec<(String, Option<String>)> = app
        .engine
        .app_activity(&p.dev, &slug)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.actor_email))
        .collect();
    let dev = Some("dev@example.org".to_owned());
    let reviewer = Some("reviewer@example.org".to_owned());
    assert_eq!(
        trail,
        [
            ("version.rejected".to_owned(), reviewer.clone()),
            ("version.submitted".to_owned(), dev.clone()),
            ("version.approved".to_owned(), reviewer),
            ("version.submitted".to_owned(), dev.clone()),
            ("app.created".to_owned(), dev),
        ]
    );
    // Someone outside the publisher sees nothing of it.
    let stranger = app
        .engine
        .create_verified_user("stranger@example.org", PASSWORD, None)
        .await
        .unwrap();
    assert!(matches!(
        app.engine.app_activity(&stranger, &slug).await,
        Err(engine::EngineError::NotFound(_))
    ));
    app.log_in("dev@example.org", PASSWORD).await;
    let page = app.get(&format!("/dev/apps/{slug}")).await;
    page.assert_contains("did not approve version 2: The privacy policy link is missing.");
}

#[tokio::test]
async fn a_jwks_uri_on_a_private_address_fails_its_check() {
    let app = spawn_app().await;
    let p = people(&app).await;
    let created = app
        .engine
        .create_app(
            &p.dev,
            "acme",
            None,
            serde_json::from_value(json!({
                "client_name": "Cohort Export",
                "scope": "system/Patient.rs",
                "token_endpoint_auth_method": "private_key_jwt",
                "jwks_uri": "https://127.0.0.1:9/jwks.json",
                "launch_types": ["backend"],
                "fhir_versions": ["4.0.1"],
                "audience": ["backend"],
                "categories": ["research"]
            }))
            .unwrap(),
        )
        .await
        .unwrap();
    let version = app.engine.submit_app(&p.dev, &created.slug).await.unwrap();
    let details = app
        .engine
        .submission(&p.reviewer, &version.id)
        .await
        .unwrap();
    let check = details.checks.last().unwrap();
    assert!(!check.passed);
    assert!(
        check.text.contains("private, loopback or link-local"),
        "{}",
        check.text
    );
}
