//! Form building blocks: labelled fields with inline errors, messages.

use leptos::prelude::*;

use crate::model::{Flash, FlashKind};

/// A labelled input. The error, when present, sits under the field and is
/// tied to it for screen readers (`aria-describedby`, `aria-invalid`).
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional, into)] value: String,
    #[prop(default = None)] error: Option<String>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(optional)] autofocus: bool,
    #[prop(optional)] minlength: Option<usize>,
    #[prop(optional)] maxlength: Option<usize>,
    /// For a page with two fields of the same name in different forms.
    #[prop(optional)]
    id: Option<&'static str>,
) -> impl IntoView {
    let id = format!("field-{}", id.unwrap_or(name));
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described_by = match (hint.is_some(), error.is_some()) {
        (true, true) => Some(format!("{hint_id} {error_id}")),
        (true, false) => Some(hint_id.clone()),
        (false, true) => Some(error_id.clone()),
        (false, false) => None,
    };
    let invalid = error.is_some();
    view! {
        <div class="field" class:field-invalid=invalid>
            <label for=id.clone()>{label}</label>
            {hint.map(|hint| view! { <p class="field-hint" id=hint_id.clone()>{hint}</p> })}
            <input
                id=id.clone()
                name=name
                type=kind
                value=value
                autocomplete=autocomplete
                required=required
                autofocus=autofocus
                minlength=minlength
                maxlength=maxlength
                aria-invalid=invalid.then_some("true")
                aria-describedby=described_by
            />
            {error.map(|error| view! { <p class="field-error" id=error_id.clone() role="alert">{error}</p> })}
        </div>
    }
}

/// The form-level message of a flash (success, information or error).
#[component]
pub fn FlashMessage(flash: Flash) -> impl IntoView {
    flash.message.map(|message| {
        let (class, role) = match flash.kind.unwrap_or(FlashKind::Info) {
            FlashKind::Success => ("notice notice-success", "status"),
            FlashKind::Info => ("notice notice-info", "status"),
            FlashKind::Error => ("notice notice-error", "alert"),
        };
        view! { <div class=class role=role>{message}</div> }
    })
}
