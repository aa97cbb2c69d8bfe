//! The review queue and the submissions in it, for reviewers.

use leptos::prelude::*;

use super::shared::{activity_line, current_account, date, engine, internal};

pub async fn review_queue() -> Result<Vec<crate::model::ReviewItem>, ServerFnError> {
    let Some(account) = current_account().await else {
        return Ok(Vec::new());
    };
    match engine()?.review_queue(&account).await {
        Ok(queue) => queue.into_iter().map(review_item).collect(),
        Err(engine::EngineError::Forbidden(_)) => Ok(Vec::new()),
        Err(e) => Err(internal(e)),
    }
}

pub async fn review_submission(
    id: String,
) -> Result<Option<crate::model::ReviewItem>, ServerFnError> {
    let Some(account) = current_account().await else {
        return Ok(None);
    };
    match engine()?.submission(&account, &id).await {
        Ok(details) => {
            let mut item = review_item(details.submission)?;
            item.checks = check_lines(details.checks);
            item.changes = details.changes;
            item.activity = details.activity.iter().map(activity_line).collect();
            Ok(Some(item))
        }
        Err(engine::EngineError::Forbidden(_) | engine::EngineError::NotFound(_)) => Ok(None),
        Err(e) => Err(internal(e)),
    }
}

fn review_item(
    s: engine::publishing::review::Submission,
) -> Result<crate::model::ReviewItem, ServerFnError> {
    let m = &s.version.manifest;
    Ok(crate::model::ReviewItem {
        id: s.version.id.clone(),
        app: s.app_slug.clone(),
        name: m.client_name.clone(),
        publisher: s.publisher_name.clone(),
        number: s.version.number,
        submitted: date(s.version.submitted_at),
        scopes: m
            .scope
            .scopes()
            .iter()
            .map(|sc| crate::model::ScopeLine {
                scope: sc.to_string(),
                meaning: sc.describe(),
            })
            .collect(),
        redirect_uris: m.redirect_uris.iter().map(|u| u.to_string()).collect(),
        launch_url: m.launch_url.as_ref().map(|u| u.to_string()),
        client_type: m.token_endpoint_auth_method.client_type().to_owned(),
        checks: check_lines(engine::publishing::checks::submission_checks(m)),
        manifest_json: serde_json::to_string_pretty(&m.to_input())
            .map_err(|e| ServerFnError::new(e.to_string()))?,
        changes: None,
        activity: Vec::new(),
    })
}

fn check_lines(checks: Vec<engine::publishing::checks::Check>) -> Vec<crate::model::CheckLine> {
    checks
        .into_iter()
        .map(|c| crate::model::CheckLine {
            passed: c.passed,
            text: c.text,
        })
        .collect()
}
