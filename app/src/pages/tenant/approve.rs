//! The approval screen of a new install
//! (`/t/{tenant}/admin/install/{app}`): the scopes to grant.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::{log_in_first, version_label};
use crate::api::{install_preview, load_page};
use crate::components::form::FlashMessage;
use crate::model::{Flash, InstallPreview};

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[component]
pub fn InstallAppPage() -> impl IntoView {
    let params = use_params_map();
    let tenant = move || params.read().get("tenant").unwrap_or_default();
    let app = move || params.read().get("slug").unwrap_or_default();
    let state = Resource::new(|| (), |_| load_page("tenant-install".to_owned()));
    let preview = Resource::new(move || (tenant(), app()), |(t, a)| install_preview(t, a));
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let state = state.await.unwrap_or_default();
                if state.account.is_none() {
                    return log_in_first(format!("/t/{}/admin/install/{}", tenant(), app()));
                }
                match preview.await.ok().flatten() {
                    Some(preview) => view! { <ApproveView preview flash=state.flash/> }.into_any(),
                    None => view! { <crate::pages::not_found::NotFound/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Every requested scope, ticked; untick to grant less, or name resource
/// types to narrow a `*` scope.
#[component]
fn ApproveView(preview: InstallPreview, flash: Flash) -> impl IntoView {
    let action = format!("/t/{}/admin/installs", preview.tenant);
    let error = flash.error("scope");
    let invalid = error.is_some();
    view! {
        <Title text=format!("Install {} · {}", preview.app_name, preview.tenant_name)/>
        <nav class="breadcrumbs" aria-label="Breadcrumb"><a href=format!("/t/{}/admin", preview.tenant)>{preview.tenant_name.clone()}</a> " / " <span aria-current="page">{format!("Install {}", preview.app_name)}</span></nav>
        <div class="page-header">
            <h1>{format!("Install {} in {}", preview.app_name, preview.tenant_name)}</h1>
            <p class="muted">{format!("{}. Grant what your health system is willing to share: the app asks for the scopes below.", capitalised(&version_label(preview.version)))}</p>
        </div>
        <FlashMessage flash=flash.clone()/>
        <form method="post" action=action class="card stack" novalidate>
            <input type="hidden" name="app" value=preview.app.clone()/>
            <fieldset class="field choices" class:field-invalid=invalid>
                <legend>"Access to grant"</legend>
                <ul class="grant-list">
                    {preview.scopes.into_iter().enumerate().map(|(i, s)| {
                        let id = format!("grant-{i}");
                        let input_id = id.clone();
                        let narrow_id = format!("narrow-{i}");
                        let narrow_input = narrow_id.clone();
                        view! {
                            <li>
                                <label class="choice" for=id>
                                    <input id=input_id type="checkbox" name="scope" value=s.scope.clone() checked=true/>
                                    <span><span class="scope-meaning">{s.meaning}</span>" "<code class="scope-code">{s.scope.clone()}</code></span>
                                </label>
                                {s.wildcard.then(|| view! {
                                    <div class="field narrow">
                                        <label for=narrow_id>"Only these resource types (optional)"</label>
                                        <input id=narrow_input type="text" name=format!("narrow:{}", s.scope) placeholder="e.g. Observation, Condition"/>
                                    </div>
                                })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
                {error.map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            </fieldset>
            {(preview.servers.len() > 1).then(|| view! {
                <div class="field">
                    <label for="authorization-server">"Authorization server"</label>
                    <select id="authorization-server" name="authorization_server" aria-describedby="authorization-server-hint">
                        {preview.servers.iter().map(|(id, name, default)| view! {
                            <option value=id.clone() selected=*default>{name.clone()}</option>
                        }).collect_view()}
                    </select>
                    <p class="field-hint" id="authorization-server-hint">"Sidecar registers the app there with the scopes granted here."</p>
                </div>
            })}
            <button class="button button-primary" type="submit">"Approve and install"</button>
        </form>
    }
}
