//! The developer console (`/dev`): your apps, registration from a
//! manifest, the draft editor, submission for review.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::{dev_app, dev_overview, load_page};
use crate::components::form::{Field, FlashMessage};
use crate::components::manifest_form::{FormState, ManifestFields};
use crate::components::ScrollingTable;
use crate::model::{DevApp, Flash};

const EXAMPLE: &str = r#"{
  "client_name": "My SMART App",
  "tagline": "What it does, in one line",
  "redirect_uris": ["https://app.example.org/callback"],
  "launch_url": "https://app.example.org/launch",
  "scope": "launch openid fhirUser patient/Observation.rs",
  "launch_types": ["ehr"],
  "fhir_versions": ["4.0.1"],
  "audience": ["clinician"],
  "categories": ["clinical-decision-support"]
}"#;

/// A new registration starts as an EHR-launched public app on FHIR R4.
fn new_app_form() -> domain::ManifestForm {
    domain::ManifestForm {
        token_endpoint_auth_method: "none".to_owned(),
        launch_types: vec!["ehr".to_owned()],
        fhir_versions: vec!["4.0.1".to_owned()],
        scope: "launch openid fhirUser".to_owned(),
        ..domain::ManifestForm::default()
    }
}

pub(crate) fn login_needed() -> AnyView {
    view! {
        <section class="empty-state">
            <h1>"Log in to use the developer console"</h1>
            <a class="button button-primary" href="/login?next=/dev">"Log in"</a>
        </section>
    }
    .into_any()
}

