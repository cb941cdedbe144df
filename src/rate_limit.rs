//! Per-client limits on cart mutations: each one spends the store's shared BigCommerce quota,
//! so neither one session nor one address may spend it all.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use uuid::Uuid;

use crate::configuration::RateLimitSettings;

/// Keyed rate limiters for mutations.
pub struct MutationLimiter {
    per_session: DefaultKeyedRateLimiter<Uuid>,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
}

impl MutationLimiter {
    pub fn new(settings: &RateLimitSettings) -> Self {
        let quota = |per_minute: u32| {
            Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN))
        };
        Self {
            per_session: RateLimiter::keyed(quota(settings.mutations_per_minute_per_session)),
            per_ip: RateLimiter::keyed(quota(settings.mutations_per_minute_per_ip)),
        }
    }

    /// Counts one mutation; `Err(wait)` when the session or the client (its rate-limit key,
    /// see `client_address`) is over its limit.
    pub fn check(&self, client: Option<IpAddr>, session: Uuid) -> Result<(), Duration> {
        let now = DefaultClock::default().now();
        if let Some(ip) = client {
            self.per_ip
                .check_key(&ip)
                .map_err(|not_until| not_until.wait_time_from(now))?;
        }
        self.per_session
            .check_key(&session)
            .map_err(|not_until| not_until.wait_time_from(now))
    }

    /// Drops the state of clients that have been quiet long enough to be back at full quota.
    pub fn forget_idle_clients(&self) {
        self.per_session.retain_recent();
        self.per_ip.retain_recent();
    }
}
