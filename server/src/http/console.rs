//! Form posts of the developer console and the review queue. Like the
//! account forms, each answers 303 with a flash message.

use app::model::Flash;
use app::model::FlashKind;
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::{ManifestForm, ManifestInput};
use engine::people::members::Invited;
use engine::EngineError;
use tower_sessions::Session;

use super::forms::{back, flash, refused, Post};
use super::AppState;

/// The manifest textarea as the wire form; a JSON error names the place.
fn manifest(text: &str) -> Result<ManifestInput, EngineError> {
    serde_json::from_str(text)
        .map_err(|e| EngineError::invalid("manifest", format!("The manifest is not valid: {e}")))
}

/// Errors in a manifest member are shown on the manifest field, naming
/// the member.
fn on_manifest(err: EngineError) -> EngineError {
    match err {
        EngineError::Invalid {
            field: Some(field),
            message,
        } if field != "manifest" && field != "slug" => {
            EngineError::invalid("manifest", format!("{field}: {message}"))
        }
        EngineError::Conflict {
            field: Some("slug"),
            message,
        } => EngineError::invalid("manifest", message),
        other => other,
    }
}

fn login_first(next: &str) -> Response {
    Redirect::to(&format!("/login?next={next}")).into_response()
}

/// What a registration or draft form posted: the JSON manifest (import),
/// or the field-by-field form.
enum Posted {
    Json(String),
    Form(Box<ManifestForm>),
}

impl Posted {
    fn read(post: &Post) -> Self {
        if post.fields.has("manifest") {
            Self::Json(post.fields.get("manifest"))
        } else {
            Self::Form(Box::new(ManifestForm::from_fields(
                |name| post.fields.get(name),
                |name| post.fields.all(name),
            )))
        }
    }

    /// What refills the form after a refusal.
    fn values<'a>(&self, extra: &[(&'a str, String)]) -> Vec<(&'a str, String)> {
        let mut values = extra.to_vec();
        values.push(match self {
            Self::Json(text) => ("manifest", text.clone()),
            Self::Form(form) => ("form", serde_json::to_string(form).unwrap_or_default()),
        });
        values
    }

    /// The engine's refusal, shown on the field it names (the JSON
    /// textarea for an import).
    fn refused(&self, form: &str, err: EngineError, extra: &[(&str, String)]) -> Flash {
        let err = match self {
            Self::Json(_) => on_manifest(err),
            Self::Form(_) => err,
        };
        refused(form, &err, &self.values(extra))
    }

    /// The manifest, or the flash that refuses it: every field's error next
    /// to its field (the form), or the first on the textarea (an import).
    fn manifest(&self, form: &str, extra: &[(&str, String)]) -> Result<ManifestInput, Flash> {
        match self {
            Self::Json(text) => manifest(text).map_err(|e| self.refused(form, e, extra)),
            Self::Form(fields) => {
                let errors = fields.errors();
                match fields.to_input() {
                    Ok(input) if errors.is_empty() => Ok(input),
                    _ => {
                        let summary = match errors.len() {
                            1 => "One field needs attention.".to_owned(),
                            n => format!("{n} fields need attention."),
                        };
                        let mut flash = refused(
                            form,
                            &EngineError::Invalid {
                                field: None,
                                message: summary,
                            },
                            &self.values(extra),
                        );
                        flash.field_errors = errors
                            .into_iter()
                            .map(|e| (e.field.to_owned(), e.message))
                            .collect();
                        Err(flash)
                    }
                }
            }
        }
    }
}

pub async fn create_app(
    State(state): State<AppState>,
    session: Session,
    request: Request,
) -> Response {
    let post = Post::read(request).await;
    let Some(account) = post.account() else {
        return login_first("/dev");
    };
    let publisher = post.fields.get("publisher");
    let slug = post.fields.get("slug");
    let extra = [("publisher", publisher.clone()), ("slug", slug.clone())];
    let posted = Posted::read(&post);
    let input = match posted.manifest("dev", &extra) {
        Ok(input) => input,
        Err(flash) => return back(&session, flash, "/dev").await,
    };
    let slug = Some(slug.trim()).filter(|s| !s.is_empty());
    match state
        .engine
        .create_app(&account, &publisher, slug, input)
        .await
    {
        Ok(app) => {
            back(
                &session,
                flash(
                    "dev-app",
                    FlashKind::Success,
                    "App registered. Submit the draft for review when it is ready.",
                ),
                &format!("/dev/apps/{}", app.slug),
            )
            .await
        }
        Err(e) => back(&session, posted.refused("dev", e, &extra), "/dev").await,
    }
}