/// A manifest textarea with its error underneath.
fn manifest_field(value: String, flash: &Flash) -> impl IntoView {
    let error = flash.error("manifest");
    let invalid = error.is_some();
    view! {
        <div class="field" class:field-invalid=invalid>
            <label for="field-manifest">"Manifest (JSON)"</label>
            <p class="field-hint" id="field-manifest-hint">"RFC 7591 client metadata names plus launch_url, fhir_versions, launch_types, audience, categories, tagline and description."</p>
            <textarea id="field-manifest" name="manifest" rows="16" spellcheck="false" class="code-input"
                aria-describedby="field-manifest-hint" aria-invalid=invalid.then_some("true")>{value}</textarea>
            {error.map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
        </div>
    }
}

#[component]
pub fn DevHome() -> impl IntoView {
    let state = Resource::new(|| (), |_| load_page("dev".to_owned()));
    let overview = Resource::new(|| (), |_| dev_overview());
    view! {
        <Title text="Developer console"/>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let state = state.await.unwrap_or_default();
                let (publishers, apps) = overview.await.unwrap_or_default();
                if state.account.is_none() {
                    return login_needed();
                }
                let flash = state.flash;
                let publisher_form_open = publishers.is_empty() || flash.error("name").is_some() || flash.error("publisher_slug").is_some();
                let manifest = { let v = flash.value("manifest"); if v.is_empty() { EXAMPLE.to_owned() } else { v } };
                view! {
                    <div class="page-header">
                        <h1>"Developer console"</h1>
                        <p class="muted">"Register SMART on FHIR apps, edit drafts and submit versions for review."</p>
                    </div>
                    <FlashMessage flash=flash.clone()/>
                    <section class="card" aria-labelledby="apps-title">
                        <h2 id="apps-title">"Your apps"</h2>
                        {if apps.is_empty() {
                            view! { <p class="muted">"No apps yet."</p> }.into_any()
                        } else {
                            view! {
                                <ScrollingTable label="Your apps">
                                    <thead><tr><th scope="col">"App"</th><th scope="col">"Publisher"</th><th scope="col">"Status"</th></tr></thead>
                                    <tbody>{apps.into_iter().map(|a| view! {
                                        <tr><td><a href=format!("/dev/apps/{}", a.slug)>{a.name}</a></td><td>{a.publisher}</td><td>{a.status}</td></tr>
                                    }).collect_view()}</tbody>
                                </ScrollingTable>
                            }.into_any()
                        }}
                    </section>
                    <section class="card section-gap" aria-labelledby="publishers-title">
                        <h2 id="publishers-title">"Your publisher organisations"</h2>
                        {if publishers.is_empty() {
                            view! { <p class="muted">"Apps belong to a publisher organisation: create one, or ask an owner to invite you."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="plain-list">{publishers.iter().map(|p| view! {
                                    <li><a href=format!("/dev/publishers/{}", p.slug)>{p.name.clone()}</a>" "<span class="muted">{format!("({})", p.role)}</span></li>
                                }).collect_view()}</ul>
                            }.into_any()
                        }}
                        <details class="section-gap" open=publisher_form_open>
                            <summary>"Create a publisher organisation"</summary>
                            <form method="post" action="/dev/publishers" class="stack" novalidate>
                                <Field label="Name" name="name" value=flash.value("name") error=flash.error("name") required=true/>
                                <Field label="Slug" name="publisher_slug" value=flash.value("publisher_slug") error=flash.error("publisher_slug")
                                    hint="Lowercase letters, digits and dashes; it names the organisation in the API."/>
                                <button class="button button-secondary" type="submit">"Create"</button>
                            </form>
                        </details>
                    </section>
                    <section class="card section-gap" aria-labelledby="register-title">
                        <h2 id="register-title">"Register an app"</h2>
                        {if publishers.is_empty() {
                            view! { <p class="muted">"Create a publisher organisation first: apps belong to one."</p> }.into_any()
                        } else {
                            let chosen = flash.value("publisher");
                            let state = FormState::from_flash(&flash, new_app_form());
                            let publisher_select = |id: &'static str| {
                                let chosen = chosen.clone();
                                let publishers = publishers.clone();
                                view! {
                                    <div class="field">
                                        <label for=id>"Publisher"</label>
                                        <select id=id name="publisher">
                                            {publishers.into_iter().map(|p| { let selected = p.slug == chosen; view! { <option value=p.slug.clone() selected=selected>{p.name}</option> } }).collect_view()}
                                        </select>
                                    </div>
                                }
                            };
                            view! {
                                <form method="post" action="/dev/apps" class="stack" novalidate>
                                    {publisher_select("field-publisher")}
                                    <Field label="Slug" name="slug" value=flash.value("slug") error=flash.error("slug")
                                        hint="The app's address in the gallery, /apps/<slug>. Leave empty to make it from the name."/>
                                    <ManifestFields state/>
                                    <button class="button button-primary" type="submit">"Register app"</button>
                                </form>
                                <details class="section-gap" open=flash.error("manifest").is_some()>
                                    <summary>"Or import a manifest (JSON)"</summary>
                                    <form method="post" action="/dev/apps" class="stack" novalidate>
                                        {publisher_select("field-import-publisher")}
                                        {manifest_field(manifest.clone(), &flash)}
                                        <button class="button button-secondary" type="submit">"Import and register"</button>
                                    </form>
                                </details>
                            }.into_any()
                        }}
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}

#[component]
pub fn DevAppPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let state = Resource::new(|| (), |_| load_page("dev-app".to_owned()));
    let app = Resource::new(slug, dev_app);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let state = state.await.unwrap_or_default();
                if state.account.is_none() {
                    return login_needed();
                }
                match app.await.ok().flatten() {
                    Some(app) => view! { <DevAppView app flash=state.flash/> }.into_any(),
                    None => view! { <crate::pages::not_found::NotFound/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn DevAppView(app: DevApp, flash: Flash) -> impl IntoView {
    let logo_flash = flash.clone();
    let draft_state = FormState::from_flash(&flash, app.draft_form.clone());
    // A refused import shows its error inside the folded JSON form.
    let json_open = flash.error("manifest").is_some();
    let draft = {
        let v = flash.value("manifest");
        if v.is_empty() {
            app.draft_json.clone()
        } else {
            v
        }
    };
    let draft_action = format!("/dev/apps/{}/draft", app.slug);
    let submit_action = format!("/dev/apps/{}/submit", app.slug);
    view! {
        <Title text=format!("{} · Developer console", app.name)/>
        <nav class="breadcrumbs" aria-label="Breadcrumb"><a href="/dev">"Developer console"</a> " / " <span aria-current="page">{app.name.clone()}</span></nav>
        <div class="page-header">
            <h1>{app.name.clone()}</h1>
            <p class="muted">{format!("{} · /apps/{}", app.publisher, app.slug)}</p>
        </div>
        <FlashMessage flash=flash.clone()/>
        {flash.values.get("new_secret").cloned().map(|secret| view! {
            <div class="notice notice-success token-reveal" role="status">
                <p><strong>"The new client secret. Copy it now: it will not be shown again."</strong></p>
                <code class="token-value" data-testid="new-secret">{secret}</code>
            </div>
        })}
        <div class="grid-2">
            <section class="card" aria-labelledby="versions-title">
                <h2 id="versions-title">"Versions"</h2>
                {if app.pending {
                    view! { <p class="notice notice-info">"A version is waiting for review."</p> }.into_any()
                } else {
                    view! {
                        <form method="post" action=submit_action class="stack">
                            <button class="button button-primary" type="submit">"Submit draft for review"</button>
                        </form>
                    }.into_any()
                }}
                {if app.versions.is_empty() {
                    view! { <p class="muted">"Nothing submitted yet."</p> }.into_any()
                } else {
                    view! {
                        <ul class="plain-list">{app.versions.into_iter().map(|v| view! {
                            <li>
                                <strong>{format!("Version {}", v.number)}</strong> " " <span class="badge">{v.state}</span>
                                <span class="muted">{format!(" submitted {}", v.submitted)}</span>
                                {v.reason.map(|r| view! { <p class="notice notice-error">{format!("Reviewer: {r}")}</p> })}
                            </li>
                        }).collect_view()}</ul>
                    }.into_any()
                }}
            </section>
            <section class="card" aria-labelledby="changes-title">
                <h2 id="changes-title">"Draft changes"</h2>
                {match app.draft_changes {
                    Some(changes) => view! {
                        <p class="muted">"Against the published version:"</p>
                        <crate::components::ChangeList changes/>
                    }.into_any(),
                    None => view! { <p class="muted">"Shown once a version is published and the draft is complete."</p> }.into_any(),
                }}
            </section>
        </div>
        <div class="grid-2 section-gap">
            <section class="card" aria-labelledby="logo-title">
                <h2 id="logo-title">"Logo"</h2>
                <LogoForm slug=app.slug.clone() name=app.name.clone() logo=app.logo.clone() flash=logo_flash/>
            </section>
            <section class="card" aria-labelledby="activity-title">
                <h2 id="activity-title">"Activity"</h2>
                <ul class="activity">{app.activity.into_iter().map(|a| view! {
                    <li><span class="muted">{a.at}</span>" "<strong>{a.who}</strong>" "{a.what}</li>
                }).collect_view()}</ul>
            </section>
        </div>
        <section class="card section-gap" aria-labelledby="installs-title">
            <h2 id="installs-title">"Installs"</h2>
            {(!app.installs.iter().any(|i| i.tenant == app.sandbox)).then(|| view! {
                <form method="post" action=format!("/t/{}/admin/installs", app.sandbox) class="notice notice-info">
                    <p>"Try the app before review: install the draft in your publisher's sandbox. It gets its own client id there at once and follows every save of the draft."</p>
                    <input type="hidden" name="app" value=app.slug.clone()/>
                    <input type="hidden" name="all_scopes" value="1"/>
                    <button class="button button-secondary" type="submit">"Install in the sandbox"</button>
                </form>
            })}
            {if app.installs.is_empty() {
                view! { <p class="muted">"No health system has installed the app yet."</p> }.into_any()
            } else {
                let slug = app.slug.clone();
                view! {
                    <ScrollingTable label="Installs of this app">
                        <thead><tr><th scope="col">"Health system"</th><th scope="col">"Client id"</th><th scope="col">"State"</th><th scope="col">"Granted"</th><th scope="col"><span class="visually-hidden">"Secret"</span></th></tr></thead>
                        <tbody>{app.installs.into_iter().map(|i| view! {
                            <tr>
                                <td>{i.tenant.clone()}</td>
                                <td>{match &i.provisioning {
                                    Some(p) => view! { <code>{p.client_id.clone().unwrap_or_else(|| "—".into())}</code>" at "{p.server_name.clone()} }.into_any(),
                                    None => view! { <code>{i.client_id.clone()}</code> }.into_any(),
                                }}</td>
                                <td>{i.state.clone()}{i.provisioning.as_ref().map(|p| format!("; provisioning {}", p.state.replace('_', " ")))}</td>
                                <td>{i.scopes.iter().map(|s| s.scope.clone()).collect::<Vec<_>>().join(" ")}</td>
                                <td>{
                                    let rotate = view! {
                                        <form method="post" action=format!("/dev/apps/{}/installs/{}/secret", slug, i.tenant)>
                                            <button class="button button-secondary" type="submit">"New secret"</button>
                                        </form>
                                    };
                                    match &i.provisioning {
                                        // A secret the server issued waits to be revealed once.
                                        Some(p) if p.secret_waiting => view! {
                                            <form method="post" action=format!("/dev/apps/{}/installs/{}/server-secret", slug, i.tenant)>
                                                <button class="button button-secondary" type="submit">"Reveal secret"</button>
                                            </form>
                                        }.into_any(),
                                        // A new one is a new client at the server, once this one is active.
                                        Some(p) => (i.has_secret && p.state == "active").then_some(rotate).into_any(),
                                        None => i.has_secret.then_some(rotate).into_any(),
                                    }
                                }</td>
                            </tr>
                        }).collect_view()}</tbody>
                    </ScrollingTable>
                }.into_any()
            }}
        </section>
        <section class="card section-gap" aria-labelledby="draft-title">
            <h2 id="draft-title">"Draft"</h2>
            <p class="muted">"Edits change the draft only; the published version stays live until a new one is approved."</p>
            <form method="post" action=draft_action.clone() class="stack" novalidate>
                <ManifestFields state=draft_state/>
                <button class="button button-secondary" type="submit">"Save draft"</button>
            </form>
            <details class="section-gap" open=json_open>
                <summary>"Export or import the manifest (JSON)"</summary>
                <form method="post" action=draft_action class="stack" novalidate>
                    {manifest_field(draft, &flash)}
                    <button class="button button-secondary" type="submit">"Import into the draft"</button>
                </form>
            </details>
        </section>
    }
}

/// Upload (multipart, so it works without JavaScript) or remove the
/// draft's logo; errors show next to the file field.
#[component]
fn LogoForm(slug: String, name: String, logo: Option<String>, flash: Flash) -> impl IntoView {
    let error = flash.error("logo");
    let invalid = error.is_some();
    let has_logo = logo.is_some();
    view! {
        <div class="logo-row">
            <crate::components::AppMark name logo large=true/>
            <form method="post" action=format!("/dev/apps/{slug}/logo") enctype="multipart/form-data" class="stack" novalidate>
                <div class="field" class:field-invalid=invalid>
                    <label for="field-logo">"Logo image"</label>
                    <input id="field-logo" type="file" name="logo" accept="image/png,image/jpeg,image/webp" aria-describedby="logo-hint"/>
                    <p id="logo-hint" class="hint">"PNG, JPEG or WebP, up to 256 KB, 48 to 2048 pixels a side. Square works best."</p>
                    {error.map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                </div>
                <button class="button button-secondary" type="submit">"Upload logo"</button>
            </form>
        </div>
        {has_logo.then(|| view! {
            <form method="post" action=format!("/dev/apps/{slug}/logo/remove")>
                <button class="button button-quiet" type="submit">"Remove logo"</button>
            </form>
        })}
    }
}
