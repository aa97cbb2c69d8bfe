//! The tenant console (`/t/{tenant}/admin`): installs with their granted
//! scopes and lifecycle, the approval screen for a new install, and API
//! keys for the EHR.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::{install_preview, load_page, tenant_console};
use crate::components::form::{Field, FlashMessage};
use crate::model::{Flash, InstallPreview, InstallRow, KeyRow, TenantConsole, WebhookRow};

const KEY_SCOPES: &[(&str, &str)] = &[
    (
        "registrations:read",
        "Read the registrations (the EHR registry API)",
    ),
    ("launch:write", "Create EHR launch contexts"),
    ("introspect", "Introspect access tokens"),
    ("installs:write", "Install and change apps"),
];

fn log_in_first(next: String) -> AnyView {
    view! {
        <section class="empty-state">
            <h1>"Log in to manage your health system"</h1>
            <a class="button button-primary" href=format!("/login?next={next}")>"Log in"</a>
        </section>
    }
    .into_any()
}

#[component]
pub fn TenantConsolePage() -> impl IntoView {
    let params = use_params_map();
    let tenant = move || params.read().get("tenant").unwrap_or_default();
    let state = Resource::new(|| (), |_| load_page("tenant".to_owned()));
    let console = Resource::new(tenant, tenant_console);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let state = state.await.unwrap_or_default();
                if state.account.is_none() {
                    return log_in_first(format!("/t/{}/admin", tenant()));
                }
                match console.await.ok().flatten() {
                    Some(console) => view! { <ConsoleView console flash=state.flash/> }.into_any(),
                    None => view! { <crate::pages::not_found::NotFound/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ConsoleView(console: TenantConsole, flash: Flash) -> impl IntoView {
    let new_key = flash.values.get("new_key").cloned();
    let key_action = format!("/t/{}/admin/keys", console.slug);
    let slug = console.slug.clone();
    view! {
        <Title text=format!("{} · Tenant console", console.name)/>
        <div class="page-header">
            <h1>{console.name.clone()}</h1>
            <p class="muted">"Tenant console: the apps your health system runs, and the keys your EHR uses."</p>
        </div>
        <FlashMessage flash=flash.clone()/>
        {new_key.map(|key| view! {
            <div class="notice notice-success token-reveal" role="status">
                <p><strong>"Your new API key. Copy it now: it will not be shown again."</strong></p>
                <code class="token-value" data-testid="new-key">{key}</code>
            </div>
        })}
        <section class="card" aria-labelledby="installs-title">
            <h2 id="installs-title">"Installed apps"</h2>
            {if console.installs.is_empty() {
                view! { <p class="muted">"No apps yet. Find one in the "<a href="/apps">"gallery"</a>" and install it from its page."</p> }.into_any()
            } else {
                view! {
                    <ul class="install-list">
                        {console.installs.into_iter().map(|install| view! { <InstallItem install tenant=slug.clone()/> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <section class="card section-gap" aria-labelledby="keys-title">
            <h2 id="keys-title">"API keys"</h2>
            <p class="muted">"Your EHR reads the registrations with a key: "<code>"GET /api/v1/registrations"</code>" with "<code>"Authorization: Bearer <key>"</code>"."</p>
            {(!console.keys.is_empty()).then(|| view! {
                <div class="table-wrap"><table class="table">
                    <thead><tr><th scope="col">"Name"</th><th scope="col">"Scopes"</th><th scope="col">"Created"</th><th scope="col">"Last used"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                    <tbody>{console.keys.into_iter().map(|key| view! { <KeyItem key tenant=console.slug.clone()/> }).collect_view()}</tbody>
                </table></div>
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
        <WebhookSection tenant=console.slug.clone() webhook=console.webhook flash=flash.clone()/>
        <section class="card section-gap" aria-labelledby="audit-title">
            <h2 id="audit-title">"Audit log"</h2>
            <p><a href=format!("/t/{}/admin/audit.csv", console.slug) download>"Download the whole log (CSV)"</a></p>
            <ul class="activity">{console.activity.into_iter().map(|a| view! {
                <li><span class="muted">{a.at}</span>" "<strong>{a.who}</strong>" "{a.what}</li>
            }).collect_view()}</ul>
        </section>
    }
}

/// The webhook URL form (the signing secret is shown once after saving)
/// and the delivery log.
#[component]
fn WebhookSection(tenant: String, webhook: Option<WebhookRow>, flash: Flash) -> impl IntoView {
    let secret = flash.values.get("new_webhook_secret").cloned();
    let current = webhook.as_ref().map(|w| w.url.clone()).unwrap_or_default();
    let url = Some(flash.value("url"))
        .filter(|v| !v.is_empty())
        .unwrap_or(current);
    view! {
        <section class="card section-gap" aria-labelledby="webhook-title">
            <h2 id="webhook-title">"Webhook"</h2>
            <p class="muted">"Sidecar posts registration.created, .updated, .suspended and .revoked events here, signed with HMAC-SHA-256 in the Sidecar-Signature header, and retries failures with growing delays."</p>
            {secret.map(|secret| view! {
                <div class="notice notice-success token-reveal" role="status">
                    <p><strong>"The signing secret. Copy it now: it will not be shown again."</strong></p>
                    <code class="token-value" data-testid="webhook-secret">{secret}</code>
                </div>
            })}
            <form method="post" action=format!("/t/{tenant}/admin/webhook") class="stack" novalidate>
                <Field label="URL" name="url" kind="url" value=url error=flash.error("url") hint="https; saving makes a new signing secret."/>
                <button class="button button-secondary" type="submit">"Save webhook"</button>
            </form>
            {webhook.filter(|w| !w.deliveries.is_empty()).map(|w| view! {
                <div class="table-wrap section-gap"><table class="table">
                    <thead><tr><th scope="col">"Event"</th><th scope="col">"Queued"</th><th scope="col">"Attempts"</th><th scope="col">"Outcome"</th></tr></thead>
                    <tbody>{w.deliveries.into_iter().map(|d| view! {
                        <tr><td><code>{d.event}</code></td><td>{d.created}</td><td>{d.attempts}</td><td>{d.outcome}</td></tr>
                    }).collect_view()}</tbody>
                </table></div>
            })}
        </section>
    }
}

#[component]
fn InstallItem(install: InstallRow, tenant: String) -> impl IntoView {
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
                <span class="muted">{format!("version {}", install.version)}</span>
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
                    <form method="post" action=format!("{base}/update")>
                        <button class="button button-primary" type="submit">"Approve update"</button>
                    </form>
                </div>
            })}
            <div class="actions">
                {(state == "active").then(|| action("suspend", "Suspend", "button-secondary"))}
                {(state == "suspended").then(|| action("resume", "Resume", "button-secondary"))}
                {(state != "revoked").then(|| action("revoke", "Revoke", "button-danger"))}
            </div>
        </li>
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
            <p class="muted">{format!("Version {}. Grant what your health system is willing to share: the app asks for the scopes below.", preview.version)}</p>
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
            <button class="button button-primary" type="submit">"Approve and install"</button>
        </form>
    }
}
