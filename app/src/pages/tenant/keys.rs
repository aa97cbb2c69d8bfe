//! The tenant's API keys for its EHR (admins only): the list, revoking one,
//! and creating one. The new key itself is shown at the top of the console.

use leptos::prelude::*;

use crate::components::form::Field;
use crate::components::ScrollingTable;
use crate::model::{Flash, KeyRow};

const KEY_SCOPES: &[(&str, &str)] = &[
    (
        "registrations:read",
        "Read the registrations (the EHR registry API)",
    ),
    ("launch:write", "Create EHR launch contexts"),
    ("introspect", "Introspect access tokens"),
    ("installs:write", "Install and change apps"),
];

#[component]
pub(super) fn KeysSection(tenant: String, keys: Vec<KeyRow>, flash: Flash) -> impl IntoView {
    let key_action = format!("/t/{tenant}/admin/keys");
    view! {
        <section class="card section-gap" aria-labelledby="keys-title">
            <h2 id="keys-title">"API keys"</h2>
            <p class="muted">"Your EHR reads the registrations with a key: "<code>"GET /api/v1/registrations"</code>" with "<code>"Authorization: Bearer <key>"</code>"."</p>
            {(!keys.is_empty()).then(|| {
                let tenant = tenant.clone();
                view! {
                <ScrollingTable label="API keys">
                    <thead><tr><th scope="col">"Name"</th><th scope="col">"Scopes"</th><th scope="col">"Created"</th><th scope="col">"Last used"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                    <tbody>{keys.into_iter().map(|key| view! { <KeyItem key tenant=tenant.clone()/> }).collect_view()}</tbody>
                </ScrollingTable>
                }
            })}
            <form method="post" action=key_action class="stack section-gap" novalidate>
                <Field label="Key name" name="name" value=flash.value("name") error=flash.error("name") hint="Which system uses it, e.g. the EHR's integration engine."/>
                <fieldset class="field choices" class:field-invalid=flash.error("scopes").is_some()>
                    <legend>"Scopes"</legend>
                    <div class="choice-list">
                        {KEY_SCOPES.iter().map(|(value, text)| view! {
                            <label class="choice"><input type="checkbox" name="scopes" value=*value checked=*value == "registrations:read"/>{*text}</label>
                        }).collect_view()}
                    </div>
                    {flash.error("scopes").map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                </fieldset>
                <button class="button button-secondary" type="submit">"Create key"</button>
            </form>
        </section>
    }
}

#[component]
fn KeyItem(key: KeyRow, tenant: String) -> impl IntoView {
    view! {
        <tr>
            <td>{key.name}</td>
            <td>{key.scopes.join(", ")}</td>
            <td>{key.created}</td>
            <td>{key.last_used.unwrap_or_else(|| "never".to_owned())}</td>
            <td>
                <form method="post" action=format!("/t/{tenant}/admin/keys/{}/revoke", key.id)>
                    <button class="button button-quiet" type="submit">"Revoke"</button>
                </form>
            </td>
        </tr>
    }
}
