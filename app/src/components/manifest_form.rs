//! The app registration form, field by field. Every field is validated as
//! you type, in the browser, by the same `domain` code the server runs when
//! the form is posted; before hydration (or without JavaScript) the
//! server's errors show next to the same fields.

use std::collections::{BTreeMap, BTreeSet};

use domain::ManifestForm;
use leptos::prelude::*;

use crate::labels::{AUDIENCES, CATEGORIES, CLIENT_AUTH, FHIR, GRANTS, LAUNCHES};

/// The form's values and errors. Errors of fields edited here come from
/// the live check; the others from the server's answer to the last post.
#[derive(Clone, Copy)]
pub struct FormState {
    form: RwSignal<ManifestForm>,
    touched: RwSignal<BTreeSet<&'static str>>,
    server: StoredValue<BTreeMap<String, String>>,
    live: Memo<BTreeMap<&'static str, String>>,
}

impl FormState {
    pub fn new(form: ManifestForm, server_errors: BTreeMap<String, String>) -> Self {
        let form = RwSignal::new(form);
        Self {
            form,
            touched: RwSignal::new(BTreeSet::new()),
            server: StoredValue::new(server_errors),
            live: Memo::new(move |_| {
                form.with(|f| {
                    f.errors()
                        .into_iter()
                        .map(|e| (e.field, e.message))
                        .collect()
                })
            }),
        }
    }

    fn error(&self, field: &'static str) -> Option<String> {
        if self.touched.with(|t| t.contains(field)) {
            self.live.with(|l| l.get(field).cloned())
        } else {
            self.server.with_value(|s| s.get(field).cloned())
        }
    }

    fn touch(&self, field: &'static str) {
        self.touched.update(|t| {
            t.insert(field);
        });
    }

    fn set_text(&self, field: &'static str, value: String) {
        self.form.update(|f| {
            if let Some(text) = f.text_mut(field) {
                *text = value;
            }
        });
        self.touch(field);
    }

    fn toggle(&self, field: &'static str, value: &str, on: bool) {
        self.form.update(|f| {
            if let Some(values) = f.choices_mut(field) {
                values.retain(|v| v != value);
                if on {
                    values.push(value.to_owned());
                }
            }
        });
        self.touch(field);
    }

    fn initial_text(&self, field: &'static str) -> String {
        self.form.with_untracked(|f| f.text(field).to_owned())
    }

    fn initially_chosen(&self, field: &'static str, value: &str) -> bool {
        self.form
            .with_untracked(|f| f.choices(field).iter().any(|v| v == value))
    }
}

/// The error under a field, tied to it for screen readers.
fn error_line(state: FormState, name: &'static str) -> impl IntoView {
    move || {
        state.error(name).map(|e| {
            view! { <p class="field-error" id=format!("field-{name}-error") role="alert">{e}</p> }
        })
    }
}

fn described_by(state: FormState, name: &'static str, hint: bool) -> impl Fn() -> Option<String> {
    move || {
        let mut ids = Vec::new();
        if hint {
            ids.push(format!("field-{name}-hint"));
        }
        if state.error(name).is_some() {
            ids.push(format!("field-{name}-error"));
        }
        (!ids.is_empty()).then(|| ids.join(" "))
    }
}

/// A text input, or a textarea when `rows` is given.
#[component]
fn TextField(
    state: FormState,
    name: &'static str,
    label: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] rows: Option<u32>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] required: bool,
    #[prop(optional)] code: bool,
) -> impl IntoView {
    let id = format!("field-{name}");
    let value = state.initial_text(name);
    let on_input = move |ev| state.set_text(name, event_target_value(&ev));
    let invalid = move || state.error(name).is_some();
    let input = match rows {
        Some(rows) => view! {
            <textarea id=id.clone() name=name rows=rows spellcheck=(!code).to_string()
                class:code-input=code
                aria-invalid=move || invalid().then_some("true")
                aria-describedby=described_by(state, name, hint.is_some())
                on:input=on_input>{value}</textarea>
        }
        .into_any(),
        None => view! {
            <input id=id.clone() name=name type=kind value=value required=required
                aria-invalid=move || invalid().then_some("true")
                aria-describedby=described_by(state, name, hint.is_some())
                on:input=on_input/>
        }
        .into_any(),
    };
    view! {
        <div class="field" class:field-invalid=invalid>
            <label for=id>{label}{required.then_some(" (required)")}</label>
            {hint.map(|hint| view! { <p class="field-hint" id=format!("field-{name}-hint")>{hint}</p> })}
            {input}
            {error_line(state, name)}
        </div>
    }
}

