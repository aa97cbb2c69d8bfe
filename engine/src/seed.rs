//! Demo data for a fresh installation: one account per role, a publisher,
//! a tenant and two end users of its authorization server. Idempotent:
//! running it again resets the demo accounts' passwords (end users that
//! exist already are left as they are).

use domain::PlatformRole;

use crate::tenancy::tenants::TenantAdmin;
use crate::{Engine, EngineError, EngineResult};

/// A demo account and its password, for printing.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub role: &'static str,
    pub email: &'static str,
    pub password: &'static str,
}

pub const DEMO_ACCOUNTS: &[DemoAccount] = &[
    DemoAccount {
        role: "platform admin",
        email: "admin@sidecar.test",
        password: "demo-admin-lantern-42",
    },
    DemoAccount {
        role: "reviewer",
        email: "reviewer@sidecar.test",
        password: "demo-reviewer-orchard-42",
    },
    DemoAccount {
        role: "developer (publisher owner)",
        email: "developer@sidecar.test",
        password: "demo-developer-pivot-42",
    },
    DemoAccount {
        role: "tenant admin (demo-health)",
        email: "tenant-admin@sidecar.test",
        password: "demo-tenant-harbor-42",
    },
];

/// An end user of the demo tenant's authorization server, for printing.
#[derive(Debug, Clone)]
pub struct DemoEndUser {
    pub username: &'static str,
    pub fhir_user: &'static str,
    pub password: &'static str,
}

/// Who signs in when an app launches against `demo-health`.
pub const DEMO_END_USERS: &[DemoEndUser] = &[
    DemoEndUser {
        username: "dr.rivera",
        fhir_user: "Practitioner/demo-practitioner-1",
        password: "demo-clinician-meadow-42",
    },
    DemoEndUser {
        username: "sam.lee",
        fhir_user: "Patient/demo-patient-1",
        password: "demo-patient-harbour-42",
    },
];

fn demo_manifests() -> Vec<serde_json::Value> {
    use serde_json::json;
    vec![
        json!({
            "client_name": "Growth Charts",
            "tagline": "Pediatric growth charts with CDC and WHO percentiles",
            "description": "Plots height, weight, head circumference and BMI against CDC and WHO reference percentiles, right inside the chart.",
            "redirect_uris": ["https://growth-charts.example.org/callback"],
            "launch_url": "https://growth-charts.example.org/launch",
            "scope": "launch openid fhirUser patient/Patient.r patient/Observation.rs",
            "launch_types": ["ehr"],
            "fhir_versions": ["4.0.1"],
            "audience": ["clinician"],
            "categories": ["clinical-decision-support"],
            "client_uri": "https://growth-charts.example.org",
            "policy_uri": "https://growth-charts.example.org/privacy",
            "contacts": ["support@growth-charts.example.org"]
        }),
        json!({
            "client_name": "MedList",
            "tagline": "Your medications and allergies, in one list you can share",
            "description": "Patients see their current medications and allergies, with plain-language explanations, and can share the list with any clinician.",
            "redirect_uris": ["https://medlist.example.org/callback", "com.example.medlist:/callback"],
            "scope": "openid fhirUser launch/patient offline_access patient/MedicationRequest.rs patient/AllergyIntolerance.rs",
            "launch_types": ["standalone"],
            "fhir_versions": ["4.0.1", "4.3.0"],
            "audience": ["patient"],
            "categories": ["medications", "patient-engagement"],
            "client_uri": "https://medlist.example.org"
        }),
        json!({
            "client_name": "Sepsis Watch",
            "tagline": "Early warning for sepsis on the ward",
            "description": "Scores vital signs and lab results every hour and flags patients at risk of sepsis, so that the care team can act early.",
            "redirect_uris": ["https://sepsis-watch.example.org/callback"],
            "launch_url": "https://sepsis-watch.example.org/launch",
            "scope": "launch openid fhirUser user/Patient.rs user/Observation.rs user/Condition.rs user/*.rs",
            "token_endpoint_auth_method": "client_secret_basic",
            "launch_types": ["ehr"],
            "fhir_versions": ["4.0.1"],
            "audience": ["clinician"],
            "categories": ["clinical-decision-support"],
            "client_uri": "https://sepsis-watch.example.org",
            "policy_uri": "https://sepsis-watch.example.org/privacy",
            "contacts": ["support@sepsis-watch.example.org"]
        }),
        json!({
            "client_name": "Cohort Export",
            "tagline": "Nightly de-identified cohort exports for research",
            "description": "A backend service that exports consented research cohorts every night with FHIR Bulk Data.",
            "scope": "system/Patient.rs system/Observation.rs system/Condition.rs",
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks_uri": "https://cohort-export.example.org/.well-known/jwks.json",
            "launch_types": ["backend"],
            "fhir_versions": ["4.0.1"],
            "audience": ["backend"],
            "categories": ["research", "population-health"]
        }),
    ]
}

impl Engine {
    /// Registers, submits and approves a demo app unless it exists already.
    async fn seed_published_app(
        &self,
        developer: &crate::people::accounts::Account,
        reviewer: &crate::people::accounts::Account,
        manifest: serde_json::Value,
    ) -> EngineResult<()> {
        let input: domain::ManifestInput = serde_json::from_value(manifest)
            .map_err(|e| EngineError::Unexpected(anyhow::anyhow!("demo manifest: {e}")))?;
        let app = match self
            .create_app(developer, "acme-health-apps", None, input)
            .await
        {
            Ok(app) => app,
            Err(EngineError::Conflict { .. }) => return Ok(()),
            Err(e) => return Err(e),
        };
        let version = self.submit_app(developer, &app.slug).await?;
        self.approve_submission(reviewer, &version.id).await?;
        Ok(())
    }

    pub async fn seed_demo(&self) -> EngineResult<&'static [DemoAccount]> {
        let roles = [
            Some(PlatformRole::Admin),
            Some(PlatformRole::Reviewer),
            None,
            None,
        ];
        let mut accounts = Vec::new();
        for (demo, role) in DEMO_ACCOUNTS.iter().zip(roles) {
            accounts.push(
                self.create_verified_user(demo.email, demo.password, role)
                    .await?,
            );
        }
        if let (Some(reviewer), Some(developer)) = (accounts.get(1), accounts.get(2)) {
            match self
                .create_publisher(developer, "acme-health-apps", "Acme Health Apps")
                .await
            {
                Ok(_) | Err(EngineError::Conflict { .. }) => {}
                Err(e) => return Err(e),
            }
            for manifest in demo_manifests() {
                self.seed_published_app(developer, reviewer, manifest)
                    .await?;
            }
        }
        match self
            .create_tenant_as_operator(
                "demo-health",
                "Demo Health System",
                "tenant-admin@sidecar.test",
            )
            .await
        {
            Ok(TenantAdmin::Member(_))
            | Ok(TenantAdmin::Invited(_))
            | Err(EngineError::Conflict { .. }) => {}
            Err(e) => return Err(e),
        }
        if let Some(admin) = accounts.get(3) {
            let tenant = self.tenant(admin, "demo-health").await?;
            for user in DEMO_END_USERS {
                match self
                    .create_tenant_user(&tenant, user.username, user.password, user.fhir_user)
                    .await
                {
                    Ok(_) | Err(EngineError::Conflict { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(DEMO_ACCOUNTS)
    }
}
