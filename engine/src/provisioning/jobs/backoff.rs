//! How long a job waits before its next attempt, and the other timings of
//! provisioning, as settings (tests shorten them; the clock is the
//! engine's, so a test moves it instead of waiting).

use std::time::Duration;

use rand::Rng;

#[derive(Debug, Clone)]
pub struct ProvisioningConfig {
    /// Attempts before a job is given up (`failed`).
    pub max_attempts: i32,
    /// The wait after the first failure; it doubles after each.
    pub first_retry: Duration,
    /// The longest wait between attempts.
    pub max_retry: Duration,
    /// The longest `Retry-After` honoured.
    pub retry_after_cap: Duration,
    /// How long a claimed job is left to its worker before another may
    /// take it (longer than a call can take).
    pub lease: Duration,
    /// How often an active client is read back and compared.
    pub drift_every: Duration,
    /// How often a server whose jobs wait is probed, so that its backlog
    /// runs as soon as it answers again.
    pub probe_every: Duration,
    /// Jobs run at once by one worker.
    pub concurrency: usize,
    /// Test failpoint: end the process right after a server's 2xx to a
    /// registration, before it is recorded.
    pub crash_after_register: bool,
}

impl Default for ProvisioningConfig {
    fn default() -> Self {
        Self {
            max_attempts: 12,
            first_retry: Duration::from_secs(2),
            max_retry: Duration::from_secs(15 * 60),
            retry_after_cap: Duration::from_secs(15 * 60),
            lease: Duration::from_secs(60),
            drift_every: Duration::from_secs(60 * 60),
            probe_every: Duration::from_secs(10),
            concurrency: 16,
            crash_after_register: false,
        }
    }
}

impl ProvisioningConfig {
    /// The wait after the `attempts`-th failed attempt (1 for the first):
    /// `first_retry` doubling up to `max_retry`, less up to a fifth at
    /// random so that jobs failed together do not come back together; at
    /// least what the server asked for in `Retry-After`, up to its cap.
    pub fn wait(&self, attempts: i32, retry_after: Option<Duration>) -> Duration {
        let doubled = self
            .first_retry
            .saturating_mul(1u32 << attempts.clamp(1, 20).saturating_sub(1))
            .min(self.max_retry);
        let jitter = rand::thread_rng().gen_range(0.8..=1.0);
        let backoff = doubled.mul_f64(jitter);
        match retry_after {
            Some(asked) => backoff.max(asked.min(self.retry_after_cap)),
            None => backoff,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_with_jitter_up_to_the_cap() {
        let config = ProvisioningConfig::default();
        for (attempt, full) in [(1, 2), (2, 4), (3, 8), (10, 900), (12, 900)] {
            let wait = config.wait(attempt, None).as_secs_f64();
            let full = full as f64;
            assert!(wait <= full && wait >= full * 0.8, "{attempt}: {wait}");
        }
    }

    #[test]
    fn retry_after_is_honoured_up_to_its_cap() {
        let config = ProvisioningConfig::default();
        assert_eq!(
            config.wait(1, Some(Duration::from_secs(120))),
            Duration::from_secs(120)
        );
        assert_eq!(
            config.wait(1, Some(Duration::from_secs(86_400))),
            Duration::from_secs(900)
        );
    }
}
