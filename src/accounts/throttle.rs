//! Sign-in attempts are limited per client address and per e-mail address: BigCommerce's
//! credential check is itself strictly rate-limited, and a favourite of credential stuffers.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};

use crate::configuration::RateLimitSettings;
use crate::domain::EmailAddress;

pub struct LoginThrottle {
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    /// Keyed by a hash, so the limiter's memory holds no e-mail addresses.
    per_email: DefaultKeyedRateLimiter<[u8; 32]>,
}

impl LoginThrottle {
    pub fn new(settings: &RateLimitSettings) -> Self {
        let per_minute = |n: u32| Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        Self {
            per_ip: RateLimiter::keyed(per_minute(settings.logins_per_minute_per_ip)),
            per_email: RateLimiter::keyed(per_minute(settings.logins_per_minute_per_email)),
        }
    }

    /// Counts one attempt; `Err(wait)` when the address or the e-mail is over its limit.
    pub fn check(&self, ip: Option<IpAddr>, email: &EmailAddress) -> Result<(), Duration> {
        let now = DefaultClock::default().now();
        if let Some(ip) = ip {
            self.per_ip
                .check_key(&ip)
                .map_err(|n| n.wait_time_from(now))?;
        }
        let key: [u8; 32] = Sha256::digest(email.throttle_key().as_bytes()).into();
        self.per_email
            .check_key(&key)
            .map_err(|n| n.wait_time_from(now))
    }

    pub fn forget_idle_clients(&self) {
        self.per_ip.retain_recent();
        self.per_email.retain_recent();
    }
}
