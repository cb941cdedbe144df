//! The store's API quota as a budget. BigCommerce's `X-Rate-Limit-*` headers say what the whole
//! store (every instance of this service and every other app of the merchant) has left in the
//! current window; that is the shared truth, and this module spends against it:
//!
//! - Every call is admitted first. It is refused without being sent ("shed") when what is left,
//!   less the calls already in flight, would fall to the floor of its priority class. Floors
//!   rise from checkout (just above the merchant's reserve) through cart changes to refreshes,
//!   so under pressure refreshes stop first and checkout last, and the reserve is never spent.
//! - A 429 from the store blocks every class until its reset; a 429 from validate-credentials
//!   (limited separately by BigCommerce) blocks sign-in only.
//! - Values taken from headers are clamped: a huge or nonsensical one can delay us for at
//!   most `MAX_UPSTREAM_WAIT`, never overflow an `Instant`.
//!
//! The lock is a `parking_lot` mutex (it cannot be poisoned) and is never held across an
//! await.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;

use super::BigCommerceError;
use crate::configuration::QuotaSettings;
use crate::metrics::Metrics;

/// The longest wait any header may impose. BigCommerce's windows are 30 s; a reset far
/// beyond that is a fault, not a plan.
pub const MAX_UPSTREAM_WAIT: Duration = Duration::from_secs(60);
/// How long to back off after a 429 that carries no rate-limit headers: BigCommerce sends
/// those when the platform itself is shedding load, so back off for longer.
const HEADERLESS_429_BACKOFF: Duration = Duration::from_secs(2);
/// A reported reset this much later than the one we hold means a new window has begun.
const NEW_WINDOW_SLACK: Duration = Duration::from_secs(1);
/// Until the store's first answer says what is left, one call goes at a time (for at most
/// this long): a burst at start-up must not spend a quota we only assumed.
const FIRST_ANSWER_WAIT: Duration = Duration::from_secs(2);

/// What a call is for, which decides when it is shed. Declared from first shed to last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// Catalog refreshes and revalidations of a snapshot we could serve instead.
    Refresh,
    /// Cart changes, recoveries, sign-ins, and reads with nothing to fall back on.
    Change,
    /// Minting checkout hand-offs (and the clock read a signed-in hand-off needs).
    Checkout,
}

impl Priority {
    pub const ALL: [Priority; 3] = [Priority::Refresh, Priority::Change, Priority::Checkout];

    /// The metrics label.
    pub fn label(self) -> &'static str {
        match self {
            Priority::Refresh => "refresh",
            Priority::Change => "change",
            Priority::Checkout => "checkout",
        }
    }

    /// The class of an endpoint when its caller does not say otherwise.
    pub fn of_endpoint(endpoint: &str) -> Self {
        match endpoint {
            "POST /v3/carts/{id}/redirect_urls" | "GET /v2/time" => Priority::Checkout,
            // The operator's own set-up (the CLI) is never shed before shoppers' changes.
            e if e.contains("/v3/hooks") => Priority::Checkout,
            e if e.starts_with("GET /v3/catalog") => Priority::Refresh,
            _ => Priority::Change,
        }
    }
}

/// Which limiter a 429 from an endpoint speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Limiter {
    Store,
    /// `validate-credentials` has "special rate limiting protections" of its own.
    SignIn,
}

fn limiter_of(endpoint: &str) -> Limiter {
    if endpoint == "POST /v3/customers/validate-credentials" {
        Limiter::SignIn
    } else {
        Limiter::Store
    }
}

/// The budget as `/metrics` and per-client fair shares see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaView {
    /// Requests per window for the whole store.
    pub quota: u64,
    pub window: Duration,
    /// Requests left in the current window, as far as this instance knows.
    pub left: u64,
    /// Requests never spent, left for the merchant's other integrations.
    pub reserve: u64,
    /// How long until the current window ends, when BigCommerce said so (the quota refills
    /// then: fair shares refill with it).
    pub resets_in: Option<Duration>,
}

#[derive(Debug)]
struct State {
    quota: u64,
    window: Duration,
    left: u64,
    /// When the current window ends; `None` until a header said so, or after it ended.
    resets_at: Option<Instant>,
    in_flight: u64,
    /// Whether any answer carried the store's count yet.
    learned: bool,
    /// When the first call was sent, while we have not learned.
    probe_started: Option<Instant>,
    store_blocked_until: Option<Instant>,
    sign_in_blocked_until: Option<Instant>,
}

