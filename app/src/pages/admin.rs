//! The platform console (`/admin`): tenants, for the platform's admins.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{admin_tenants, load_page, pending_tenant_applications};
use crate::components::form::{Field, FlashMessage};
use crate::components::ScrollingTable;
use crate::model::{ApplicationRow, Flash};

#[component]
pub fn AdminPage() -> impl IntoView {
    let state = Resource::new(|| (), |_| load_page("admin admin-applications".to_owned()));
    let tenants = Resource::new(|| (), |_| admin_tenants());
    let applications = Resource::new(|| (), |_| pending_tenant_applications());
    view! {
        <Title text="Platform console"/>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let state = state.await.unwrap_or_default();
                let is_admin = state
                    .account
                    .as_ref()
                    .and_then(|a| a.platform_role.as_deref())
                    == Some("admin");
                let Some(tenants) = tenants.await.ok().flatten().filter(|_| is_admin) else {
                    return view! {
                        <section class="empty-state">
                            <h1>"For the platform's admins"</h1>
                            <p>"Log in with an admin account to manage tenants."</p>
                            <a class="button button-primary" href="/login?next=/admin">"Log in"</a>
                        </section>
                    }.into_any();
                };
                let flash = state.flash;
                let applications = applications.await.unwrap_or_default();
                view! {
                    <div class="page-header">
                        <h1>"Platform console"</h1>
                        <p class="muted">"Health systems (tenants) on this Sidecar."</p>
                    </div>
                    <FlashMessage flash=flash.clone()/>
                    <Applications applications flash=flash.clone()/>
                    <div class="grid-2 section-gap">
                        <section class="card" aria-labelledby="tenants-title">
                            <h2 id="tenants-title">"Tenants"</h2>
                            {if tenants.is_empty() {
                                view! { <p class="muted">"No tenants yet."</p> }.into_any()
                            } else {
                                view! {
                                    <ScrollingTable label="Tenants">
                                        <thead><tr><th scope="col">"Name"</th><th scope="col">"Slug"</th><th scope="col">"Created"</th></tr></thead>
                                        <tbody>{tenants.into_iter().map(|t| view! {
                                            <tr><td>{t.name}</td><td><code>{t.slug}</code></td><td>{t.created}</td></tr>
                                        }).collect_view()}</tbody>
                                    </ScrollingTable>
                                }.into_any()
                            }}
                        </section>
                        <section class="card" aria-labelledby="new-tenant-title">
                            <h2 id="new-tenant-title">"Create a tenant"</h2>
                            <form method="post" action="/admin/tenants" class="stack" novalidate>
                                <Field label="Name" name="name" value=flash.value("name") error=flash.error("name") required=true/>
                                <Field label="Slug" name="slug" value=flash.value("slug") error=flash.error("slug")
                                    hint="Lowercase letters, digits and dashes; the issuer becomes /t/<slug>."/>
                                <Field label="Admin's email" name="admin_email" kind="email" value=flash.value("admin_email") error=flash.error("admin_email")
                                    hint="An existing account becomes the admin at once; anyone else is invited by mail."/>
                                <button class="button button-primary" type="submit">"Create tenant"</button>
                            </form>
                        </section>
                    </div>
                }.into_any()
            })}
        </Suspense>
    }
}

/// Health systems waiting for a decision.
#[component]
fn Applications(applications: Vec<ApplicationRow>, flash: Flash) -> impl IntoView {
    let reason_error = (flash.form == "admin-applications")
        .then(|| flash.error("reason"))
        .flatten();
    view! {
        <section class="card" aria-labelledby="applications-title">
            <h2 id="applications-title">"Applications"</h2>
            {if applications.is_empty() {
                view! { <p class="muted">"No health system is waiting."</p> }.into_any()
            } else {
                view! {
                    <ul class="install-list">{applications.into_iter().map(|a| {
                        let base = format!("/admin/applications/{}", a.id);
                        let reason_id = format!("reason-{}", a.id);
                        view! {
                            <li class="install">
                                <div class="install-head">
                                    <h3>{a.name}</h3>
                                    <code>{a.slug}</code>
                                    <span class="muted">{format!("{} · {}", a.applicant, a.created)}</span>
                                </div>
                                <ul>{a.fhir_base_urls.into_iter().map(|u| view! { <li><code>{u}</code></li> }).collect_view()}</ul>
                                {(!a.message.is_empty()).then(|| view! { <p>{a.message}</p> })}
                                <div class="actions">
                                    <form method="post" action=format!("{base}/approve")>
                                        <button class="button button-primary" type="submit">"Approve"</button>
                                    </form>
                                    <form method="post" action=format!("{base}/reject") class="decline-form">
                                        <label class="visually-hidden" for=reason_id.clone()>"Reason"</label>
                                        <input id=reason_id type="text" name="reason" placeholder="Why not (sent to the applicant)"/>
                                        <button class="button button-danger" type="submit">"Decline"</button>
                                    </form>
                                </div>
                            </li>
                        }
                    }).collect_view()}</ul>
                    {reason_error.map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                }.into_any()
            }}
        </section>
    }
}
