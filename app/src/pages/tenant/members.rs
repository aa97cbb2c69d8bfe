//! The tenant's members: who may see or run its console.

use leptos::prelude::*;

use crate::components::form::Field;
use crate::components::ScrollingTable;
use crate::model::{Flash, MemberRow};

/// Who belongs to the tenant, and (for admins) inviting by email.
#[component]
pub(super) fn MembersSection(
    tenant: String,
    members: Vec<MemberRow>,
    admin: bool,
    flash: Flash,
) -> impl IntoView {
    let remove = format!("/t/{tenant}/admin/members/remove");
    let role = Some(flash.value("role"))
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "viewer".to_owned());
    view! {
        <section class="card section-gap" aria-labelledby="members-title">
            <h2 id="members-title">"Members"</h2>
            <ScrollingTable label="Members">
                <thead><tr><th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col">"Status"</th>
                    {admin.then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}</tr></thead>
                <tbody>{members.into_iter().map(|m| {
                    let remove = remove.clone();
                    let email = m.email.clone();
                    view! {
                        <tr>
                            <td>{m.email}</td>
                            <td>{m.role}</td>
                            <td>{if m.active { "member" } else { "invited" }}</td>
                            {admin.then(|| view! {
                                <td><form method="post" action=remove>
                                    <input type="hidden" name="email" value=email/>
                                    <button class="button button-quiet" type="submit">"Remove"</button>
                                </form></td>
                            })}
                        </tr>
                    }
                }).collect_view()}</tbody>
            </ScrollingTable>
            {admin.then(|| view! {
                <form method="post" action=format!("/t/{tenant}/admin/members") class="stack section-gap" novalidate>
                    <Field label="Email" name="email" kind="email" value=flash.value("email") error=flash.error("email")
                        hint="An existing account joins at once; anyone else is invited by mail."/>
                    <fieldset class="field choices" class:field-invalid=flash.error("role").is_some()>
                        <legend>"Role"</legend>
                        <div class="choice-list">
                            <label class="choice"><input type="radio" name="role" value="viewer" checked=role == "viewer"/>"Viewer: sees installs and the audit log"</label>
                            <label class="choice"><input type="radio" name="role" value="admin" checked=role == "admin"/>"Admin: installs apps, manages keys and members"</label>
                        </div>
                        {flash.error("role").map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                    </fieldset>
                    <button class="button button-secondary" type="submit">"Add member"</button>
                </form>
            })}
        </section>
    }
}
