//! The public gallery and the public page of each published app.

use leptos::prelude::*;

use super::shared::{date, engine, internal};

pub async fn gallery(
    filters: crate::model::GalleryFilters,
    page: u32,
) -> Result<crate::model::GalleryPage, ServerFnError> {
    let some = |s: String| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let query = engine::publishing::catalog::CatalogQuery {
        q: some(filters.q),
        category: some(filters.category),
        fhir_version: some(filters.fhir_version),
        launch: some(filters.launch),
        audience: some(filters.audience),
        sort: engine::publishing::catalog::CatalogSort::parse(&filters.sort).unwrap_or_default(),
        page,
        per_page: 12,
    };
    let (apps, has_more) = engine()?.catalog(&query).await.map_err(internal)?;
    let items = apps
        .into_iter()
        .map(|app| crate::model::AppCard {
            slug: app.slug,
            name: app.name,
            tagline: app.tagline,
            publisher: app.publisher_name,
            categories: app.categories,
            launch_types: app.launch_types,
            logo: app.logo_url,
        })
        .collect();
    Ok(crate::model::GalleryPage {
        items,
        page,
        has_more,
    })
}

pub async fn app_details(slug: String) -> Result<Option<crate::model::AppDetails>, ServerFnError> {
    let details = match engine()?.catalog_app(&slug).await {
        Ok(details) => details,
        Err(engine::EngineError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(internal(e)),
    };
    let app = &details.app;
    let m = &app.version.manifest;
    let url = |u: &Option<domain::HttpsUrl>| u.as_ref().map(|u| u.to_string());
    Ok(Some(crate::model::AppDetails {
        slug: app.slug.clone(),
        name: m.client_name.clone(),
        tagline: m.tagline.clone(),
        description_html: engine::platform::markdown::to_safe_html(&m.description),
        logo: logo_url(&app.version),
        publisher: app.publisher_name.clone(),
        version: app.version.number,
        published: app.version.decided_at.map(date),
        history: details
            .history
            .iter()
            .map(|v| crate::model::HistoryLine {
                number: v.number,
                published: v.published_at.map(date),
                changes: v.changes.clone(),
            })
            .collect(),
        scopes: m
            .scope
            .scopes()
            .iter()
            .map(|s| crate::model::ScopeLine {
                scope: s.to_string(),
                meaning: s.describe(),
            })
            .collect(),
        launch_types: m.launch_types.clone(),
        fhir_versions: m.fhir_versions.clone(),
        audience: m.audience.clone(),
        categories: m.categories.clone(),
        homepage: url(&m.client_uri),
        privacy: url(&m.policy_uri),
        terms: url(&m.tos_uri),
        support: m.contacts.clone(),
    }))
}

/// The uploaded logo of a version, else the publisher's own `logo_uri`.
fn logo_url(version: &engine::publishing::versions::VersionView) -> Option<String> {
    match &version.logo_id {
        Some(id) => Some(format!("/media/{id}")),
        None => version.manifest.logo_uri.as_ref().map(|u| u.to_string()),
    }
}
