//! Tenants and the applications for one: the platform console, and an
//! applicant's own applications.

use leptos::prelude::*;

use super::shared::{current_account, date, engine, internal};

pub async fn admin_tenants() -> Result<Option<Vec<crate::model::TenantRow>>, ServerFnError> {
    let Some(account) = current_account().await else {
        return Ok(None);
    };
    match engine()?.list_tenants(&account).await {
        Ok(tenants) => Ok(Some(
            tenants
                .into_iter()
                .map(|t| crate::model::TenantRow {
                    slug: t.slug,
                    name: t.name,
                    created: date(t.created_at),
                })
                .collect(),
        )),
        Err(engine::EngineError::Forbidden(_)) => Ok(None),
        Err(e) => Err(internal(e)),
    }
}

pub async fn my_tenant_applications() -> Result<Vec<crate::model::ApplicationRow>, ServerFnError> {
    let Some(account) = current_account().await else {
        return Ok(Vec::new());
    };
    let rows = engine()?
        .my_tenant_applications(&account)
        .await
        .map_err(internal)?;
    Ok(rows.into_iter().map(application_row).collect())
}

pub async fn pending_tenant_applications(
) -> Result<Vec<crate::model::ApplicationRow>, ServerFnError> {
    let Some(account) = current_account().await else {
        return Ok(Vec::new());
    };
    match engine()?.pending_tenant_applications(&account).await {
        Ok(rows) => Ok(rows.into_iter().map(application_row).collect()),
        Err(engine::EngineError::Forbidden(_)) => Ok(Vec::new()),
        Err(e) => Err(internal(e)),
    }
}

fn application_row(a: engine::tenancy::tenants::TenantApplication) -> crate::model::ApplicationRow {
    crate::model::ApplicationRow {
        created: date(a.created_at),
        id: a.id,
        applicant: a.applicant_email,
        slug: a.slug,
        name: a.name,
        fhir_base_urls: a.fhir_base_urls,
        message: a.message,
        state: a.state,
        reason: a.reason,
    }
}