/// Checkboxes (several values) or radio buttons (one) in a fieldset.
#[component]
fn Choices(
    state: FormState,
    name: &'static str,
    legend: &'static str,
    options: &'static [(&'static str, &'static str)],
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] radio: bool,
) -> impl IntoView {
    let invalid = move || state.error(name).is_some();
    let choice = move |(value, text): &'static (&'static str, &'static str)| {
        let id = format!("field-{name}-{value}");
        let checked = if radio {
            state.initial_text(name) == *value
        } else {
            state.initially_chosen(name, value)
        };
        let on_change = move |ev| {
            if radio {
                state.set_text(name, (*value).to_owned());
            } else {
                state.toggle(name, value, event_target_checked(&ev));
            }
        };
        let input_id = id.clone();
        view! {
            <label class="choice" for=id>
                <input id=input_id type=if radio { "radio" } else { "checkbox" } name=name value=*value
                    checked=checked on:change=on_change/>
                {*text}
            </label>
        }
    };
    view! {
        <fieldset class="field choices" class:field-invalid=invalid
            aria-describedby=described_by(state, name, hint.is_some())>
            <legend>{legend}</legend>
            {hint.map(|hint| view! { <p class="field-hint" id=format!("field-{name}-hint")>{hint}</p> })}
            <div class="choice-list">{options.iter().map(choice).collect_view()}</div>
            {error_line(state, name)}
        </fieldset>
    }
}

/// Every manifest field, grouped as a developer thinks of them.
#[component]
pub fn ManifestFields(state: FormState) -> impl IntoView {
    view! {
        <fieldset class="form-group">
            <legend>"The app"</legend>
            <TextField state name="client_name" label="Name" required=true/>
            <TextField state name="tagline" label="Tagline" hint="One line for the gallery, up to 140 characters."/>
            <TextField state name="description" label="Description" rows=6 hint="Markdown: paragraphs, lists, links and emphasis. HTML is shown as text."/>
            <Choices state name="categories" legend="Categories" options=CATEGORIES/>
            <Choices state name="audience" legend="Who uses it" options=AUDIENCES/>
            <TextField state name="client_uri" label="Homepage" kind="url" hint="https only."/>
            <TextField state name="policy_uri" label="Privacy policy" kind="url"/>
            <TextField state name="tos_uri" label="Terms of use" kind="url"/>
            <TextField state name="logo_uri" label="Logo URL" kind="url" hint="Or upload a logo on the app's page after registering."/>
            <TextField state name="contacts" label="Support email addresses" rows=2 hint="One per line."/>
        </fieldset>
        <fieldset class="form-group">
            <legend>"Launch and access"</legend>
            <Choices state name="launch_types" legend="Launch types" options=LAUNCHES/>
            <Choices state name="fhir_versions" legend="FHIR versions" options=FHIR/>
            <TextField state name="launch_url" label="Launch URL" kind="url" hint="Where the EHR opens the app (EHR launch)."/>
            <TextField state name="redirect_uris" label="Redirect URIs" rows=3 code=true
                hint="One per line, matched exactly: https, http only on a loopback address, or a private-use scheme (com.example.app:/callback)."/>
            <TextField state name="scope" label="Scopes" rows=3 code=true
                hint="SMART scopes separated by spaces, e.g. launch openid fhirUser patient/Observation.rs"/>
        </fieldset>
        <fieldset class="form-group">
            <legend>"Client"</legend>
            <Choices state name="token_endpoint_auth_method" legend="Client type" options=CLIENT_AUTH radio=true/>
            <Choices state name="grant_types" legend="Grant types" options=GRANTS
                hint="Leave all unticked for the usual: authorization code, or client credentials for a backend service."/>
            <TextField state name="jwks_uri" label="JWKS URL" kind="url" hint="For private_key_jwt: where the app publishes its public keys."/>
            <TextField state name="jwks" label="JWKS" rows=4 code=true hint="Or the public keys themselves, as JSON ({\"keys\": [...]})."/>
            <TextField state name="software_id" label="Software id"/>
            <TextField state name="software_version" label="Software version"/>
        </fieldset>
    }
}

impl FormState {
    /// The form as last posted (when the server refused it), else `fallback`;
    /// with the server's errors.
    pub fn from_flash(flash: &crate::model::Flash, fallback: ManifestForm) -> Self {
        let form = flash
            .values
            .get("form")
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or(fallback);
        Self::new(form, flash.field_errors.clone())
    }
}
