//! `/account/tenant-applications`: a health system applies for a tenant
//! and follows its applications.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{load_page, my_tenant_applications};
use crate::components::form::{Field, FlashMessage};

#[component]
pub fn ApplyPage() -> impl IntoView {
    let state = Resource::new(|| (), |_| load_page("apply".to_owned()));
    let applications = Resource::new(|| (), |_| my_tenant_applications());
    view! {
        <Title text="Apply for a tenant"/>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let state = state.await.unwrap_or_default();
                if state.account.is_none() {
                    return view! {
                        <section class="empty-state">
                            <h1>"Bring your health system to Sidecar"</h1>
                            <p>"Sign up or log in, then apply for a tenant: your own console, authorization server and EHR registry."</p>
                            <a class="button button-primary" href="/login?next=/account/tenant-applications">"Log in"</a>
                        </section>
                    }.into_any();
                }
                let applications = applications.await.unwrap_or_default();
                let flash = state.flash;
                let url_error = flash.error("fhir_base_urls");
                let url_invalid = url_error.is_some();
                let message_error = flash.error("message");
                let message_invalid = message_error.is_some();
                view! {
                    <nav class="breadcrumbs" aria-label="Breadcrumb"><a href="/account">"Your account"</a> " / " <span aria-current="page">"Tenant applications"</span></nav>
                    <div class="page-header">
                        <h1>"Apply for a tenant"</h1>
                        <p class="muted">"A tenant is your health system on Sidecar: approve apps with the access you choose, and let your EHR read what is installed. The platform's admins review each application."</p>
                    </div>
                    <FlashMessage flash=flash.clone()/>
                    <div class="grid-2">
                        <section class="card" aria-labelledby="apply-title">
                            <h2 id="apply-title">"Your health system"</h2>
                            <form method="post" action="/account/tenant-applications" class="stack" novalidate>
                                <Field label="Name" name="name" value=flash.value("name") error=flash.error("name") required=true/>
                                <Field label="Slug" name="slug" value=flash.value("slug") error=flash.error("slug")
                                    hint="Lowercase letters, digits and dashes; your console lives at /t/<slug>/admin."/>
                                <div class="field" class:field-invalid=url_invalid>
                                    <label for="apply-urls">"FHIR base URLs"</label>
                                    <textarea id="apply-urls" name="fhir_base_urls" rows="3" aria-describedby="apply-urls-hint">{flash.value("fhir_base_urls")}</textarea>
                                    <p class="field-hint" id="apply-urls-hint">"One per line, e.g. https://fhir.example.org/r4."</p>
                                    {url_error.map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                                </div>
                                <div class="field" class:field-invalid=message_invalid>
                                    <label for="apply-message">"Anything the reviewers should know (optional)"</label>
                                    <textarea id="apply-message" name="message" rows="4">{flash.value("message")}</textarea>
                                    {message_error.map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                                </div>
                                <button class="button button-primary" type="submit">"Apply"</button>
                            </form>
                        </section>
                        <section class="card" aria-labelledby="applications-title">
                            <h2 id="applications-title">"Your applications"</h2>
                            {if applications.is_empty() {
                                view! { <p class="muted">"None yet."</p> }.into_any()
                            } else {
                                view! {
                                    <ul class="activity">{applications.into_iter().map(|a| {
                                        let link = (a.state == "approved").then(|| format!("/t/{}/admin", a.slug));
                                        view! {
                                            <li>
                                                <strong>{a.name}</strong>" "<span class="badge">{a.state.clone()}</span>" "
                                                <span class="muted">{a.created}</span>
                                                {a.reason.map(|r| view! { <p class="muted">{r}</p> })}
                                                {link.map(|href| view! { <p><a href=href>"Open the tenant console"</a></p> })}
                                            </li>
                                        }
                                    }).collect_view()}</ul>
                                }.into_any()
                            }}
                        </section>
                    </div>
                }.into_any()
            })}
        </Suspense>
    }
}
