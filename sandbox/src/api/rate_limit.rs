//! BigCommerce's rate limiter: a fixed window per store. The four `X-Rate-Limit-*` headers are
//! always computed; requests past the quota get 429 only when enforcement is on.

use std::time::{Duration, Instant};

use actix_web::HttpResponseBuilder;
use parking_lot::Mutex;

use crate::config::RateLimitConfig;

/// The limiter's view of one request.
#[derive(Debug, Clone, Copy)]
pub struct RateLimitSnapshot {
    pub window_ms: u64,
    pub reset_ms: u64,
    pub quota: u32,
    pub left: u32,
    /// Over the quota while enforcing: answer 429.
    pub limited: bool,
}

impl RateLimitSnapshot {
    /// Adds the four rate-limit headers.
    pub fn apply(&self, builder: &mut HttpResponseBuilder) {
        builder
            .insert_header(("X-Rate-Limit-Time-Window-Ms", self.window_ms.to_string()))
            .insert_header(("X-Rate-Limit-Time-Reset-Ms", self.reset_ms.to_string()))
            .insert_header(("X-Rate-Limit-Requests-Quota", self.quota.to_string()))
            .insert_header(("X-Rate-Limit-Requests-Left", self.left.to_string()));
    }

    /// Adds the headers of a rate-limited answer: no requests left and `X-Retry-After` (s).
    pub fn apply_limited(&self, builder: &mut HttpResponseBuilder) {
        let limited = Self { left: 0, ..*self };
        limited.apply(builder);
        let retry_after = self.reset_ms.div_ceil(1000).max(1);
        builder.insert_header(("X-Retry-After", retry_after.to_string()));
    }
}

#[derive(Debug)]
struct Window {
    config: RateLimitConfig,
    start: Instant,
    count: u32,
    /// The most requests any window held since the limiter was configured: the quota less
    /// this is what the busiest window left for everybody else.
    peak: u32,
    /// Windows started since the limiter was configured.
    windows: u64,
}

/// How full the windows got, for `/__sandbox/stats`.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct RateLimitUsage {
    pub quota: u32,
    pub window_ms: u64,
    pub windows: u64,
    pub peak_window_requests: u32,
}

/// The store's limiter.
#[derive(Debug)]
pub struct RateLimiter {
    inner: Mutex<Window>,
}

impl RateLimiter {
    pub fn new(config: RateLimitConfig) -> Self {
        Self {
            inner: Mutex::new(Window {
                config,
                start: Instant::now(),
                count: 0,
                peak: 0,
                windows: 1,
            }),
        }
    }

    pub fn config(&self) -> RateLimitConfig {
        self.inner.lock().config
    }

    /// New settings start a new window.
    pub fn configure(&self, config: RateLimitConfig) {
        *self.inner.lock() = Window {
            config,
            start: Instant::now(),
            count: 0,
            peak: 0,
            windows: 1,
        };
    }

    pub fn usage(&self) -> RateLimitUsage {
        let w = self.inner.lock();
        RateLimitUsage {
            quota: w.config.quota,
            window_ms: w.config.window_ms,
            windows: w.windows,
            peak_window_requests: w.peak,
        }
    }

    /// Counts a request in the current window.
    pub fn hit(&self) -> RateLimitSnapshot {
        let now = Instant::now();
        let mut w = self.inner.lock();
        let window = Duration::from_millis(w.config.window_ms.max(1));
        if now.duration_since(w.start) >= window {
            w.start = now;
            w.count = 0;
            w.windows += 1;
        }
        w.count = w.count.saturating_add(1);
        w.peak = w.peak.max(w.count);
        let elapsed = now.duration_since(w.start);
        let reset_ms = u64::try_from(window.saturating_sub(elapsed).as_millis()).unwrap_or(0);
        RateLimitSnapshot {
            window_ms: w.config.window_ms,
            reset_ms,
            quota: w.config.quota,
            left: w.config.quota.saturating_sub(w.count),
            limited: w.config.enforce && w.count > w.config.quota,
        }
    }
}
