//! Demo data for a fresh installation: one account per role, a publisher and
//! a tenant. Idempotent: running it again resets the demo passwords.

use domain::PlatformRole;

use crate::orgs::TenantAdmin;
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

impl Engine {
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
        if let Some(developer) = accounts.get(2) {
            match self
                .create_publisher(developer, "acme-health-apps", "Acme Health Apps")
                .await
            {
                Ok(_) | Err(EngineError::Conflict { .. }) => {}
                Err(e) => return Err(e),
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
        Ok(DEMO_ACCOUNTS)
    }
}
