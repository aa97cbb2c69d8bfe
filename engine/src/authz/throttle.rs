//! Throttling of failed client authentications at the token endpoint, in
//! memory: the endpoint must stay free of database reads. Each client
//! (per tenant) may fail a few times an hour; after that every failure
//! doubles the wait before the next attempt, up to five minutes. The
//! count is per process; a client spread over several replicas gets the
//! allowance of each.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::OAuthError;

const FREE_FAILURES: u32 = 10;
const WINDOW: Duration = Duration::from_secs(3600);
const MAX_DELAY: Duration = Duration::from_secs(300);
const CAPACITY: usize = 100_000;

#[derive(Default)]
pub(crate) struct ClientThrottle {
    clients: Mutex<HashMap<String, Failures>>,
}

#[derive(Clone, Copy)]
struct Failures {
    since: Instant,
    count: u32,
    blocked_until: Option<Instant>,
}

impl ClientThrottle {
    /// Refuses while `key` must wait.
    pub(crate) fn check(&self, key: &str, now: Instant) -> Result<(), OAuthError> {
        let clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        match clients.get(key).and_then(|f| f.blocked_until) {
            Some(until) if until > now => {
                let secs = (until - now).as_secs().max(1);
                Err(OAuthError::throttled(secs))
            }
            _ => Ok(()),
        }
    }

    pub(crate) fn failed(&self, key: &str, now: Instant) {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if clients.len() >= CAPACITY && !clients.contains_key(key) {
            clients.retain(|_, f| now.duration_since(f.since) < WINDOW);
        }
        let failures = clients.entry(key.to_owned()).or_insert(Failures {
            since: now,
            count: 0,
            blocked_until: None,
        });
        if now.duration_since(failures.since) >= WINDOW {
            *failures = Failures {
                since: now,
                count: 0,
                blocked_until: None,
            };
        }
        failures.count += 1;
        if failures.count > FREE_FAILURES {
            let exponent = (failures.count - FREE_FAILURES - 1).min(16);
            let delay = Duration::from_secs(1u64 << exponent).min(MAX_DELAY);
            failures.blocked_until = Some(now + delay);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_waits_longer_after_each_failure_past_the_free_ones() {
        let throttle = ClientThrottle::default();
        let start = Instant::now();
        for _ in 0..FREE_FAILURES {
            throttle.failed("t/c", start);
            assert!(throttle.check("t/c", start).is_ok());
        }
        throttle.failed("t/c", start);
        let refusal = throttle.check("t/c", start).unwrap_err();
        assert_eq!(refusal.status, 429);
        assert_eq!(refusal.retry_after, Some(1));
        assert!(throttle
            .check("t/c", start + Duration::from_secs(1))
            .is_ok());
        throttle.failed("t/c", start + Duration::from_secs(1));
        assert!(
            throttle
                .check("t/c", start + Duration::from_secs(2))
                .is_err(),
            "2 s now"
        );
        assert!(throttle.check("other/c", start).is_ok(), "per client");
        // A new window starts afresh.
        throttle.failed("t/c", start + WINDOW + Duration::from_secs(5));
        assert!(throttle
            .check("t/c", start + WINDOW + Duration::from_secs(5))
            .is_ok());
    }
}
