//! The tenant console and its approval screen for a new install.

use leptos::prelude::*;

use super::shared::{activity_line, current_account, date, engine, install_rows, internal};

pub async fn tenant_console(
    tenant: String,
) -> Result<Option<crate::model::TenantConsole>, ServerFnError> {
    let Some(account) = current_account().await else {
        return Ok(None);
    };
    let engine = engine()?;
    let tenant = match engine.tenant(&account, &tenant).await {
        Ok(tenant) => tenant,
        Err(engine::EngineError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(internal(e)),
    };
    let installs = engine.list_installs(&tenant).await.map_err(internal)?;
    let members = engine
        .tenant_members(&tenant)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|m| crate::model::MemberRow {
            email: m.email,
            role: m.role.as_str().to_owned(),
            active: m.active,
        })
        .collect();
    let users = engine
        .tenant_users(&tenant)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|u| crate::model::EndUserRow {
            id: u.id,
            username: u.username,
            fhir_user: u.fhir_user,
            created: date(u.created_at),
        })
        .collect();
    let activity = engine
        .tenant_audit(&tenant, 20)
        .await
        .map_err(internal)?
        .iter()
        .map(activity_line)
        .collect();
    // Keys and the webhook are the admins' business.
    let (keys, webhook) = if tenant.is_admin() {
        (
            engine.list_tenant_keys(&tenant).await.map_err(internal)?,
            engine.webhook(&tenant).await.map_err(internal)?,
        )
    } else {
        (Vec::new(), None)
    };
    let webhook = webhook.map(|hook| crate::model::WebhookRow {
        url: hook.url,
        deliveries: hook
            .deliveries
            .into_iter()
            .map(|d| crate::model::DeliveryRow {
                outcome: match (d.delivered_at, d.last_error) {
                    (Some(at), _) => format!("delivered {}", date(at)),
                    (None, Some(error)) => format!("failed: {error}"),
                    (None, None) => "waiting".to_owned(),
                },
                event: d.event,
                created: date(d.created_at),
                attempts: d.attempts,
            })
            .collect(),
    });
    // A sandbox runs on the built-in server only.
    let servers = if tenant.is_sandbox() {
        Vec::new()
    } else {
        engine
            .authorization_servers(&tenant)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|s| crate::model::ServerRow {
                registration_endpoint: s.discovered.and_then(|d| d.registration_endpoint),
                id: s.id,
                name: s.name,
                kind: s.kind.as_str().to_owned(),
                issuer: s.issuer,
                default: s.default,
                status: s.status,
                status_detail: s.status_detail,
            })
            .collect()
    };
    let mut installs = install_rows(installs).await?;
    if tenant.is_admin() {
        for row in &mut installs {
            let Some(p) = row
                .provisioning
                .as_mut()
                .filter(|p| p.state == "awaiting_manual")
            else {
                continue;
            };
            let handoff = engine
                .manual_handoff(&tenant, &row.id)
                .await
                .map_err(internal)?;
            p.manual = Some(crate::model::ManualLine {
                action: handoff.action.to_owned(),
                registration_json: serde_json::to_string_pretty(&handoff.registration)
                    .unwrap_or_default(),
                table: handoff.table,
            });
        }
    }
    Ok(Some(crate::model::TenantConsole {
        activity,
        servers,
        webhook,
        slug: tenant.slug().to_owned(),
        name: tenant.name().to_owned(),
        admin: tenant.is_admin(),
        sandbox: tenant.is_sandbox(),
        fhir_base_urls: tenant
            .fhir_base_urls()
            .map_err(internal)?
            .into_iter()
            .map(|u| u.as_str().to_owned())
            .collect(),
        members,
        users,
        installs,
        keys: keys
            .into_iter()
            .map(|k| crate::model::KeyRow {
                id: k.id,
                name: k.name,
                scopes: k.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
                created: date(k.created_at),
                last_used: k.last_used_at.map(date),
            })
            .collect(),
    }))
}

pub async fn install_preview(
    tenant: String,
    app: String,
) -> Result<Option<crate::model::InstallPreview>, ServerFnError> {
    let Some(account) = current_account().await else {
        return Ok(None);
    };
    let engine = engine()?;
    let tenant = match engine.tenant(&account, &tenant).await {
        Ok(tenant) if tenant.is_admin() => tenant,
        Ok(_) | Err(engine::EngineError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(internal(e)),
    };
    // A sandbox installs the publisher's draft; any other tenant the
    // published version.
    let (slug, manifest, version) = if tenant.is_sandbox() {
        let draft = match engine.publisher_app(&account, &app).await {
            Ok(draft) => draft,
            Err(engine::EngineError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(internal(e)),
        };
        let Ok(manifest) = domain::AppManifest::validate(draft.draft) else {
            return Ok(None);
        };
        (draft.slug, manifest, 0)
    } else {
        let details = match engine.catalog_app(&app).await {
            Ok(details) => details,
            Err(engine::EngineError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(internal(e)),
        };
        (
            details.app.slug,
            details.app.version.manifest,
            details.app.version.number,
        )
    };
    let servers = engine
        .authorization_servers(&tenant)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|s| (s.id, s.name, s.default))
        .collect();
    Ok(Some(crate::model::InstallPreview {
        servers,
        tenant: tenant.slug().to_owned(),
        tenant_name: tenant.name().to_owned(),
        app: slug,
        app_name: manifest.client_name.clone(),
        version,
        scopes: manifest
            .scope
            .scopes()
            .iter()
            .map(|s| crate::model::ScopeChoice {
                scope: s.to_string(),
                meaning: s.describe(),
                wildcard: matches!(s, domain::SmartScope::Clinical(c) if c.resource.is_none()),
            })
            .collect(),
    }))
}
