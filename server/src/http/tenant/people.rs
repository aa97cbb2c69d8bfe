//! The tenant's members (invited by email) and its end users.

use app::model::FlashKind;
use axum::extract::State;
use axum::response::Response;

use super::ConsolePost;
use crate::http::forms::{answer, back, flash, refused};
use crate::http::AppState;

/// `POST /t/{tenant}/admin/members`: add or invite someone by email.
pub async fn invite_member(
    State(state): State<AppState>,
    ConsolePost {
        post,
        tenant,
        session,
        console,
    }: ConsolePost,
) -> Response {
    let (email, role) = (post.fields.get("email"), post.fields.get("role"));
    match state
        .engine
        .invite_tenant_member(&tenant, &email, &role)
        .await
    {
        Ok(outcome) => {
            let message = match outcome {
                engine::people::members::Invited::Added => {
                    format!("{} is now a {role}.", email.trim())
                }
                engine::people::members::Invited::Invited => {
                    format!(
                        "{} is invited as {role}; they join once they sign up.",
                        email.trim()
                    )
                }
            };
            back(
                &session,
                flash("tenant-members", FlashKind::Success, message),
                &console,
            )
            .await
        }
        Err(e) => {
            let values = [("email", email), ("role", role)];
            back(&session, refused("tenant-members", &e, &values), &console).await
        }
    }
}

/// `POST /t/{tenant}/admin/members/remove`: remove a member or withdraw an invitation.
pub async fn remove_member(
    State(state): State<AppState>,
    ConsolePost {
        post,
        tenant,
        session,
        console,
    }: ConsolePost,
) -> Response {
    let email = post.fields.get("email");
    let result = state.engine.remove_tenant_member(&tenant, &email).await;
    let done = format!("{} no longer belongs to the tenant.", email.trim());
    answer(&session, "tenant-members", result, &done, &console).await
}

/// `POST /t/{tenant}/admin/users`: add an end user of the tenant's
/// authorization server.
pub async fn create_user(
    State(state): State<AppState>,
    ConsolePost {
        post,
        tenant,
        session,
        console,
    }: ConsolePost,
) -> Response {
    let (username, fhir_user) = (post.fields.get("username"), post.fields.get("fhir_user"));
    let result = state
        .engine
        .create_tenant_user(&tenant, &username, &post.fields.get("password"), &fhir_user)
        .await;
    let outcome = match result {
        Ok(user) => flash(
            "tenant-users",
            FlashKind::Success,
            format!("{} can now log in as {}.", user.username, user.fhir_user),
        ),
        // The form comes back filled in, but for the password.
        Err(e) => refused(
            "tenant-users",
            &e,
            &[("username", username), ("fhir_user", fhir_user)],
        ),
    };
    back(&session, outcome, &console).await
}

/// `POST /t/{tenant}/admin/users/remove`.
pub async fn remove_user(
    State(state): State<AppState>,
    ConsolePost {
        post,
        tenant,
        session,
        console,
    }: ConsolePost,
) -> Response {
    let result = state
        .engine
        .remove_tenant_user(&tenant, &post.fields.get("id"))
        .await;
    answer(
        &session,
        "tenant-users",
        result,
        "The user is removed.",
        &console,
    )
    .await
}
