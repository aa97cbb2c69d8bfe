//! The public gallery (`/apps`) and app pages (`/apps/{slug}`).

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::{app_details, gallery};
use crate::components::AppMark;
use crate::labels::{label, AUDIENCES, CATEGORIES, FHIR, LAUNCHES};
use crate::model::{AppCard, AppDetails, GalleryFilters, HistoryLine};

/// The query parameters a gallery link keeps from page to page.
const FILTER_NAMES: [&str; 6] = [
    "q",
    "category",
    "fhir_version",
    "launch",
    "audience",
    "sort",
];

const SORTS: &[(&str, &str)] = &[
    ("relevance", "Best match"),
    ("name", "Name"),
    ("newest", "Newest"),
];

/// A filter; `any` is the text of the empty choice, if there is one.
#[component]
fn Select(
    name: &'static str,
    label_text: &'static str,
    options: &'static [(&'static str, &'static str)],
    selected: String,
    #[prop(optional)] any: Option<&'static str>,
) -> impl IntoView {
    let id = format!("filter-{name}");
    view! {
        <div class="field">
            <label for=id.clone()>{label_text}</label>
            <select id=id name=name>
                {any.map(|text| view! { <option value="">{text}</option> })}
                {options.iter().map(|(value, text)| view! { <option value=*value selected=selected == *value>{*text}</option> }).collect_view()}
            </select>
        </div>
    }
}

#[component]
pub fn GalleryPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query.read().get(name).unwrap_or_default();
    let page = move || param("page").parse::<u32>().unwrap_or(1).max(1);
    let filters = move || GalleryFilters {
        q: param("q"),
        category: param("category"),
        fhir_version: param("fhir_version"),
        launch: param("launch"),
        audience: param("audience"),
        sort: param("sort"),
    };
    let results = Resource::new(
        move || (filters(), page()),
        |(filters, page)| gallery(filters, page - 1),
    );
    let link_to = move |to_page: u32| {
        let mut parts: Vec<String> = FILTER_NAMES
            .iter()
            .filter_map(|k| {
                Some(param(k))
                    .filter(|v| !v.is_empty())
                    .map(|v| format!("{k}={}", urlencode(&v)))
            })
            .collect();
        parts.push(format!("page={to_page}"));
        format!("/apps?{}", parts.join("&"))
    };
    view! {
        <Title text="App gallery"/>
        <Meta name="description" content="Browse reviewed SMART on FHIR apps: search by name, filter by category, FHIR version and launch type."/>
        <Meta property="og:title" content="Sidecar app gallery"/>
        <Meta property="og:type" content="website"/>
        <div class="page-header">
            <h1>"App gallery"</h1>
            <p class="muted">"SMART on FHIR apps that passed review, ready to install in your health system."</p>
        </div>
        <form class="card filters" method="get" action="/apps" role="search">
            <div class="field filters-search">
                <label for="filter-q">"Search"</label>
                <input id="filter-q" type="search" name="q" value=move || param("q") placeholder="Name, description or publisher"/>
            </div>
            <Select name="category" label_text="Category" options=CATEGORIES selected=param("category") any="Any"/>
            <Select name="fhir_version" label_text="FHIR version" options=FHIR selected=param("fhir_version") any="Any"/>
            <Select name="launch" label_text="Launch" options=LAUNCHES selected=param("launch") any="Any"/>
            <Select name="audience" label_text="For" options=AUDIENCES selected=param("audience") any="Anyone"/>
            <Select name="sort" label_text="Sort by" options=SORTS selected=param("sort")/>
            <button class="button button-primary" type="submit">"Search"</button>
        </form>
        <Suspense fallback=|| view! { <p class="muted">"Loading apps…"</p> }>
            {move || Suspend::new(async move {
                let result = results.await.unwrap_or_default();
                let current = page();
                if result.items.is_empty() {
                    return view! {
                        <section class="empty-state">
                            <h2>"No apps match"</h2>
                            <p>"Try fewer filters or another search."</p>
                            <a class="button button-secondary" href="/apps">"Show all apps"</a>
                        </section>
                    }.into_any();
                }
                view! {
                    <ul class="app-grid" aria-label="Apps">
                        {result.items.into_iter().map(|app| view! { <AppCardView app/> }).collect_view()}
                    </ul>
                    <nav class="pagination" aria-label="Pages">
                        {(current > 1).then(|| view! { <a class="button button-quiet" href=link_to(current - 1) rel="prev">"Previous"</a> })}
                        <span class="muted">{format!("Page {current}")}</span>
                        {result.has_more.then(|| view! { <a class="button button-quiet" href=link_to(current + 1) rel="next">"Next"</a> })}
                    </nav>
                }.into_any()
            })}
        </Suspense>
    }
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[component]
fn AppCardView(app: AppCard) -> impl IntoView {
    let href = format!("/apps/{}", app.slug);
    view! {
        <li class="card app-card">
            <div class="app-card-head">
                <AppMark name=app.name.clone() logo=app.logo.clone()/>
                <div>
                    <h2 class="app-card-title"><a href=href>{app.name.clone()}</a></h2>
                    <p class="muted app-card-publisher">{format!("by {}", app.publisher)}</p>
                </div>
            </div>
            <p>{app.tagline}</p>
            <p class="tags">
                {app.launch_types.iter().map(|t| view! { <span class="badge">{label(LAUNCHES, t)}</span> }).collect_view()}
                {app.categories.iter().map(|c| view! { <span class="badge badge-quiet">{label(CATEGORIES, c)}</span> }).collect_view()}
            </p>
        </li>
    }
}

