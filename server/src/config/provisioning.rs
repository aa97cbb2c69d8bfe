//! The settings of provisioning into tenants' own authorization servers.

use std::time::Duration;

use anyhow::Context as _;
use engine::provisioning::ProvisioningConfig;

pub(super) const KEYS: &[&str] = &[
    "SIDECAR_PROVISIONING_ATTEMPTS",
    "SIDECAR_PROVISIONING_FIRST_RETRY_SECONDS",
    "SIDECAR_PROVISIONING_MAX_RETRY_SECONDS",
    "SIDECAR_PROVISIONING_DRIFT_MINUTES",
    "SIDECAR_PROVISIONING_LEASE_SECONDS",
    "SIDECAR_TEST_FAILPOINT",
];

/// `key` as a whole number in `range`, or `default` when unset.
fn number(
    get: &dyn Fn(&str) -> Option<String>,
    key: &str,
    range: std::ops::RangeInclusive<u64>,
    default: u64,
) -> anyhow::Result<u64> {
    match get(key) {
        None => Ok(default),
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|n| range.contains(n))
            .with_context(|| {
                format!(
                    "{key} `{v}` must be a whole number from {} to {}",
                    range.start(),
                    range.end()
                )
            }),
    }
}

pub(super) fn read(get: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<ProvisioningConfig> {
    let defaults = ProvisioningConfig::default();
    let attempts = number(get, "SIDECAR_PROVISIONING_ATTEMPTS", 1..=100, 12)?;
    let first = number(get, "SIDECAR_PROVISIONING_FIRST_RETRY_SECONDS", 1..=3600, 2)?;
    let max = number(
        get,
        "SIDECAR_PROVISIONING_MAX_RETRY_SECONDS",
        1..=86_400,
        900,
    )?;
    let drift = number(get, "SIDECAR_PROVISIONING_DRIFT_MINUTES", 1..=10_080, 60)?;
    // Longer than a call may take (the fetch timeout), or a slow call's
    // job would be taken over while it is still under way.
    let lease = number(get, "SIDECAR_PROVISIONING_LEASE_SECONDS", 15..=3600, 60)?;
    let crash_after_register = match get("SIDECAR_TEST_FAILPOINT").as_deref() {
        None => false,
        Some("provisioning-after-register") => true,
        Some(v) => anyhow::bail!(
            "SIDECAR_TEST_FAILPOINT `{v}` is not a failpoint (provisioning-after-register)"
        ),
    };
    Ok(ProvisioningConfig {
        max_attempts: i32::try_from(attempts).unwrap_or(12),
        first_retry: Duration::from_secs(first),
        max_retry: Duration::from_secs(max.max(first)),
        drift_every: Duration::from_secs(drift * 60),
        lease: Duration::from_secs(lease),
        crash_after_register,
        ..defaults
    })
}
