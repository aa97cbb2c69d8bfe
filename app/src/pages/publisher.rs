//! A publisher organisation in the developer console: its members and
//! invitations (`/dev/publishers/{slug}`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::{dev_publisher, load_page};
use crate::components::form::{Field, FlashMessage};
use crate::components::ScrollingTable;
use crate::model::{Flash, PublisherPage};

const ROLES: &[(&str, &str)] = &[
    (
        "developer",
        "Developer: registers apps and submits versions",
    ),
    ("admin", "Admin: also invites members"),
    ("owner", "Owner: also makes owners"),
];

#[component]
pub fn DevPublisherPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let state = Resource::new(|| (), |_| load_page("dev-publisher".to_owned()));
    let publisher = Resource::new(slug, dev_publisher);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let state = state.await.unwrap_or_default();
                if state.account.is_none() {
                    return super::dev::login_needed();
                }
                match publisher.await.ok().flatten() {
                    Some(page) => view! { <PublisherView page flash=state.flash/> }.into_any(),
                    None => view! { <crate::pages::not_found::NotFound/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn PublisherView(page: PublisherPage, flash: Flash) -> impl IntoView {
    let action = format!("/dev/publishers/{}/members", page.slug);
    let chosen = flash.value("role");
    let role_error = flash.error("role");
    let role_invalid = role_error.is_some();
    view! {
        <Title text=format!("{} · Developer console", page.name)/>
        <nav class="breadcrumbs" aria-label="Breadcrumb"><a href="/dev">"Developer console"</a> " / " <span aria-current="page">{page.name.clone()}</span></nav>
        <div class="page-header">
            <h1>{page.name.clone()}</h1>
            <p class="muted">{format!("Publisher organisation · your role: {}", page.role)}</p>
        </div>
        <FlashMessage flash=flash.clone()/>
        <div class="grid-2">
            <section class="card" aria-labelledby="members-title">
                <h2 id="members-title">"Members"</h2>
                <ScrollingTable label="Members">
                    <thead><tr><th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col">"Status"</th></tr></thead>
                    <tbody>{page.members.into_iter().map(|m| view! {
                        <tr>
                            <td>{m.email}</td>
                            <td>{m.role}</td>
                            <td>{if m.active { view! { <span class="badge">"Member"</span> }.into_any() } else { view! { <span class="badge badge-quiet">"Invited"</span> }.into_any() }}</td>
                        </tr>
                    }).collect_view()}</tbody>
                </ScrollingTable>
            </section>
            <section class="card" aria-labelledby="invite-title">
                <h2 id="invite-title">"Invite a member"</h2>
                <p class="muted">"Someone with an account joins at once; anyone else gets an invitation by mail and joins when they sign up."</p>
                <form method="post" action=action class="stack" novalidate>
                    <Field label="Email" name="email" kind="email" value=flash.value("email") error=flash.error("email") autocomplete="off" required=true/>
                    <fieldset class="field choices" class:field-invalid=role_invalid>
                        <legend>"Role"</legend>
                        <div class="stack-tight">
                            {ROLES.iter().map(|(value, text)| {
                                let checked = if chosen.is_empty() { *value == "developer" } else { chosen == *value };
                                view! {
                                    <label class="choice"><input type="radio" name="role" value=*value checked=checked/>{*text}</label>
                                }
                            }).collect_view()}
                        </div>
                        {role_error.map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                    </fieldset>
                    <button class="button button-primary" type="submit">"Invite"</button>
                </form>
            </section>
        </div>
    }
}