/// The store's budget, shared by every BigCommerce call of this instance.
pub struct Budget {
    settings: QuotaSettings,
    state: Mutex<State>,
    metrics: Arc<Metrics>,
}

/// One admitted call. Dropping it (the call finished, failed or was cancelled) frees its
/// place among the calls in flight.
pub struct Permit<'a> {
    budget: &'a Budget,
    limiter: Limiter,
}

impl Budget {
    pub fn new(settings: QuotaSettings, metrics: Arc<Metrics>) -> Self {
        let quota = u64::from(settings.assumed_requests_per_window);
        let state = State {
            quota,
            window: Duration::from_millis(settings.assumed_window_ms),
            left: quota,
            resets_at: None,
            in_flight: 0,
            learned: false,
            probe_started: None,
            store_blocked_until: None,
            sign_in_blocked_until: None,
        };
        let budget = Self {
            settings,
            state: Mutex::new(state),
            metrics,
        };
        budget.export(&budget.state.lock());
        budget
    }

    /// The store's quota, its window and what is left, for sizing fair shares and metrics.
    pub fn view(&self) -> QuotaView {
        let now = Instant::now();
        let mut state = self.state.lock();
        roll_window(&mut state, now);
        QuotaView {
            quota: state.quota,
            window: state.window,
            left: state.left,
            reserve: self.floor(Priority::Checkout, state.quota),
            resets_in: state
                .resets_at
                .and_then(|at| at.checked_duration_since(now)),
        }
    }

    /// Admits a call of `priority` to `endpoint`, or says why not and for how long.
    pub fn admit(&self, endpoint: &str, priority: Priority) -> Result<Permit<'_>, Refusal> {
        let now = Instant::now();
        let limiter = limiter_of(endpoint);
        let mut state = self.state.lock();
        let blocked = match limiter {
            Limiter::Store => state.store_blocked_until,
            Limiter::SignIn => state.sign_in_blocked_until.max(state.store_blocked_until),
        };
        if let Some(wait) = blocked.and_then(|until| until.checked_duration_since(now)) {
            if !wait.is_zero() {
                return Err(Refusal::RateLimited(wait));
            }
        }
        roll_window(&mut state, now);
        if !state.learned && state.in_flight > 0 {
            let probing = state
                .probe_started
                .is_some_and(|started| now.duration_since(started) < FIRST_ANSWER_WAIT);
            if probing {
                return Err(Refusal::Learning);
            }
        }
        if !state.learned && state.in_flight == 0 {
            state.probe_started = Some(now);
        }
        let available = state.left.saturating_sub(state.in_flight);
        if available <= self.floor(priority, state.quota) {
            self.metrics
                .bigcommerce_shed
                .with_label_values(&[priority.label()])
                .inc();
            let retry_after = state
                .resets_at
                .and_then(|at| at.checked_duration_since(now))
                .unwrap_or(state.window)
                .clamp(Duration::from_secs(1), MAX_UPSTREAM_WAIT);
            return Err(Refusal::Shed(retry_after));
        }
        state.in_flight += 1;
        self.metrics
            .bigcommerce_calls
            .with_label_values(&[priority.label()])
            .inc();
        Ok(Permit {
            budget: self,
            limiter,
        })
    }

    /// Below how many requests left a class is shed: the reserve for checkout, plus the
    /// checkout band for changes, plus the change band for refreshes.
    fn floor(&self, priority: Priority, quota: u64) -> u64 {
        let share = |percent: u8| (quota * u64::from(percent)).div_ceil(100);
        let reserve = share(self.settings.reserve_percent);
        match priority {
            Priority::Checkout => reserve,
            Priority::Change => reserve + share(self.settings.checkout_percent),
            Priority::Refresh => {
                reserve
                    + share(self.settings.checkout_percent)
                    + share(self.settings.change_percent)
            }
        }
    }

    fn export(&self, state: &State) {
        let gauge = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
        self.metrics.bigcommerce_quota.set(gauge(state.quota));
        self.metrics
            .bigcommerce_requests_left
            .set(gauge(state.left));
        self.metrics
            .bigcommerce_quota_reserve
            .set(gauge(self.floor(Priority::Checkout, state.quota)));
    }
}

