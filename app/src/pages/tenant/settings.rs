//! The tenant's settings: its name and FHIR base URLs.

use leptos::prelude::*;

use crate::components::form::Field;
use crate::model::Flash;

/// The tenant's name and FHIR base URLs (the `aud` its apps name).
#[component]
pub(super) fn SettingsSection(
    tenant: String,
    name: String,
    urls: Vec<String>,
    admin: bool,
    flash: Flash,
) -> impl IntoView {
    let name = Some(flash.value("name"))
        .filter(|v| !v.is_empty())
        .unwrap_or(name);
    let url_text = Some(flash.value("fhir_base_urls"))
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| urls.join("\n"));
    let url_error = flash.error("fhir_base_urls");
    let url_invalid = url_error.is_some();
    view! {
        <section class="card section-gap" aria-labelledby="settings-title">
            <h2 id="settings-title">"Settings"</h2>
            {if admin {
                view! {
                    <form method="post" action=format!("/t/{tenant}/admin/settings") class="stack" novalidate>
                        <Field label="Name" name="name" id="tenant-name" value=name error=flash.error("name")/>
                        <div class="field" class:field-invalid=url_invalid>
                            <label for="fhir-base-urls">"FHIR base URLs"</label>
                            <textarea id="fhir-base-urls" name="fhir_base_urls" rows="3"
                                aria-describedby="fhir-base-urls-hint" aria-invalid=url_invalid.then_some("true")>{url_text}</textarea>
                            <p class="field-hint" id="fhir-base-urls-hint">"One per line, e.g. https://fhir.example.org/r4. Apps name one of these as the audience of their tokens."</p>
                            {url_error.map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                        </div>
                        <button class="button button-secondary" type="submit">"Save settings"</button>
                    </form>
                }.into_any()
            } else {
                view! {
                    <p>"FHIR base URLs:"</p>
                    {if urls.is_empty() {
                        view! { <p class="muted">"None set."</p> }.into_any()
                    } else {
                        view! { <ul>{urls.into_iter().map(|u| view! { <li><code>{u}</code></li> }).collect_view()}</ul> }.into_any()
                    }}
                }.into_any()
            }}
        </section>
    }
}
