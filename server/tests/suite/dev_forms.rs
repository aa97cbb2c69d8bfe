//! The console's field-by-field app form and the publisher pages: every
//! error next to its field, values kept, nothing saved until all is right.

use crate::support;

use support::{spawn_app, TestApp, PASSWORD};

const GOOD: &[(&str, &str)] = &[
    ("publisher", "acme"),
    ("slug", ""),
    ("client_name", "Sleep Diary"),
    ("tagline", "Nights, charted"),
    ("description", "Tracks **sleep**."),
    ("categories", "patient-engagement"),
    ("audience", "patient"),
    ("client_uri", "https://sleep.example.org"),
    ("policy_uri", "https://sleep.example.org/privacy"),
    ("contacts", "help@sleep.example.org"),
    ("launch_types", "standalone"),
    ("fhir_versions", "4.0.1"),
    ("fhir_versions", "4.3.0"),
    (
        "redirect_uris",
        "https://sleep.example.org/cb\r\ncom.example.sleep:/cb",
    ),
    ("scope", "openid launch/patient patient/Observation.rs"),
    ("token_endpoint_auth_method", "none"),
    ("jwks_uri", ""),
    ("jwks", ""),
];

fn with(changes: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut fields: Vec<(&str, &str)> = GOOD
        .iter()
        .filter(|(k, _)| !changes.iter().any(|(c, _)| c == k))
        .copied()
        .collect();
    fields.extend_from_slice(changes);
    fields
}

async fn developer(app: &TestApp) -> engine::people::accounts::Account {
    let dev = app.developer("dev@example.org").await;
    app.log_in("dev@example.org", PASSWORD).await;
    dev
}

#[tokio::test]
async fn the_form_registers_an_app_field_by_field() {
    let app = spawn_app().await;
    let dev = developer(&app).await;
    let posted = app.post_form("/dev/apps", GOOD).await;
    posted.assert_redirect("/dev/apps/sleep-diary");
    let created = app.engine.publisher_app(&dev, "sleep-diary").await.unwrap();
    assert_eq!(
        created.draft.redirect_uris.unwrap(),
        ["https://sleep.example.org/cb", "com.example.sleep:/cb"]
    );
    assert_eq!(created.draft.fhir_versions.unwrap(), ["4.0.1", "4.3.0"]);
    assert_eq!(created.draft.contacts.unwrap(), ["help@sleep.example.org"]);

    // The draft form shows what was saved and saves changes.
    let page = app.get("/dev/apps/sleep-diary").await;
    page.assert_contains(r#"value="Nights, charted""#);
    page.assert_contains(r#"value="patient-engagement" checked"#);
    app.submit(
        "/dev/apps/sleep-diary/draft",
        &with(&[("tagline", "Better nights")]),
    )
    .await
    .assert_contains("Draft saved.");
    let saved = app.engine.publisher_app(&dev, "sleep-diary").await.unwrap();
    assert_eq!(saved.draft.tagline.as_deref(), Some("Better nights"));
}

#[tokio::test]
async fn every_wrong_field_is_named_and_nothing_is_saved() {
    let app = spawn_app().await;
    let dev = developer(&app).await;
    let page = app
        .submit(
            "/dev/apps",
            &with(&[
                ("client_name", ""),
                ("redirect_uris", "http://sleep.example.org/cb"),
                ("policy_uri", "http://sleep.example.org/privacy"),
                ("contacts", "not an address"),
                ("jwks", "{ not json"),
            ]),
        )
        .await;
    page.assert_contains("5 fields need attention.");
    for field in [
        "client_name",
        "redirect_uris",
        "policy_uri",
        "contacts",
        "jwks",
    ] {
        page.assert_contains(&format!(r#"id="field-{field}-error""#));
    }
    page.assert_contains("The keys are not valid JSON");
    // What was typed is kept.
    page.assert_contains(r#"value="http://sleep.example.org/privacy""#);
    page.assert_contains("not an address");
    assert!(app
        .engine
        .list_publisher_apps(&dev)
        .await
        .unwrap()
        .is_empty());

    // A taken slug is an error on the slug field.
    app.post_form("/dev/apps", GOOD).await;
    let page = app
        .submit("/dev/apps", &with(&[("slug", "sleep-diary")]))
        .await;
    page.assert_contains(r#"id="field-slug-error""#);
    page.assert_contains("is taken");
    assert_eq!(app.engine.list_publisher_apps(&dev).await.unwrap().len(), 1);

    // A bad draft leaves the saved draft alone.
    let page = app
        .submit(
            "/dev/apps/sleep-diary/draft",
            &with(&[("scope", "patient/Nothing.read")]),
        )
        .await;
    page.assert_contains(r#"id="field-scope-error""#);
    let saved = app.engine.publisher_app(&dev, "sleep-diary").await.unwrap();
    assert_eq!(
        saved.draft.scope.as_deref(),
        Some("openid launch/patient patient/Observation.rs")
    );
}

#[tokio::test]
async fn a_publisher_is_created_and_members_invited_from_the_console() {
    let app = spawn_app().await;
    app.verified_user("owner@example.org", PASSWORD).await;
    app.log_in("owner@example.org", PASSWORD).await;
    let page = app
        .submit(
            "/dev/publishers",
            &[
                ("name", "Night Owl Health"),
                ("publisher_slug", "night owl"),
            ],
        )
        .await;
    page.assert_contains(r#"id="field-publisher_slug-error""#);
    page.assert_contains(r#"value="Night Owl Health""#);
    let page = app
        .submit(
            "/dev/publishers",
            &[
                ("name", "Night Owl Health"),
                ("publisher_slug", "night-owl"),
            ],
        )
        .await;
    page.assert_contains("Night Owl Health is created; you are its owner.");
    page.assert_contains("owner@example.org");

    app.engine
        .create_verified_user("colleague@example.org", PASSWORD, None)
        .await
        .unwrap();
    let page = app
        .submit(
            "/dev/publishers/night-owl/members",
            &[("email", "colleague@example.org"), ("role", "developer")],
        )
        .await;
    page.assert_contains("colleague@example.org is now a member.");
    let page = app
        .submit(
            "/dev/publishers/night-owl/members",
            &[("email", "newcomer@example.org"), ("role", "admin")],
        )
        .await;
    page.assert_contains("An invitation is mailed to newcomer@example.org");
    page.assert_contains("Invited");
    app.wait_for_mail("newcomer@example.org", 1).await;
    let page = app
        .submit(
            "/dev/publishers/night-owl/members",
            &[("email", "nobody"), ("role", "developer")],
        )
        .await;
    page.assert_contains(r#"class="field field-invalid""#);
    page.assert_contains(r#"value="nobody""#);

    // A developer member may not invite; a stranger does not see the page.
    let colleague = app.other_browser();
    colleague.log_in("colleague@example.org", PASSWORD).await;
    colleague
        .submit(
            "/dev/publishers/night-owl/members",
            &[("email", "x@example.org"), ("role", "owner")],
        )
        .await
        .assert_contains("notice-error");
    app.engine
        .create_verified_user("stranger@example.org", PASSWORD, None)
        .await
        .unwrap();
    let stranger = app.other_browser();
    stranger.log_in("stranger@example.org", PASSWORD).await;
    assert_eq!(
        stranger.get("/dev/publishers/night-owl").await.status,
        reqwest::StatusCode::NOT_FOUND
    );
}