impl Permit<'_> {
    /// Learns from an answer: the store's own count when it sent one, else our own.
    pub fn settle(self, status: StatusCode, headers: &HeaderMap) {
        let now = Instant::now();
        let budget = self.budget;
        let mut state = budget.state.lock();
        let limited = status == StatusCode::TOO_MANY_REQUESTS;
        match self.limiter {
            // Its headers, if any, may describe its own limiter rather than the store's
            // (unconfirmed), so they are not trusted for the store; the call is counted.
            Limiter::SignIn => {
                state.left = state.left.saturating_sub(1);
                if limited {
                    state.sign_in_blocked_until = now.checked_add(rate_limit_wait(headers));
                }
            }
            Limiter::Store => {
                learn_from_headers(&mut state, headers, now);
                if limited {
                    state.left = 0;
                    state.store_blocked_until = now.checked_add(rate_limit_wait(headers));
                }
            }
        }
        budget.export(&state);
    }

    /// The call never reached BigCommerce's answer (a broken connection or a timeout): it
    /// may still have been counted, so count it.
    pub fn settle_unanswered(self) {
        let mut state = self.budget.state.lock();
        state.left = state.left.saturating_sub(1);
        self.budget.export(&state);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut state = self.budget.state.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
    }
}

/// Why a call was not sent.
#[derive(Debug, Clone, Copy)]
pub enum Refusal {
    /// The store (or its sign-in limiter) answered 429; nothing is sent until then.
    RateLimited(Duration),
    /// Our own budget: sending would eat into what higher classes and other apps need.
    Shed(Duration),
    /// The first call is still out; ask again in a moment.
    Learning,
}

impl Refusal {
    pub fn into_error(self, priority: Priority) -> BigCommerceError {
        match self {
            Refusal::RateLimited(retry_after) => BigCommerceError::RateLimited { retry_after },
            Refusal::Shed(retry_after) => BigCommerceError::Busy {
                priority,
                retry_after,
            },
            Refusal::Learning => BigCommerceError::Busy {
                priority,
                retry_after: Duration::from_secs(1),
            },
        }
    }
}

/// Once the window has ended, the whole quota is back (until a header says otherwise).
fn roll_window(state: &mut State, now: Instant) {
    if state.resets_at.is_some_and(|at| at <= now) {
        state.left = state.quota;
        state.resets_at = None;
    }
}

fn learn_from_headers(state: &mut State, headers: &HeaderMap, now: Instant) {
    if let Some(quota) = header_u64(headers, "x-rate-limit-requests-quota").filter(|q| *q > 0) {
        state.quota = quota;
    }
    if let Some(window) = header_u64(headers, "x-rate-limit-time-window-ms").filter(|w| *w > 0) {
        state.window = clamp_ms(window);
    }
    let left = header_u64(headers, "x-rate-limit-requests-left");
    let reset = header_u64(headers, "x-rate-limit-time-reset-ms").map(clamp_ms);
    if left.is_some() {
        state.learned = true;
    }
    match (left, reset) {
        (Some(left), Some(reset)) => {
            let reported = now.checked_add(reset);
            let new_window = match (state.resets_at, reported) {
                (None, _) => true,
                (Some(held), Some(reported)) => reported > held + NEW_WINDOW_SLACK,
                (Some(_), None) => false,
            };
            // Answers overtake each other: within one window only the lowest count is true.
            state.left = if new_window {
                left
            } else {
                state.left.min(left)
            };
            state.resets_at = reported;
        }
        (Some(left), None) => state.left = state.left.min(left),
        _ => state.left = state.left.saturating_sub(1),
    }
}

/// How long a 429 asks us to wait: its reset header, else X-Retry-After, else our own
/// jittered back-off (BigCommerce sends a bare 429 when the platform is shedding load).
pub fn rate_limit_wait(headers: &HeaderMap) -> Duration {
    if let Some(ms) = header_u64(headers, "x-rate-limit-time-reset-ms") {
        return clamp_ms(ms);
    }
    if let Some(seconds) = header_u64(headers, "x-retry-after") {
        return Duration::from_secs(seconds).min(MAX_UPSTREAM_WAIT);
    }
    jittered(HEADERLESS_429_BACKOFF)
}

fn clamp_ms(ms: u64) -> Duration {
    Duration::from_millis(ms).min(MAX_UPSTREAM_WAIT)
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse().ok())
}

