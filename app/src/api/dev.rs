//! The developer console: your publishers, their members, and your apps.

use leptos::prelude::*;

use super::shared::{
    account_view, activity_line, current_account, date, engine, install_rows, internal,
};

pub async fn dev_overview() -> Result<
    (
        Vec<crate::model::MembershipView>,
        Vec<crate::model::DevAppRow>,
    ),
    ServerFnError,
> {
    let Some(account) = current_account().await else {
        return Ok((Vec::new(), Vec::new()));
    };
    let engine = engine()?;
    let view = account_view(&engine, &account).await?;
    let apps = engine
        .list_publisher_apps(&account)
        .await
        .map_err(internal)?;
    let rows = apps
        .iter()
        .map(|app| crate::model::DevAppRow {
            slug: app.slug.clone(),
            name: app
                .draft
                .client_name
                .clone()
                .unwrap_or_else(|| app.slug.clone()),
            publisher: app.publisher_name.clone(),
            status: version_state_summary(app),
        })
        .collect();
    Ok((view.publishers, rows))
}

fn version_state_summary(app: &engine::publishing::apps::PublisherApp) -> String {
    match (app.published(), app.pending()) {
        (Some(p), Some(q)) => format!(
            "version {} published, version {} in review",
            p.number, q.number
        ),
        (Some(p), None) => format!("version {} published", p.number),
        (None, Some(q)) => format!("version {} in review", q.number),
        (None, None) => match app.versions.first() {
            Some(v) if v.state == "rejected" => format!("version {} not approved", v.number),
            _ => "draft".to_owned(),
        },
    }
}

pub async fn dev_app(slug: String) -> Result<Option<crate::model::DevApp>, ServerFnError> {
    let Some(account) = current_account().await else {
        return Ok(None);
    };
    let app = match engine()?.publisher_app(&account, &slug).await {
        Ok(app) => app,
        Err(engine::EngineError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(internal(e)),
    };
    let draft_json =
        serde_json::to_string_pretty(&app.draft).map_err(|e| ServerFnError::new(e.to_string()))?;
    let draft_changes = match (
        app.published(),
        domain::AppManifest::validate(app.draft.clone()),
    ) {
        (Some(live), Ok(draft)) => Some(domain::ManifestDiff::between(&live.manifest, &draft)),
        _ => None,
    };
    let activity = engine()?
        .app_activity(&account, &slug)
        .await
        .map_err(internal)?
        .iter()
        .map(activity_line)
        .collect();
    Ok(Some(crate::model::DevApp {
        sandbox: engine::tenancy::tenants::sandbox_slug(&app.publisher_slug),
        logo: app.draft_logo_id.as_ref().map(|id| format!("/media/{id}")),
        draft_form: domain::ManifestForm::from_input(&app.draft),
        installs: install_rows(
            engine()?
                .app_installs(&account, &slug)
                .await
                .map_err(internal)?,
        )
        .await?,
        draft_changes,
        activity,
        name: app
            .draft
            .client_name
            .clone()
            .unwrap_or_else(|| app.slug.clone()),
        pending: app.pending().is_some(),
        versions: app
            .versions
            .iter()
            .map(|v| crate::model::VersionRow {
                id: v.id.clone(),
                number: v.number,
                state: v.state.clone(),
                submitted: date(v.submitted_at),
                reason: v.rejection_reason.clone(),
            })
            .collect(),
        slug: app.slug,
        publisher: app.publisher_name,
        draft_json,
    }))
}

pub async fn dev_publisher(
    slug: String,
) -> Result<Option<crate::model::PublisherPage>, ServerFnError> {
    let Some(account) = current_account().await else {
        return Ok(None);
    };
    let engine = engine()?;
    let Some(membership) = engine
        .list_publishers(&account)
        .await
        .map_err(internal)?
        .into_iter()
        .find(|p| p.slug == slug)
    else {
        return Ok(None);
    };
    let members = engine
        .list_publisher_members(&account, &slug)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|m| crate::model::MemberRow {
            email: m.email,
            role: m.role.as_str().to_owned(),
            active: m.active,
        })
        .collect();
    Ok(Some(crate::model::PublisherPage {
        slug: membership.slug,
        name: membership.name,
        role: membership.role.as_str().to_owned(),
        members,
    }))
}
