//! What the cached product list is good for right now: served as it is, served while a
//! refresh runs, or waited for; and, after refreshes failed, when to try again.
//!
//! A failed refresh backs off (1 s, doubling, at most 30 s, and never sooner than BigCommerce
//! or the store's budget asked us to wait), so an outage costs a handful of calls, not one per
//! page load; the last good list is served all the while.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Product;
use crate::bigcommerce::BigCommerceError;

/// The wait after the first failed refresh; each further failure doubles it.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// The longest wait between refreshes while BigCommerce fails: one rate-limit window.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The products as last read, and how refreshing them has gone.
#[derive(Default)]
pub(super) struct Freshness {
    /// The last list BigCommerce gave, and when.
    last_good: Option<(Instant, Arc<Vec<Product>>)>,
    failing: Option<Failing>,
}

/// Refreshes have been failing since the last good one.
struct Failing {
    failures: u32,
    retry_at: Instant,
    /// What a request with no list to fall back on is answered until `retry_at`.
    error: BigCommerceError,
}

/// What a request for the products should do.
pub(super) enum Plan {
    /// Serve this list: it is fresh, or refreshing is backing off.
    Serve(Arc<Vec<Product>>),
    /// Serve this (stale) list at once, and refresh it in the background.
    ServeAndRefresh(Arc<Vec<Product>>),
    /// There is no list yet: refresh, and wait for it.
    Refresh,
    /// There is no list, and the last refresh failed only moments ago: answer its error.
    Fail(BigCommerceError),
}

impl Freshness {
    pub fn plan(&self, now: Instant, ttl: Duration) -> Plan {
        let backing_off = self
            .failing
            .as_ref()
            .is_some_and(|failing| now < failing.retry_at);
        match (&self.last_good, &self.failing) {
            (Some((at, products)), _) if now.saturating_duration_since(*at) < ttl => {
                Plan::Serve(Arc::clone(products))
            }
            (Some((_, products)), _) if backing_off => Plan::Serve(Arc::clone(products)),
            (Some((_, products)), _) => Plan::ServeAndRefresh(Arc::clone(products)),
            (None, Some(failing)) if backing_off => Plan::Fail(failing.error.clone_kind()),
            (None, _) => Plan::Refresh,
        }
    }

    /// The last good list, however old.
    pub fn last_good(&self) -> Option<Arc<Vec<Product>>> {
        self.last_good
            .as_ref()
            .map(|(_, products)| Arc::clone(products))
    }

    pub fn refreshed(&mut self, now: Instant, products: Arc<Vec<Product>>) {
        self.last_good = Some((now, products));
        self.failing = None;
    }

    /// Notes a failed refresh; returns how long until the next one may be tried.
    pub fn refresh_failed(&mut self, now: Instant, error: &BigCommerceError) -> Duration {
        let failures = self.failing.as_ref().map_or(0, |f| f.failures) + 1;
        let wait = backoff(failures, error);
        self.failing = Some(Failing {
            failures,
            retry_at: now + wait,
            error: error.clone_kind(),
        });
        wait
    }
}

/// The wait after the `failures`th failed refresh in a row.
fn backoff(failures: u32, error: &BigCommerceError) -> Duration {
    let doubled = FIRST_BACKOFF.saturating_mul(1 << failures.saturating_sub(1).min(16));
    let asked = match error {
        BigCommerceError::RateLimited { retry_after }
        | BigCommerceError::Busy { retry_after, .. } => *retry_after,
        _ => Duration::ZERO,
    };
    doubled.max(asked).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_secs(60);

    fn unavailable() -> BigCommerceError {
        BigCommerceError::Unavailable {
            status: Some(500),
            source: None,
        }
    }

    fn list() -> Arc<Vec<Product>> {
        Arc::new(Vec::new())
    }

    #[test]
    fn backoff_doubles_up_to_one_window() {
        let waits: Vec<u64> = (1..=7)
            .map(|n| backoff(n, &unavailable()).as_secs())
            .collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(backoff(u32::MAX, &unavailable()), MAX_BACKOFF);
    }

    #[test]
    fn backoff_waits_at_least_as_long_as_asked() {
        let shed = BigCommerceError::RateLimited {
            retry_after: Duration::from_secs(12),
        };
        assert_eq!(backoff(1, &shed), Duration::from_secs(12));
        let long = BigCommerceError::RateLimited {
            retry_after: Duration::from_secs(600),
        };
        assert_eq!(backoff(1, &long), MAX_BACKOFF);
    }

    #[test]
    fn a_stale_list_is_served_while_refreshing_and_while_backing_off() {
        let start = Instant::now();
        let mut freshness = Freshness::default();
        assert!(matches!(freshness.plan(start, TTL), Plan::Refresh));

        freshness.refreshed(start, list());
        assert!(matches!(freshness.plan(start, TTL), Plan::Serve(_)));
        let stale = start + TTL;
        assert!(matches!(
            freshness.plan(stale, TTL),
            Plan::ServeAndRefresh(_)
        ));

        let wait = freshness.refresh_failed(stale, &unavailable());
        assert!(matches!(freshness.plan(stale, TTL), Plan::Serve(_)));
        assert!(matches!(
            freshness.plan(stale + wait, TTL),
            Plan::ServeAndRefresh(_)
        ));
    }

    #[test]
    fn without_a_list_a_recent_failure_is_answered_at_once() {
        let start = Instant::now();
        let mut freshness = Freshness::default();

        let wait = freshness.refresh_failed(start, &unavailable());

        assert!(matches!(
            freshness.plan(start, TTL),
            Plan::Fail(BigCommerceError::Unavailable { .. })
        ));
        assert!(matches!(freshness.plan(start + wait, TTL), Plan::Refresh));
        let second = freshness.refresh_failed(start + wait, &unavailable());
        assert_eq!(second, wait * 2);
    }
}
