//! The account page: memberships and personal access tokens.

use crate::support;

use reqwest::StatusCode;
use support::{spawn_app, PASSWORD};

#[tokio::test]
async fn a_token_is_created_shown_once_listed_and_revoked() {
    let app = spawn_app().await;
    app.verified_user("dev@example.org", PASSWORD).await;
    app.log_in("dev@example.org", PASSWORD)
        .await
        .assert_redirect("/account");

    let page = app
        .submit(
            "/account/tokens",
            &[
                ("name", "release pipeline"),
                ("scopes", "publisher"),
                ("scopes", "tenant-admin"),
                ("expires_in_days", "90"),
            ],
        )
        .await;
    page.assert_contains("Copy it now");
    let start = page.body.find("sdc_pat_").expect("token shown");
    let token: String = page.body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    page.assert_contains("release pipeline");
    page.assert_contains("publisher, tenant-admin");

    // Shown once: a reload no longer has it.
    let again = app.get("/account").await;
    assert!(!again.body.contains(&token));
    again.assert_contains("release pipeline");

    // It works against the API until revoked.
    let api = || {
        reqwest::Client::new()
            .get(app.url("/api/v1/publishers"))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(api().await.unwrap().status(), StatusCode::OK);
    let user = app
        .engine
        .find_user_by_email(&domain::Email::parse("dev@example.org").unwrap())
        .await
        .unwrap()
        .unwrap();
    let id = app.engine.list_personal_tokens(&user.id).await.unwrap()[0]
        .id
        .clone();
    app.submit(&format!("/account/tokens/{id}/revoke"), &[])
        .await
        .assert_contains("Token revoked");
    assert_eq!(api().await.unwrap().status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_token_without_a_name_or_scope_is_refused_next_to_the_field() {
    let app = spawn_app().await;
    app.verified_user("dev@example.org", PASSWORD).await;
    app.log_in("dev@example.org", PASSWORD).await;
    app.submit("/account/tokens", &[("name", ""), ("scopes", "publisher")])
        .await
        .assert_contains("Give the token a name");
    let page = app.submit("/account/tokens", &[("name", "ci")]).await;
    page.assert_contains("Choose at least one scope.");
    page.assert_contains("value=\"ci\"");
    app.submit(
        "/account/tokens",
        &[("name", "ci"), ("scopes", "introspect")],
    )
    .await
    .assert_contains("belongs to tenant API keys");
    let user = app
        .engine
        .find_user_by_email(&domain::Email::parse("dev@example.org").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(app
        .engine
        .list_personal_tokens(&user.id)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn another_users_token_cannot_be_revoked() {
    let app = spawn_app().await;
    app.verified_user("a@example.org", PASSWORD).await;
    let a = app
        .engine
        .find_user_by_email(&domain::Email::parse("a@example.org").unwrap())
        .await
        .unwrap()
        .unwrap();
    let (_, info) = app
        .engine
        .create_personal_token(&a.id, "mine", &["publisher".into()], None)
        .await
        .unwrap();

    app.verified_user("b@example.org", PASSWORD).await;
    app.log_in("b@example.org", PASSWORD).await;
    app.submit(&format!("/account/tokens/{}/revoke", info.id), &[])
        .await
        .assert_contains("No such token.");
    assert_eq!(
        app.engine.list_personal_tokens(&a.id).await.unwrap().len(),
        1
    );
}

#[tokio::test]
async fn token_forms_need_a_session() {
    let app = spawn_app().await;
    app.post_form("/account/tokens", &[("name", "x"), ("scopes", "publisher")])
        .await
        .assert_redirect("/login?next=/account");
    app.get("/account")
        .await
        .assert_contains("You are not logged in");
}

#[tokio::test]
async fn memberships_show_on_the_account_page() {
    let app = spawn_app().await;
    app.verified_user("admin@example.org", PASSWORD).await;
    app.engine
        .create_tenant_as_operator("demo-health", "Demo Health", "admin@example.org")
        .await
        .unwrap();
    app.log_in("admin@example.org", PASSWORD).await;
    let page = app.get("/account").await;
    page.assert_contains("Demo Health");
    page.assert_contains("demo-health");
}

#[tokio::test]
async fn an_invitation_becomes_a_membership_once_the_email_is_verified() {
    let app = spawn_app().await;
    let outcome = app
        .engine
        .create_tenant_as_operator("demo-health", "Demo Health", "new@example.org")
        .await
        .unwrap();
    assert_eq!(
        outcome,
        engine::tenancy::tenants::TenantAdmin::Invited("new@example.org".into())
    );
    let invitation = app.wait_for_mail("new@example.org", 1).await;
    assert!(
        invitation.contains("invited to join the tenant \"Demo Health\""),
        "{invitation}"
    );
    app.verified_user("new@example.org", PASSWORD).await;
    app.log_in("new@example.org", PASSWORD).await;
    app.get("/account").await.assert_contains("Demo Health");
}
