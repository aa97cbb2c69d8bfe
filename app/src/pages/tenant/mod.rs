//! The tenant console (`/t/{tenant}/admin`): installs with their granted
//! scopes and lifecycle, the approval screen for a new install, and API
//! keys for the EHR. One file per section of the console.

mod approve;
mod audit;
mod installs;
mod keys;
mod members;
mod servers;
mod settings;
mod users;
mod webhook;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::{load_page, tenant_console};
use crate::components::form::FlashMessage;
use crate::model::{Flash, TenantConsole};

pub use approve::InstallAppPage;
use audit::AuditSection;
use installs::InstallsSection;
use keys::KeysSection;
use members::MembersSection;
use servers::ServersSection;
use settings::SettingsSection;
use users::UsersSection;
use webhook::WebhookSection;

/// Version 0 is the draft a sandbox runs.
fn version_label(version: i32) -> String {
    if version == 0 {
        "the current draft".to_owned()
    } else {
        format!("version {version}")
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
        |_| {
            load_page(
                "tenant tenant-settings tenant-members tenant-users tenant-servers".to_owned(),
            )
        },
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
        <InstallsSection tenant=console.slug.clone() installs=console.installs servers=console.servers.clone() sandbox=console.sandbox admin/>
        {(!console.sandbox).then(|| view! {
            <ServersSection tenant=console.slug.clone() servers=console.servers admin flash=flash_for(&flash, "tenant-servers")/>
        }.into_any())}
        {view! { <SettingsSection tenant=console.slug.clone() name=console.name.clone() urls=console.fhir_base_urls admin flash=flash_for(&flash, "tenant-settings")/> }.into_any()}
        {(!console.sandbox).then(|| view! {
            <MembersSection tenant=console.slug.clone() members=console.members admin flash=flash_for(&flash, "tenant-members")/>
        }.into_any())}
        <UsersSection tenant=console.slug.clone() users=console.users admin flash=flash_for(&flash, "tenant-users")/>
        {admin.then(|| view! {
            <KeysSection tenant=console.slug.clone() keys=console.keys flash=keys_flash.clone()/>
            <WebhookSection tenant=console.slug.clone() webhook=console.webhook flash=keys_flash.clone()/>
        }.into_any())}
        <AuditSection tenant=console.slug activity=console.activity/>
    }
}