pub async fn save_draft(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    request: Request,
) -> Response {
    let post = Post::read(request).await;
    let Some(account) = post.account() else {
        return login_first("/dev");
    };
    let target = format!("/dev/apps/{slug}");
    let posted = Posted::read(&post);
    let input = match posted.manifest("dev-app", &[]) {
        Ok(input) => input,
        Err(flash) => return back(&session, flash, &target).await,
    };
    match state.engine.update_draft(&account, &slug, input).await {
        Ok(_) => {
            back(
                &session,
                flash("dev-app", FlashKind::Success, "Draft saved."),
                &target,
            )
            .await
        }
        Err(e) => back(&session, posted.refused("dev-app", e, &[]), &target).await,
    }
}

pub async fn submit_app(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    request: Request,
) -> Response {
    let post = Post::read(request).await;
    let Some(account) = post.account() else {
        return login_first("/dev");
    };
    let target = format!("/dev/apps/{slug}");
    match state.engine.submit_app(&account, &slug).await {
        Ok(version) => {
            back(
                &session,
                flash(
                    "dev-app",
                    FlashKind::Success,
                    format!("Version {} is submitted for review.", version.number),
                ),
                &target,
            )
            .await
        }
        Err(e) => back(&session, refused("dev-app", &on_manifest(e), &[]), &target).await,
    }
}

pub async fn approve(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let post = Post::read(request).await;
    let Some(account) = post.account() else {
        return login_first("/review");
    };
    match state.engine.approve_submission(&account, &id).await {
        Ok(version) => {
            back(
                &session,
                flash(
                    "review",
                    FlashKind::Success,
                    format!(
                        "Version {} of {} is published.",
                        version.number, version.manifest.client_name
                    ),
                ),
                "/review",
            )
            .await
        }
        Err(e) => back(&session, refused("review", &e, &[]), "/review").await,
    }
}

pub async fn reject(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let post = Post::read(request).await;
    let Some(account) = post.account() else {
        return login_first("/review");
    };
    let reason = post.fields.get("reason");
    match state.engine.reject_submission(&account, &id, &reason).await {
        Ok(version) => {
            back(
                &session,
                flash(
                    "review",
                    FlashKind::Success,
                    format!(
                        "Version {} of {} is rejected; the publisher is told why.",
                        version.number, version.manifest.client_name
                    ),
                ),
                "/review",
            )
            .await
        }
        Err(e @ EngineError::Invalid { .. }) => {
            back(
                &session,
                refused("review-item", &e, &[("reason", reason)]),
                &format!("/review/{id}"),
            )
            .await
        }
        Err(e) => back(&session, refused("review", &e, &[]), "/review").await,
    }
}

/// `POST /dev/publishers`: a new publisher organisation, owned by the caller.
pub async fn create_publisher(
    State(state): State<AppState>,
    session: Session,
    request: Request,
) -> Response {
    let post = Post::read(request).await;
    let Some(account) = post.account() else {
        return login_first("/dev");
    };
    let name = post.fields.get("name");
    let slug = post.fields.get("publisher_slug");
    match state.engine.create_publisher(&account, &slug, &name).await {
        Ok(publisher) => {
            back(
                &session,
                flash(
                    "dev-publisher",
                    FlashKind::Success,
                    format!("{} is created; you are its owner.", publisher.name),
                ),
                &format!("/dev/publishers/{}", publisher.slug),
            )
            .await
        }
        Err(e) => {
            // The form's slug field is named apart from the app's.
            let e = match e {
                EngineError::Invalid {
                    field: Some("slug"),
                    message,
                }
                | EngineError::Conflict {
                    field: Some("slug"),
                    message,
                } => EngineError::invalid("publisher_slug", message),
                other => other,
            };
            let values = [("name", name), ("publisher_slug", slug)];
            back(&session, refused("dev", &e, &values), "/dev").await
        }
    }
}

/// `POST /dev/publishers/{slug}/members`: add or invite a member.
pub async fn invite_member(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    request: Request,
) -> Response {
    let post = Post::read(request).await;
    let Some(account) = post.account() else {
        return login_first("/dev");
    };
    let email = post.fields.get("email");
    let role = post.fields.get("role");
    let target = format!("/dev/publishers/{slug}");
    let outcome = match state
        .engine
        .invite_publisher_member(&account, &slug, &email, &role)
        .await
    {
        Ok(Invited::Added) => flash(
            "dev-publisher",
            FlashKind::Success,
            format!("{} is now a member.", email.trim()),
        ),
        Ok(Invited::Invited) => flash(
            "dev-publisher",
            FlashKind::Success,
            format!(
                "An invitation is mailed to {}; they join when they sign up.",
                email.trim()
            ),
        ),
        Err(e) => refused("dev-publisher", &e, &[("email", email), ("role", role)]),
    };
    back(&session, outcome, &target).await
}
