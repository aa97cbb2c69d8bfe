//! Throttling of failed sign-ins, per account and per client address.
//!
//! Each key (`account:<email>`, `ip:<address>`) counts failures in a one-hour
//! window. After a few free failures every further one adds a growing delay
//! (1 s, 2 s, 4 s … capped); at the hourly limit the key is blocked until the
//! window ends. Keys for unknown accounts count the same as for real ones, so
//! throttling reveals nothing about which emails exist.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

use crate::entity::login_throttle;
use crate::{Engine, EngineError, EngineResult};

#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    /// Failures per window before delays start.
    pub free_failures: i32,
    /// Failures per window after which the key is blocked until the window ends.
    pub max_failures: i32,
    pub max_delay: Duration,
}

pub const ACCOUNT_POLICY: ThrottlePolicy = ThrottlePolicy {
    free_failures: 5,
    max_failures: 100,
    max_delay: Duration::minutes(5),
};
pub const ADDRESS_POLICY: ThrottlePolicy = ThrottlePolicy {
    free_failures: 20,
    max_failures: 1000,
    max_delay: Duration::minutes(5),
};
const WINDOW: Duration = Duration::hours(1);

impl ThrottlePolicy {
    /// When a key with `failures` in a window that began at `window_start`
    /// may try again, or `None` when it may try at once.
    fn blocked_until(
        &self,
        failures: i32,
        window_start: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        if failures >= self.max_failures {
            return Some(window_start + WINDOW);
        }
        if failures < self.free_failures {
            return None;
        }
        let exponent = u32::try_from(failures - self.free_failures)
            .unwrap_or(0)
            .min(20);
        let delay = Duration::seconds(1i64 << exponent).min(self.max_delay);
        Some(now + delay)
    }
}

impl Engine {
    /// Refuses with `Throttled` when any of `keys` is blocked now.
    pub async fn check_throttle(&self, keys: &[&str]) -> EngineResult<()> {
        let now = self.now();
        let mut wait = 0i64;
        for key in keys {
            if let Some(row) = login_throttle::Entity::find_by_id(key.to_string())
                .one(self.db())
                .await?
            {
                if let Some(until) = row.blocked_until.filter(|until| *until > now) {
                    wait = wait.max((until - now).num_milliseconds());
                }
            }
        }
        if wait > 0 {
            let retry_after_secs = u64::try_from((wait + 999) / 1000).unwrap_or(1);
            return Err(EngineError::Throttled { retry_after_secs });
        }
        Ok(())
    }

    /// Counts one failure against `key`.
    pub async fn record_failure(&self, key: &str, policy: ThrottlePolicy) -> EngineResult<()> {
        let now = self.now();
        let existing = login_throttle::Entity::find_by_id(key.to_owned())
            .one(self.db())
            .await?;
        match existing {
            Some(row) => {
                let (window_start, failures) = if row.window_started_at + WINDOW <= now {
                    (now, 1)
                } else {
                    (row.window_started_at, row.failures.saturating_add(1))
                };
                let mut active: login_throttle::ActiveModel = row.into();
                active.failures = Set(failures);
                active.window_started_at = Set(window_start);
                active.last_failure_at = Set(now);
                active.blocked_until = Set(policy.blocked_until(failures, window_start, now));
                active.update(self.db()).await?;
            }
            None => {
                login_throttle::ActiveModel {
                    key: Set(key.to_owned()),
                    failures: Set(1),
                    window_started_at: Set(now),
                    last_failure_at: Set(now),
                    blocked_until: Set(policy.blocked_until(1, now, now)),
                }
                .insert(self.db())
                .await?;
            }
        }
        Ok(())
    }

    /// A successful sign-in clears the account's count (not the address's).
    pub async fn clear_failures(&self, key: &str) -> EngineResult<()> {
        login_throttle::Entity::delete_by_id(key.to_owned())
            .exec(self.db())
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_after_the_free_failures_and_block_at_the_limit() {
        let now = Utc::now();
        let policy = ACCOUNT_POLICY;
        assert_eq!(policy.blocked_until(4, now, now), None);
        assert_eq!(
            policy.blocked_until(5, now, now),
            Some(now + Duration::seconds(1))
        );
        assert_eq!(
            policy.blocked_until(7, now, now),
            Some(now + Duration::seconds(4))
        );
        assert_eq!(
            policy.blocked_until(60, now, now),
            Some(now + Duration::minutes(5))
        );
        assert_eq!(
            policy.blocked_until(100, now - Duration::minutes(10), now),
            Some(now + Duration::minutes(50))
        );
    }
}
