//! The review queue (`/review`) and a submission (`/review/{id}`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::{load_page, review_queue, review_submission};
use crate::components::form::FlashMessage;
use crate::components::ScrollingTable;
use crate::model::{Flash, ReviewItem};

fn reviewers_only() -> AnyView {
    view! {
        <section class="empty-state">
            <h1>"For reviewers"</h1>
            <p>"Log in with a reviewer account to work the review queue."</p>
            <a class="button button-primary" href="/login?next=/review">"Log in"</a>
        </section>
    }
    .into_any()
}

fn is_reviewer(role: Option<&str>) -> bool {
    matches!(role, Some("reviewer") | Some("admin"))
}

#[component]
pub fn ReviewQueue() -> impl IntoView {
    let state = Resource::new(|| (), |_| load_page("review".to_owned()));
    let queue = Resource::new(|| (), |_| review_queue());
    view! {
        <Title text="Review queue"/>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let state = state.await.unwrap_or_default();
                let queue = queue.await.unwrap_or_default();
                if !is_reviewer(state.account.as_ref().and_then(|a| a.platform_role.as_deref())) {
                    return reviewers_only();
                }
                view! {
                    <div class="page-header"><h1>"Review queue"</h1><p class="muted">"Submitted versions, oldest first."</p></div>
                    <FlashMessage flash=state.flash/>
                    {if queue.is_empty() {
                        view! { <section class="card"><p class="muted">"Nothing is waiting for review."</p></section> }.into_any()
                    } else {
                        view! {
                            <section class="card"><ScrollingTable label="Review queue">
                                <thead><tr><th scope="col">"App"</th><th scope="col">"Publisher"</th><th scope="col">"Version"</th><th scope="col">"Submitted"</th></tr></thead>
                                <tbody>{queue.into_iter().map(|item| view! {
                                    <tr>
                                        <td><a href=format!("/review/{}", item.id)>{item.name}</a></td>
                                        <td>{item.publisher}</td><td>{item.number}</td><td>{item.submitted}</td>
                                    </tr>
                                }).collect_view()}</tbody>
                            </ScrollingTable></section>
                        }.into_any()
                    }}
                }.into_any()
            })}
        </Suspense>
    }
}

#[component]
pub fn ReviewSubmission() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let state = Resource::new(|| (), |_| load_page("review-item".to_owned()));
    let item = Resource::new(id, review_submission);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let state = state.await.unwrap_or_default();
                if !is_reviewer(state.account.as_ref().and_then(|a| a.platform_role.as_deref())) {
                    return reviewers_only();
                }
                match item.await.ok().flatten() {
                    Some(item) => view! { <SubmissionView item flash=state.flash/> }.into_any(),
                    None => view! { <crate::pages::not_found::NotFound/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SubmissionView(item: ReviewItem, flash: Flash) -> impl IntoView {
    let approve = format!("/review/{}/approve", item.id);
    let reject = format!("/review/{}/reject", item.id);
    let reason_error = flash.error("reason");
    let reason_invalid = reason_error.is_some();
    view! {
        <Title text=format!("Review {} v{}", item.name, item.number)/>
        <nav class="breadcrumbs" aria-label="Breadcrumb"><a href="/review">"Review queue"</a> " / " <span aria-current="page">{item.name.clone()}</span></nav>
        <div class="page-header">
            <h1>{format!("{} — version {}", item.name, item.number)}</h1>
            <p class="muted">{format!("{} · {} client · submitted {}", item.publisher, item.client_type, item.submitted)}</p>
        </div>
        <FlashMessage flash=flash.clone()/>
        <div class="grid-2">
            <section class="card" aria-labelledby="checks-title">
                <h2 id="checks-title">"Automatic checks"</h2>
                <ul class="check-list">{item.checks.into_iter().map(|c| view! {
                    <li class=if c.passed { "check-pass" } else { "check-warn" }>
                        <span class="visually-hidden">{if c.passed { "Passed: " } else { "Look at this: " }}</span>{c.text}
                    </li>
                }).collect_view()}</ul>
                <h3>"Redirect URIs"</h3>
                <ul class="plain-list">{item.redirect_uris.into_iter().map(|u| view! { <li><code>{u}</code></li> }).collect_view()}</ul>
                {item.launch_url.map(|u| view! { <h3>"Launch URL"</h3><p><code>{u}</code></p> })}
            </section>
            <section class="card" aria-labelledby="scopes-title">
                <h2 id="scopes-title">"Scopes"</h2>
                <ul class="scope-list">{item.scopes.into_iter().map(|s| view! {
                    <li><span class="scope-meaning">{s.meaning}</span><code class="scope-code">{s.scope}</code></li>
                }).collect_view()}</ul>
            </section>
        </div>
        <div class="grid-2 section-gap">
            <section class="card" aria-labelledby="changes-title">
                <h2 id="changes-title">"Changes since the published version"</h2>
                {match item.changes {
                    Some(changes) => view! { <crate::components::ChangeList changes/> }.into_any(),
                    None => view! { <p class="muted">"Nothing is published yet: this is the first version."</p> }.into_any(),
                }}
            </section>
            <section class="card" aria-labelledby="activity-title">
                <h2 id="activity-title">"Activity"</h2>
                <ul class="activity">{item.activity.into_iter().map(|a| view! {
                    <li><span class="muted">{a.at}</span>" "<strong>{a.who}</strong>" "{a.what}</li>
                }).collect_view()}</ul>
            </section>
        </div>
        <section class="card section-gap" aria-labelledby="decision-title">
            <h2 id="decision-title">"Decision"</h2>
            <div class="decision">
                <form method="post" action=approve>
                    <button class="button button-primary" type="submit">"Approve and publish"</button>
                </form>
                <form method="post" action=reject class="stack" novalidate>
                    <div class="field" class:field-invalid=reason_invalid>
                        <label for="field-reason">"Reason for rejecting"</label>
                        <textarea id="field-reason" name="reason" rows="3">{flash.value("reason")}</textarea>
                        {reason_error.map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                    </div>
                    <button class="button button-danger" type="submit">"Reject"</button>
                </form>
            </div>
        </section>
        <details class="card section-gap"><summary>"Manifest"</summary><pre class="code-block">{item.manifest_json}</pre></details>
    }
}