/// `base` plus up to 100% random jitter, so many waiting clients do not retry in lockstep.
pub fn jittered(base: Duration) -> Duration {
    use rand::Rng;
    let millis = u64::try_from(base.as_millis()).unwrap_or(u64::MAX);
    let jitter = rand::rng().random_range(0..=millis);
    base.saturating_add(Duration::from_millis(jitter))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn budget(quota: u32) -> Budget {
        let settings = QuotaSettings {
            assumed_requests_per_window: quota,
            assumed_window_ms: 30_000,
            reserve_percent: 10,
            checkout_percent: 10,
            change_percent: 20,
        };
        Budget::new(settings, Arc::new(Metrics::new().expect("metrics")))
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).expect("value"));
        }
        map
    }

    #[test]
    fn classes_are_shed_in_order_and_the_reserve_is_never_spent() {
        let budget = budget(100);
        let mut admitted = std::collections::BTreeMap::new();
        for priority in Priority::ALL {
            let mut count = 0;
            while let Ok(permit) = budget.admit("GET /v3/carts/{id}", priority) {
                permit.settle(StatusCode::OK, &HeaderMap::new());
                count += 1;
            }
            admitted.insert(priority.label(), count);
        }
        // Floors: refresh 40, change 20, checkout 10 of 100.
        assert_eq!(admitted["refresh"], 60);
        assert_eq!(admitted["change"], 20);
        assert_eq!(admitted["checkout"], 10);
        assert_eq!(budget.view().left, 10, "the reserve");
    }

    #[test]
    fn the_first_call_goes_alone_until_the_store_has_answered() {
        let budget = budget(150);
        let first = budget.admit("x", Priority::Change).expect("the probe");
        assert!(matches!(
            budget.admit("x", Priority::Checkout),
            Err(Refusal::Learning)
        ));
        first.settle(
            StatusCode::OK,
            &headers(&[
                ("x-rate-limit-requests-left", "149"),
                ("x-rate-limit-time-reset-ms", "29000"),
            ]),
        );
        assert!(budget.admit("x", Priority::Change).is_ok());
    }

    #[test]
    fn calls_in_flight_count_against_what_is_left() {
        let budget = budget(10);
        budget.admit("x", Priority::Change).expect("probe").settle(
            StatusCode::OK,
            &headers(&[
                ("x-rate-limit-requests-left", "10"),
                ("x-rate-limit-time-reset-ms", "29000"),
            ]),
        );
        let permits: Vec<_> = std::iter::from_fn(|| budget.admit("x", Priority::Checkout).ok())
            .take(20)
            .collect();
        assert_eq!(permits.len(), 9, "10 less a reserve of 1");
        drop(permits);
        assert!(
            budget.admit("x", Priority::Checkout).is_ok(),
            "cancelled calls free their place"
        );
    }

    #[test]
    fn huge_headers_are_clamped_instead_of_overflowing() {
        let budget = budget(150);
        let huge = u64::MAX.to_string();
        let answer = headers(&[
            ("x-rate-limit-time-reset-ms", &huge),
            ("x-rate-limit-time-window-ms", &huge),
            ("x-rate-limit-requests-left", "0"),
            ("x-retry-after", &huge),
        ]);
        let permit = budget.admit("x", Priority::Change).expect("admitted");
        permit.settle(StatusCode::TOO_MANY_REQUESTS, &answer);
        match budget.admit("x", Priority::Checkout) {
            Err(Refusal::RateLimited(wait)) => assert!(wait <= MAX_UPSTREAM_WAIT),
            _ => panic!("expected to be held off"),
        }
        assert!(rate_limit_wait(&answer) <= MAX_UPSTREAM_WAIT);
    }

    #[test]
    fn a_sign_in_429_holds_off_sign_in_only() {
        let budget = budget(150);
        let endpoint = "POST /v3/customers/validate-credentials";
        let permit = budget.admit(endpoint, Priority::Change).expect("admitted");
        permit.settle(
            StatusCode::TOO_MANY_REQUESTS,
            &headers(&[("x-retry-after", "20")]),
        );
        assert!(matches!(
            budget.admit(endpoint, Priority::Change),
            Err(Refusal::RateLimited(_))
        ));
        assert!(budget.admit("POST /v3/carts", Priority::Change).is_ok());
    }

    #[test]
    fn within_a_window_the_lowest_count_wins_and_a_new_window_resets_it() {
        let budget = budget(150);
        for left in ["100", "120"] {
            let permit = budget.admit("x", Priority::Change).expect("admitted");
            permit.settle(
                StatusCode::OK,
                &headers(&[
                    ("x-rate-limit-requests-left", left),
                    ("x-rate-limit-time-reset-ms", "10000"),
                ]),
            );
        }
        assert_eq!(budget.view().left, 100, "a late answer does not raise it");
        let permit = budget.admit("x", Priority::Change).expect("admitted");
        permit.settle(
            StatusCode::OK,
            &headers(&[
                ("x-rate-limit-requests-left", "149"),
                ("x-rate-limit-time-reset-ms", "29999"),
            ]),
        );
        assert_eq!(budget.view().left, 149, "a new window");
    }
}
