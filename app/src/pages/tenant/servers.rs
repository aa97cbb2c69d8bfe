//! The tenant's authorization servers: the built-in one and those the
//! health system runs itself, each with what the last check found; admins
//! add one, test it, choose the default, remove one.

use leptos::prelude::*;

use crate::components::form::Field;
use crate::components::ScrollingTable;
use crate::model::{Flash, ServerRow};

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "builtin" => "built in",
        "rfc7591" => "dynamic registration",
        _ => "by hand",
    }
}

#[component]
pub(super) fn ServersSection(
    tenant: String,
    servers: Vec<ServerRow>,
    admin: bool,
    flash: Flash,
) -> impl IntoView {
    let kind = Some(flash.value("kind"))
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "rfc7591".to_owned());
    let add = format!("/t/{tenant}/admin/authorization-servers");
    view! {
        <section class="card section-gap" aria-labelledby="servers-title">
            <h2 id="servers-title">"Authorization servers"</h2>
            <p class="muted">"Where your apps' clients live: Sidecar's built-in server, or your own (Keycloak, Okta, your EHR vendor's). Sidecar reads each server's metadata and registers clients there by RFC 7591, or shows you what to enter by hand."</p>
            <ScrollingTable label="Authorization servers">
                <thead><tr><th scope="col">"Name"</th><th scope="col">"Kind"</th><th scope="col">"Issuer"</th><th scope="col">"Status"</th>
                    {admin.then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}</tr></thead>
                <tbody>{servers.into_iter().map(|s| {
                    let at = format!("/t/{tenant}/admin/authorization-servers/{}", s.id);
                    let status = match (s.status.as_str(), &s.status_detail) {
                        (status @ ("unreachable" | "invalid"), Some(why)) => format!("{status}: {why}"),
                        (status, _) => status.to_owned(),
                    };
                    view! {
                        <tr data-testid=format!("server-{}", s.name)>
                            <td>{s.name.clone()}{s.default.then(|| view! { " " <span class="badge">"default"</span> })}</td>
                            <td>{kind_label(&s.kind)}</td>
                            <td><code>{s.issuer}</code></td>
                            <td>{status}</td>
                            {admin.then(|| view! {
                                <td class="row-actions">
                                    <form method="post" action=format!("{at}/check")>
                                        <button class="button button-quiet" type="submit">"Test connection"</button>
                                    </form>
                                    {(!s.default).then(|| view! {
                                        <form method="post" action=format!("{at}/default")>
                                            <button class="button button-quiet" type="submit">"Make default"</button>
                                        </form>
                                    })}
                                    {(s.kind != "builtin").then(|| view! {
                                        <form method="post" action=format!("{at}/remove")>
                                            <button class="button button-quiet" type="submit">"Remove"</button>
                                        </form>
                                    })}
                                </td>
                            })}
                        </tr>
                    }
                }).collect_view()}</tbody>
            </ScrollingTable>
            {admin.then(|| view! {
                <form method="post" action=add class="stack section-gap" novalidate>
                    <Field label="Name" name="name" id="server-name" value=flash.value("name") error=flash.error("name")
                        hint="How your people know it, e.g. North Keycloak."/>
                    <fieldset class="field choices" class:field-invalid=flash.error("kind").is_some()>
                        <legend>"Kind"</legend>
                        <div class="choice-list">
                            <label class="choice"><input type="radio" name="kind" value="rfc7591" checked=kind == "rfc7591"/>"Dynamic registration (RFC 7591): Sidecar registers each app there"</label>
                            <label class="choice"><input type="radio" name="kind" value="manual" checked=kind == "manual"/>"By hand: Sidecar shows what to enter there"</label>
                        </div>
                        {flash.error("kind").map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                    </fieldset>
                    <Field label="Issuer" name="issuer" kind="url" value=flash.value("issuer") error=flash.error("issuer")
                        hint="The server's issuer URL, e.g. https://id.example.org/realms/north."/>
                    <Field label="Initial access token (optional)" name="initial_access_token" kind="password" autocomplete="off"
                        error=flash.error("initial_access_token")
                        hint="If the server asks for one to register clients. Kept sealed; never shown again."/>
                    <div><label class="choice"><input type="checkbox" name="default"/>"Make it the default for new installs"</label></div>
                    <button class="button button-secondary" type="submit">"Add server"</button>
                </form>
            })}
        </section>
    }
}
