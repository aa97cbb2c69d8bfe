//! The tenant console (`/t/{tenant}/admin`): installs with their granted
//! scopes and lifecycle, the approval screen for a new install, and API
//! keys for the EHR.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::{install_preview, load_page, tenant_console};
use crate::components::form::{Field, FlashMessage};
use crate::components::ScrollingTable;
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

/// Version 0 is the draft a sandbox runs.
fn version_label(version: i32) -> String {
    if version == 0 {
        "the current draft".to_owned()
    } else {
        format!("version {version}")
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

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
    let state = Resource::new(
        || (),
        |_| load_page("tenant tenant-settings tenant-members tenant-users".to_owned()),
    );
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

/// The flash when it is for `form`, else an empty one: each form on the
/// console shows its own errors and values.
fn flash_for(flash: &Flash, form: &str) -> Flash {
    if flash.form == form {
        flash.clone()
    } else {
        Flash::default()
    }
}

#[component]
fn ConsoleView(console: TenantConsole, flash: Flash) -> impl IntoView {
    let new_key = flash.values.get("new_key").cloned();
    let key_action = format!("/t/{}/admin/keys", console.slug);
    let slug = console.slug.clone();
    let admin = console.admin;
    let keys_flash = flash_for(&flash, "tenant");
    let intro = if console.sandbox {
        "Your publisher's sandbox: your apps install here at once, drafts included, so you can try them before review. The installed draft follows every save."
    } else if admin {
        "Tenant console: the apps your health system runs, and the keys your EHR uses."
    } else {
        "Tenant console (viewer): what your health system runs. Ask an admin to change anything."
    };
    view! {
        <Title text=format!("{} · Tenant console", console.name)/>
        <div class="page-header">
            <h1>{console.name.clone()}</h1>
            <p class="muted">{intro}</p>
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
                if console.sandbox {
                    view! { <p class="muted">"Nothing installed yet. Open one of your apps in the "<a href="/dev">"developer console"</a>" and install it here."</p> }.into_any()
                } else {
                    view! { <p class="muted">"No apps yet. Find one in the "<a href="/apps">"gallery"</a>" and install it from its page."</p> }.into_any()
                }
            } else {
                view! {
                    <ul class="install-list">
                        {console.installs.into_iter().map(|install| view! { <InstallItem install tenant=slug.clone() admin/> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        {view! { <SettingsSection tenant=console.slug.clone() name=console.name.clone() urls=console.fhir_base_urls admin flash=flash_for(&flash, "tenant-settings")/> }.into_any()}
        {(!console.sandbox).then(|| view! {
            <MembersSection tenant=console.slug.clone() members=console.members admin flash=flash_for(&flash, "tenant-members")/>
        }.into_any())}
        <UsersSection tenant=console.slug.clone() users=console.users admin flash=flash_for(&flash, "tenant-users")/>
        {admin.then(|| view! {
            <section class="card section-gap" aria-labelledby="keys-title">
                <h2 id="keys-title">"API keys"</h2>
                <p class="muted">"Your EHR reads the registrations with a key: "<code>"GET /api/v1/registrations"</code>" with "<code>"Authorization: Bearer <key>"</code>"."</p>
                {(!console.keys.is_empty()).then(|| {
                    let tenant = console.slug.clone();
                    view! {
                    <ScrollingTable label="API keys">
                        <thead><tr><th scope="col">"Name"</th><th scope="col">"Scopes"</th><th scope="col">"Created"</th><th scope="col">"Last used"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                        <tbody>{console.keys.into_iter().map(|key| view! { <KeyItem key tenant=tenant.clone()/> }).collect_view()}</tbody>
                    </ScrollingTable>
                    }
                })}
                <form method="post" action=key_action class="stack section-gap" novalidate>
                    <Field label="Key name" name="name" value=keys_flash.value("name") error=keys_flash.error("name") hint="Which system uses it, e.g. the EHR's integration engine."/>
                    <fieldset class="field choices" class:field-invalid=keys_flash.error("scopes").is_some()>
                        <legend>"Scopes"</legend>
                        <div class="choice-list">
                            {KEY_SCOPES.iter().map(|(value, text)| view! {
                                <label class="choice"><input type="checkbox" name="scopes" value=*value checked=*value == "registrations:read"/>{*text}</label>
                            }).collect_view()}
                        </div>
                        {keys_flash.error("scopes").map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                    </fieldset>
                    <button class="button button-secondary" type="submit">"Create key"</button>
                </form>
            </section>
            <WebhookSection tenant=console.slug.clone() webhook=console.webhook flash=keys_flash.clone()/>
        }.into_any())}
        <section class="card section-gap" aria-labelledby="audit-title">
            <h2 id="audit-title">"Audit log"</h2>
            <p><a href=format!("/t/{}/admin/audit.csv", console.slug) download>"Download the whole log (CSV)"</a></p>
            <ul class="activity">{console.activity.into_iter().map(|a| view! {
                <li><span class="muted">{a.at}</span>" "<strong>{a.who}</strong>" "{a.what}</li>
            }).collect_view()}</ul>
        </section>
    }
}

/// The tenant's name and FHIR base URLs (the `aud` its apps name).
#[component]
fn SettingsSection(
    tenant: String,
    name: String,
    urls: Vec<String>,
    admin: bool,
    flash: Flash,
) -> impl IntoView {
    let name = Some(flash.value("name"))
        .filter(|v| !v.is_empty())
        .unwrap_or(name);
    let url_text = Some(flash.value("fhir_base_urls"))
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| urls.join("\n"));
    let url_error = flash.error("fhir_base_urls");
    let url_invalid = url_error.is_some();
    view! {
        <section class="card section-gap" aria-labelledby="settings-title">
            <h2 id="settings-title">"Settings"</h2>
            {if admin {
                view! {
                    <form method="post" action=format!("/t/{tenant}/admin/settings") class="stack" novalidate>
                        <Field label="Name" name="name" id="tenant-name" value=name error=flash.error("name")/>
                        <div class="field" class:field-invalid=url_invalid>
                            <label for="fhir-base-urls">"FHIR base URLs"</label>
                            <textarea id="fhir-base-urls" name="fhir_base_urls" rows="3"
                                aria-describedby="fhir-base-urls-hint" aria-invalid=url_invalid.then_some("true")>{url_text}</textarea>
                            <p class="field-hint" id="fhir-base-urls-hint">"One per line, e.g. https://fhir.example.org/r4. Apps name one of these as the audience of their tokens."</p>
                            {url_error.map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                        </div>
                        <button class="button button-secondary" type="submit">"Save settings"</button>
                    </form>
                }.into_any()
            } else {
                view! {
                    <p>"FHIR base URLs:"</p>
                    {if urls.is_empty() {
                        view! { <p class="muted">"None set."</p> }.into_any()
                    } else {
                        view! { <ul>{urls.into_iter().map(|u| view! { <li><code>{u}</code></li> }).collect_view()}</ul> }.into_any()
                    }}
                }.into_any()
            }}
        </section>
    }
}

/// Who belongs to the tenant, and (for admins) inviting by email.
#[component]
fn MembersSection(
    tenant: String,
    members: Vec<crate::model::MemberRow>,
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

/// The people who log in at the tenant's authorization server, and (for
/// admins) adding one.
#[component]
fn UsersSection(
    tenant: String,
    users: Vec<crate::model::EndUserRow>,
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
                <ScrollingTable label="Webhook deliveries" gap=true>
                    <thead><tr><th scope="col">"Event"</th><th scope="col">"Queued"</th><th scope="col">"Attempts"</th><th scope="col">"Outcome"</th></tr></thead>
                    <tbody>{w.deliveries.into_iter().map(|d| view! {
                        <tr><td><code>{d.event}</code></td><td>{d.created}</td><td>{d.attempts}</td><td>{d.outcome}</td></tr>
                    }).collect_view()}</tbody>
                </ScrollingTable>
            })}
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
            <button class="button button-primary" type="submit">"Approve and install"</button>
        </form>
    }
}
