//! The tenant's installed apps: granted scopes, a pending update waiting
//! for approval, and (for admins) suspend, resume and revoke.

use leptos::prelude::*;

use super::version_label;
use crate::model::InstallRow;

#[component]
pub(super) fn InstallsSection(
    tenant: String,
    installs: Vec<InstallRow>,
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
                        {installs.into_iter().map(|install| view! { <InstallItem install tenant=tenant.clone() admin/> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn InstallItem(install: InstallRow, tenant: String, admin: bool) -> impl IntoView {
    let base = format!("/t/{tenant}/admin/installs/{}", install.id);
    let action = |verb: &'static str, label: &'static str, class: &'static str| {
        view! {
            <form method="post" action=format!("{base}/{verb}")>
                <button class=format!("button {class}") type="submit">{label}</button>
            </form>
        }
    };
    let state = install.state.clone();
    view! {
        <li class="install">
            <div class="install-head">
                <h3><a href=format!("/apps/{}", install.app)>{install.app_name.clone()}</a></h3>
                <span class="badge">{install.state.clone()}</span>
                <span class="muted">{version_label(install.version)}</span>
            </div>
            <p class="muted">"Client id "<code>{install.client_id.clone()}</code></p>
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
        </li>
    }
}
