//! Each manifest field checked on its own. Checks report into [`Errors`]
//! rather than stopping, so one submission shows every mistake at once.

use std::collections::BTreeSet;

use serde::Serialize;

use super::FHIR_VERSIONS;
use crate::{HttpsUrl, LaunchUrl, RedirectUri, ScopeSet};

/// A refused field and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The manifest member, by its wire name.
    pub field: &'static str,
    pub message: String,
}

pub(super) struct Errors(pub(super) Vec<FieldError>);

impl Errors {
    pub(super) fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push(FieldError {
            field,
            message: message.into(),
        });
    }

    /// For rules between fields: a field that is already wrong gets no
    /// second, consequential message.
    pub(super) fn add_once(&mut self, field: &'static str, message: impl Into<String>) {
        if !self.0.iter().any(|e| e.field == field) {
            self.add(field, message);
        }
    }

    pub(super) fn text(
        &mut self,
        field: &'static str,
        value: Option<String>,
        max: usize,
        required: bool,
    ) -> String {
        let value = value.map(|v| v.trim().to_owned()).unwrap_or_default();
        if value.is_empty() && required {
            self.add(field, "This is required.");
        } else if value.chars().count() > max {
            self.add(field, format!("Use at most {max} characters."));
        }
        value
    }

    pub(super) fn https(&mut self, field: &'static str, value: Option<String>) -> Option<HttpsUrl> {
        let value = value.filter(|v| !v.trim().is_empty())?;
        match HttpsUrl::parse(value.trim()) {
            Ok(url) => Some(url),
            Err(e) => {
                self.add(field, e.to_string());
                None
            }
        }
    }

    /// FHIR versions by number or release name (`R4`), as numbers.
    pub(super) fn fhir_versions(&mut self, values: Option<Vec<String>>) -> Vec<String> {
        let mut known = Vec::new();
        for value in values.unwrap_or_default() {
            match crate::fhir::fhir_version_number(&value) {
                Some(number) => known.push(number.to_owned()),
                None => {
                    let names = crate::fhir::FHIR_RELEASES
                        .iter()
                        .map(|(number, release)| format!("{number} ({release})"))
                        .collect::<Vec<_>>();
                    self.add(
                        "fhir_versions",
                        format!("`{}` is not one of: {}.", value.trim(), names.join(", ")),
                    );
                }
            }
        }
        self.choices("fhir_versions", Some(known), FHIR_VERSIONS)
    }

    /// Values from a fixed list, deduplicated, in the list's order.
    pub(super) fn choices(
        &mut self,
        field: &'static str,
        values: Option<Vec<String>>,
        allowed: &[&str],
    ) -> Vec<String> {
        let values: BTreeSet<String> = values
            .unwrap_or_default()
            .into_iter()
            .map(|v| v.trim().to_owned())
            .collect();
        if let Some(bad) = values.iter().find(|v| !allowed.contains(&v.as_str())) {
            self.add(
                field,
                format!("`{bad}` is not one of: {}.", allowed.join(", ")),
            );
        }
        allowed
            .iter()
            .filter(|a| values.contains(**a))
            .map(|a| (*a).to_owned())
            .collect()
    }

    pub(super) fn redirect_uris(&mut self, values: Option<Vec<String>>) -> Vec<RedirectUri> {
        let mut redirect_uris = Vec::new();
        for (i, uri) in values.unwrap_or_default().iter().enumerate() {
            match RedirectUri::parse(uri.trim()) {
                Ok(uri) if redirect_uris.contains(&uri) => {
                    self.add("redirect_uris", format!("`{uri}` is listed twice."))
                }
                Ok(uri) => redirect_uris.push(uri),
                Err(err) => self.add(
                    "redirect_uris",
                    format!("Redirect URI {} (`{uri}`): {err}", i + 1),
                ),
            }
        }
        redirect_uris
    }

    pub(super) fn scope(&mut self, value: Option<&str>) -> ScopeSet {
        let scope = match ScopeSet::parse(value.unwrap_or_default()) {
            Ok(scope) => scope,
            Err(err) => {
                self.add("scope", err.to_string());
                ScopeSet::default()
            }
        };
        if scope.is_empty() {
            self.add_once(
                "scope",
                "List the scopes the app asks for, separated by spaces.",
            );
        }
        scope
    }

    pub(super) fn launch_url(&mut self, value: Option<String>) -> Option<LaunchUrl> {
        match value.filter(|v| !v.trim().is_empty()) {
            Some(v) => match LaunchUrl::parse(v.trim()) {
                Ok(url) => Some(url),
                Err(err) => {
                    self.add_once("launch_url", err.to_string());
                    None
                }
            },
            None => None,
        }
    }

    /// Support addresses, kept as [`crate::Email`] normalises them.
    pub(super) fn contacts(&mut self, values: Option<Vec<String>>) -> Vec<String> {
        let mut contacts = Vec::new();
        for contact in values.unwrap_or_default() {
            match crate::Email::parse(&contact) {
                Ok(email) => contacts.push(email.to_string()),
                Err(err) => self.add_once("contacts", format!("`{contact}`: {err}")),
            }
        }
        contacts
    }
}
