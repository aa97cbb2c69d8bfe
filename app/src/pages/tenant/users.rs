//! The tenant's end users, who log in when an app launches against it.

use leptos::prelude::*;

use crate::components::form::Field;
use crate::components::ScrollingTable;
use crate::model::{EndUserRow, Flash};

/// The people who log in at the tenant's authorization server, and (for
/// admins) adding one.
#[component]
pub(super) fn UsersSection(
    tenant: String,
    users: Vec<EndUserRow>,
    admin: bool,
    flash: Flash,
) -> impl IntoView {
    let remove = format!("/t/{tenant}/admin/users/remove");
    view! {
        <section class="card section-gap" aria-labelledby="users-title">
            <h2 id="users-title">"End users"</h2>
            <p class="muted">"The clinicians and patients who log in when an app launches against this tenant. Each is a FHIR resource: tokens name it as "<code>"fhirUser"</code>"."</p>
            {(!users.is_empty()).then(|| view! {
                <ScrollingTable label="End users">
                    <thead><tr><th scope="col">"Username"</th><th scope="col">"FHIR user"</th><th scope="col">"Added"</th>
                        {admin.then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}</tr></thead>
                    <tbody>{users.into_iter().map(|u| {
                        let remove = remove.clone();
                        view! {
                            <tr>
                                <td>{u.username}</td>
                                <td><code>{u.fhir_user}</code></td>
                                <td>{u.created}</td>
                                {admin.then(|| view! {
                                    <td><form method="post" action=remove>
                                        <input type="hidden" name="id" value=u.id/>
                                        <button class="button button-quiet" type="submit">"Remove"</button>
                                    </form></td>
                                })}
                            </tr>
                        }
                    }).collect_view()}</tbody>
                </ScrollingTable>
            })}
            {admin.then(|| view! {
                <form method="post" action=format!("/t/{tenant}/admin/users") class="stack section-gap" novalidate>
                    <Field label="Username" name="username" value=flash.value("username") error=flash.error("username")
                        autocomplete="off" hint="Letters, digits, dots, underscores or hyphens."/>
                    <Field label="Password" name="password" kind="password" error=flash.error("password")
                        autocomplete="new-password" hint="At least 8 characters; a phrase of unrelated words works well."/>
                    <Field label="FHIR user" name="fhir_user" value=flash.value("fhir_user") error=flash.error("fhir_user")
                        hint="The resource they are, e.g. Practitioner/123 or Patient/456."/>
                    <button class="button button-secondary" type="submit">"Add user"</button>
                </form>
            })}
        </section>
    }
}