#[component]
pub fn AppPage() -> impl IntoView {
    let params = use_params_map();
    let details = Resource::new(
        move || params.read().get("slug").unwrap_or_default(),
        app_details,
    );
    let state = Resource::new(|| (), |_| crate::api::load_page("app".to_owned()));
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let admin_of: Vec<crate::model::MembershipView> = state
                    .await
                    .ok()
                    .and_then(|s| s.account)
                    // Sandboxes take their publisher's drafts, from the developer console.
                    .map(|a| a.tenants.into_iter().filter(|t| t.role == "admin" && !t.sandbox).collect())
                    .unwrap_or_default();
                match details.await.ok().flatten() {
                    Some(app) => view! { <AppDetailsView app admin_of/> }.into_any(),
                    None => view! { <crate::pages::not_found::NotFound/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AppDetailsView(app: AppDetails, admin_of: Vec<crate::model::MembershipView>) -> impl IntoView {
    let slug = app.slug.clone();
    let description_meta = if app.tagline.is_empty() {
        format!("{} on Sidecar", app.name)
    } else {
        app.tagline.clone()
    };
    let link = |href: Option<String>, text: &'static str| {
        href.map(|href| view! { <li><a href=href rel="noopener">{text}</a></li> })
    };
    view! {
        <Title text=app.name.clone()/>
        <Meta name="description" content=description_meta.clone()/>
        <Meta property="og:title" content=app.name.clone()/>
        <Meta property="og:description" content=description_meta/>
        <Meta property="og:type" content="website"/>
        <nav class="breadcrumbs" aria-label="Breadcrumb"><a href="/apps">"App gallery"</a> " / " <span aria-current="page">{app.name.clone()}</span></nav>
        <div class="app-hero">
            <AppMark name=app.name.clone() logo=app.logo.clone() large=true/>
            <div>
                <h1>{app.name.clone()}</h1>
                <p class="lead">{app.tagline.clone()}</p>
                <p class="muted">{format!("by {} · version {}", app.publisher, app.version)}{app.published.clone().map(|p| format!(" · published {p}"))}</p>
            </div>
        </div>
        <div class="grid-2 app-body">
            <section class="card" aria-labelledby="about-title">
                <h2 id="about-title">"About"</h2>
                <div class="prose" inner_html=app.description_html.clone()></div>
                <dl class="details">
                    <dt>"Launch"</dt><dd>{app.launch_types.iter().map(|t| label(LAUNCHES, t)).collect::<Vec<_>>().join(", ")}</dd>
                    <dt>"FHIR"</dt><dd>{app.fhir_versions.iter().map(|v| label(FHIR, v)).collect::<Vec<_>>().join(", ")}</dd>
                    <dt>"For"</dt><dd>{app.audience.iter().map(|a| label(AUDIENCES, a)).collect::<Vec<_>>().join(", ")}</dd>
                    <dt>"Categories"</dt><dd>{app.categories.iter().map(|c| label(CATEGORIES, c)).collect::<Vec<_>>().join(", ")}</dd>
                </dl>
                <ul class="plain-list">
                    {link(app.homepage.clone(), "Website")}
                    {link(app.privacy.clone(), "Privacy policy")}
                    {link(app.terms.clone(), "Terms of use")}
                    {app.support.iter().map(|email| view! { <li><a href=format!("mailto:{email}")>{format!("Support: {email}")}</a></li> }).collect_view()}
                </ul>
            </section>
            <section class="card" aria-labelledby="access-title">
                <h2 id="access-title">"What it asks to access"</h2>
                <ul class="scope-list">
                    {app.scopes.into_iter().map(|s| view! {
                        <li><span class="scope-meaning">{s.meaning}</span><code class="scope-code">{s.scope}</code></li>
                    }).collect_view()}
                </ul>
                <p class="muted">"A health system can grant less than this when it installs the app."</p>
                {(!admin_of.is_empty()).then(|| view! {
                    <div class="install-links">
                        {admin_of.into_iter().map(|t| view! {
                            <a class="button button-primary" href=format!("/t/{}/admin/install/{}", t.slug, slug)>{format!("Install in {}", t.name)}</a>
                        }).collect_view()}
                    </div>
                })}
            </section>
        </div>
        <section class="card section-gap" aria-labelledby="history-title">
            <h2 id="history-title">"Version history"</h2>
            <ol class="history" reversed>
                {app.history.into_iter().map(|line| view! { <HistoryItem line/> }).collect_view()}
            </ol>
        </section>
    }
}

#[component]
fn HistoryItem(line: HistoryLine) -> impl IntoView {
    let when = line
        .published
        .map(|p| format!(" · published {p}"))
        .unwrap_or_default();
    view! {
        <li>
            <strong>{format!("Version {}", line.number)}</strong>
            <span class="muted">{when}</span>
            {match line.changes {
                None => view! { <p class="muted">"First published version."</p> }.into_any(),
                Some(changes) => view! { <crate::components::ChangeList changes/> }.into_any(),
            }}
        </li>
    }
}
