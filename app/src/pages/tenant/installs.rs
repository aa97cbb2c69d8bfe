//! The tenant's installed apps: granted scopes, a pending update waiting
//! for approval, where each one's client lives, and (for admins) suspend,
//! resume, revoke, moving to another authorization server and the hand-off
//! at a manual one.

use leptos::prelude::*;

use super::version_label;
use crate::model::{InstallRow, ManualLine, ProvisioningLine, ServerRow};

#[component]
pub(super) fn InstallsSection(
    tenant: String,
    installs: Vec<InstallRow>,
    servers: Vec<ServerRow>,
    sandbox: bool,
    admin: bool,
) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="installs-title">
            <h2 id="installs-title">"Installed apps"</h2>
            {if installs.is_empty() {
                if sandbox {
                    view! { <p class="muted">"Nothing installed yet. Open one of your apps in the "<a href="/dev">"developer console"</a>" and install it here."</p> }.into_any()
                } else {
                    view! { <p class="muted">"No apps yet. Find one in the "<a href="/apps">"gallery"</a>" and install it from its page."</p> }.into_any()
                }
            } else {
                view! {
                    <ul class="install-list">
                        {installs.into_iter().map(|install| view! { <InstallItem install tenant=tenant.clone() servers=servers.clone() admin/> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn InstallItem(
    install: InstallRow,
    tenant: String,
    servers: Vec<ServerRow>,
    admin: bool,
) -> impl IntoView {
    let base = format!("/t/{tenant}/admin/installs/{}", install.id);
    let action = |verb: &'static str, label: &'static str, class: &'static str| {
        view! {
            <form method="post" action=format!("{base}/{verb}")>
                <button class=format!("button {class}") type="submit">{label}</button>
            </form>
        }
    };
    let state = install.state.clone();
    let here = install
        .provisioning
        .as_ref()
        .map_or_else(|| "builtin".to_owned(), |p| p.server_id.clone());
    let movable = admin && state != "revoked" && servers.len() > 1;
    view! {
        <li class="install">
            <div class="install-head">
                <h3><a href=format!("/apps/{}", install.app)>{install.app_name.clone()}</a></h3>
                <span class="badge">{install.state.clone()}</span>
                <span class="muted">{version_label(install.version)}</span>
            </div>
            {match install.provisioning.clone() {
                None => view! { <p class="muted">"Client id "<code>{install.client_id.clone()}</code></p> }.into_any(),
                Some(p) => view! { <Provisioning p base=base.clone() admin/> }.into_any(),
            }}
            <details>
                <summary>{format!("Granted: {} scopes", install.scopes.len())}</summary>
                <ul class="scope-list">{install.scopes.into_iter().map(|s| view! {
                    <li><span class="scope-meaning">{s.meaning}</span><code class="scope-code">{s.scope}</code></li>
                }).collect_view()}</ul>
            </details>
            {install.pending.map(|(version, changes)| view! {
                <div class="notice notice-info">
                    <p><strong>{format!("Version {version} waits for your approval")}</strong>" — it asks for more than the installed one:"</p>
                    <crate::components::ChangeList changes/>
                    {admin.then(|| view! {
                        <form method="post" action=format!("{base}/update")>
                            <button class="button button-primary" type="submit">"Approve update"</button>
                        </form>
                    })}
                </div>
            })}
            {admin.then(|| view! {
                <div class="actions">
                    {(state == "active").then(|| action("suspend", "Suspend", "button-secondary"))}
                    {(state == "suspended").then(|| action("resume", "Resume", "button-secondary"))}
                    {(state != "revoked").then(|| action("revoke", "Revoke", "button-danger"))}
                </div>
            })}
            {movable.then(|| view! { <MoveForm base=base.clone() servers here/> })}
        </li>
    }
}

/// The install's client at the tenant's own server: its state, the
/// server's words when it went wrong, and "retry now".
#[component]
fn Provisioning(p: ProvisioningLine, base: String, admin: bool) -> impl IntoView {
    let retry = admin && p.retryable();
    let trouble = matches!(
        p.state.as_str(),
        "failed" | "rejected" | "orphaned" | "retrying"
    );
    view! {
        <div class=if trouble { "notice notice-error" } else { "provisioning" }>
            <p>
                "At "<strong>{p.server_name.clone()}</strong>" ("<code>{p.issuer.clone()}</code>"): "
                <span class="badge">{p.state.replace('_', " ")}</span>
                {p.client_id.clone().map(|id| view! { " client id "<code>{id}</code> })}
            </p>
            {(p.attempts > 0).then(|| view! {
                <p class="muted">{format!("{} failed attempt(s)", p.attempts)}{p.next_attempt.clone().map(|t| format!("; next at {t}"))}</p>
            })}
            {p.last_error.clone().map(|e| view! { <p>{e}</p> })}
            {(!p.possible_orphans.is_empty()).then(|| view! {
                <p>"A registration whose answer was lost may have left a client at the server; look for and delete: "
                    {p.possible_orphans.iter().map(|n| view! { <code>{n.clone()}</code>" " }).collect_view()}</p>
            })}
            {retry.then(|| view! {
                <form method="post" action=format!("{base}/retry")>
                    <button class="button button-secondary" type="submit">"Retry now"</button>
                </form>
            })}
            {p.manual.clone().filter(|_| admin).map(|m| view! { <ManualHandoff m base=base.clone() server=p.server_name.clone()/> })}
        </div>
    }
}

/// What to enter at a manual server, and the form that says it is done.
#[component]
fn ManualHandoff(m: ManualLine, base: String, server: String) -> impl IntoView {
    let id = base.rsplit('/').next().unwrap_or_default().to_owned();
    if m.action == "remove" {
        return view! {
            <p>{format!("The install is no longer active: delete its client at {server}, then confirm here.")}</p>
            <form method="post" action=format!("{base}/manual")>
                <button class="button button-secondary" type="submit">"Removed there"</button>
            </form>
        }
        .into_any();
    }
    view! {
        <p>{format!("{server} has no registration API: register the app there with these details, then enter the client id it gives.")}</p>
        <table class="manual-table">
            <tbody>
                {m.table.into_iter().map(|(label, value)| view! {
                    <tr><th scope="row">{label}</th><td><pre>{value}</pre></td></tr>
                }).collect_view()}
            </tbody>
        </table>
        <details>
            <summary>"As RFC 7591 JSON"</summary>
            <pre class="code-block">{m.registration_json}</pre>
        </details>
        <form method="post" action=format!("{base}/manual") class="stack">
            <div class="field">
                <label for=format!("manual-client-{id}")>"Client id at "{server.clone()}</label>
                <input id=format!("manual-client-{id}") name="client_id" type="text" required autocomplete="off" spellcheck="false"/>
            </div>
            <div class="field">
                <label for=format!("manual-secret-{id}")>"Client secret (optional)"</label>
                <input id=format!("manual-secret-{id}") name="client_secret" type="password" autocomplete="off"
                    aria-describedby=format!("manual-secret-hint-{id}")/>
                <p class="field-hint" id=format!("manual-secret-hint-{id}")>"If the server made one. Kept sealed; only the app's developer sees it, once."</p>
            </div>
            <button class="button button-primary" type="submit">"Save client"</button>
        </form>
    }
    .into_any()
}

/// Moving the install to another of the tenant's authorization servers.
#[component]
fn MoveForm(base: String, servers: Vec<ServerRow>, here: String) -> impl IntoView {
    let id = base.rsplit('/').next().unwrap_or_default().to_owned();
    view! {
        <details class="move-install">
            <summary>"Move to another authorization server"</summary>
            <form method="post" action=format!("{base}/move") class="stack">
                <div class="field">
                    <label for=format!("move-{id}")>"Authorization server"</label>
                    <select id=format!("move-{id}") name="authorization_server" aria-describedby=format!("move-hint-{id}")>
                        {servers.into_iter().filter(|s| s.id != here).map(|s| view! {
                            <option value=s.id.clone()>{s.name.clone()}</option>
                        }).collect_view()}
                    </select>
                    <p class="field-hint" id=format!("move-hint-{id}")>"The app is registered at the new server; its client at the current one is removed once the new one is active."</p>
                </div>
                <button class="button button-secondary" type="submit">"Move"</button>
            </form>
        </details>
    }
}
