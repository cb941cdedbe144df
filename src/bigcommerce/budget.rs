//! The store's API quota as a budget. BigCommerce's `X-Rate-Limit-*` headers say what the whole
//! store (every instance of this service and every other app of the merchant) has left in the
//! current window; that is the shared truth, and this module spends against it:
//!
//! - Every call is admitted first. It is refused without being sent ("shed") when what is left,
//!   less the calls already in flight, would fall to the floor of its priority class. Floors
//!   rise from checkout (just above the merchant's reserve) through cart changes to refreshes,
//!   so under pressure refreshes stop first and checkout last, and the reserve is never spent.
//! - Several instances share one store: with `quota.instances` set to N, each counts its calls
//!   in flight N times over, so together they never admit more than what is left above the
//!   floor (each spends at most its N-th of it between answers).
//! - What is left is known only from an answer of the current window. At start-up, and again
//!   whenever the window turns (other apps may already have spent the new one), one call goes
//!   at a time (the probe) until an answer says what is left.
//! - A 429 from the store holds every class off until its reset; a 429 without rate-limit
//!   headers (the platform shedding load) holds them off for a back-off that doubles while
//!   such 429s continue, then the probe goes alone. A 429 from validate-credentials (limited
//!   separately by BigCommerce) holds off sign-in only.
//! - The count always has an end: when no header said when the window ends, it is assumed to
//!   end one window from now, so no count (0 left after a bare 429, say) stands for good.
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
/// those when the platform itself is shedding load, so back off for longer (doubling while
/// they continue, up to `MAX_HEADERLESS_BACKOFF`).
const HEADERLESS_429_BACKOFF: Duration = Duration::from_secs(2);
const MAX_HEADERLESS_BACKOFF: Duration = Duration::from_secs(30);
/// A reported reset this much later than the one we hold means a new window has begun.
const NEW_WINDOW_SLACK: Duration = Duration::from_secs(1);
/// Until an answer of the current window says what is left, one call goes at a time (for at
/// most this long): a burst must not spend a quota we only assumed.
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
    /// When the current window ends; `None` until a call was answered, or after it ended.
    resets_at: Option<Instant>,
    /// `resets_at` is our own assumption (one window after an answer that named no reset),
    /// not BigCommerce's word.
    reset_assumed: bool,
    in_flight: u64,
    /// Whether an answer of the current window said what is left.
    learned: bool,
    /// The call sent alone while we have not learned: its number and when it went.
    probe: Option<(u64, Instant)>,
    next_probe: u64,
    store_blocked_until: Option<Instant>,
    sign_in_blocked_until: Option<Instant>,
    /// 429s without rate-limit headers in a row (each doubles the back-off).
    headerless_429s: u32,
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
    /// The probe's number, when this call went alone to learn what is left.
    probe: Option<u64>,
}

impl Budget {
    pub fn new(settings: QuotaSettings, metrics: Arc<Metrics>) -> Self {
        let quota = u64::from(settings.assumed_requests_per_window);
        let state = State {
            quota,
            window: Duration::from_millis(settings.assumed_window_ms),
            left: quota,
            resets_at: None,
            reset_assumed: false,
            in_flight: 0,
            learned: false,
            probe: None,
            next_probe: 0,
            store_blocked_until: None,
            sign_in_blocked_until: None,
            headerless_429s: 0,
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
                .filter(|_| !state.reset_assumed)
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
        let probing = !state.learned;
        if probing
            && state
                .probe
                .is_some_and(|(_, sent)| now.duration_since(sent) < FIRST_ANSWER_WAIT)
        {
            return Err(Refusal::Learning);
        }
        // Every instance may be spending the same count: each call in flight here stands for
        // one in flight at each of them.
        let instances = u64::from(self.settings.instances.max(1));
        let needed = self
            .floor(priority, state.quota)
            .saturating_add(instances.saturating_mul(state.in_flight + 1));
        if state.left < needed {
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
        let probe = probing.then(|| {
            state.next_probe += 1;
            state.probe = Some((state.next_probe, now));
            state.next_probe
        });
        state.in_flight += 1;
        self.metrics
            .bigcommerce_calls
            .with_label_values(&[priority.label()])
            .inc();
        Ok(Permit {
            budget: self,
            limiter,
            probe,
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
    /// Learns from an answer: the store's own count when it sent one, else our own. For a
    /// 429, returns how long every call of its limiter is now held off.
    pub fn settle(self, status: StatusCode, headers: &HeaderMap) -> Option<Duration> {
        let now = Instant::now();
        let budget = self.budget;
        let mut state = budget.state.lock();
        let limited = status == StatusCode::TOO_MANY_REQUESTS;
        let mut held_off = None;
        match self.limiter {
            // Its headers, if any, may describe its own limiter rather than the store's
            // (unconfirmed), so they are not trusted for the store; the call is counted.
            Limiter::SignIn => {
                state.left = state.left.saturating_sub(1);
                if limited {
                    let wait = rate_limit_wait(headers);
                    state.sign_in_blocked_until = now.checked_add(wait);
                    held_off = Some(wait);
                }
            }
            Limiter::Store => {
                let counted = learn_from_headers(&mut state, headers, now);
                if limited {
                    let wait = if has_rate_limit_headers(headers) {
                        state.headerless_429s = 0;
                        rate_limit_wait(headers)
                    } else {
                        // The platform is shedding load, not our quota: what is left stands
                        // (less this call), and the first call after the back-off goes
                        // alone to learn it afresh.
                        state.headerless_429s = state.headerless_429s.saturating_add(1);
                        state.learned = false;
                        headerless_wait(headers, state.headerless_429s)
                    };
                    if counted {
                        state.left = 0;
                    }
                    state.store_blocked_until = now.checked_add(wait);
                    held_off = Some(wait);
                } else {
                    state.headerless_429s = 0;
                }
            }
        }
        // No count stands for good: without BigCommerce's reset, this window is assumed to
        // end one window from now (and the window after it is learnt by a probe).
        if state.resets_at.is_none_or(|at| at <= now) {
            state.resets_at = now.checked_add(state.window);
            state.reset_assumed = true;
        }
        budget.export(&state);
        held_off
    }

    /// The call never reached BigCommerce's answer (a broken connection or a timeout): it
    /// may still have been counted, so count it.
    pub fn settle_unanswered(self) {
        let now = Instant::now();
        let mut state = self.budget.state.lock();
        state.left = state.left.saturating_sub(1);
        if state.resets_at.is_none_or(|at| at <= now) {
            state.resets_at = now.checked_add(state.window);
            state.reset_assumed = true;
        }
        self.budget.export(&state);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut state = self.budget.state.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
        // The probe is over, answered or not: if it taught us nothing, the next call probes.
        if let Some(number) = self.probe {
            if state.probe.is_some_and(|(current, _)| current == number) {
                state.probe = None;
            }
        }
    }
}

/// Why a call was not sent.
#[derive(Debug, Clone, Copy)]
pub enum Refusal {
    /// The store (or its sign-in limiter) answered 429; nothing is sent until then.
    RateLimited(Duration),
    /// Our own budget: sending would eat into what higher classes and other apps need.
    Shed(Duration),
    /// The probe is still out; ask again in a moment.
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

/// Once the window has ended, the quota is back, but how much of it other apps have spent
/// already is not known: until an answer of the new window says, one call goes at a time.
fn roll_window(state: &mut State, now: Instant) {
    if state.resets_at.is_some_and(|at| at <= now) {
        state.left = state.quota;
        state.resets_at = None;
        state.reset_assumed = false;
        state.learned = false;
        state.probe = None;
    }
}

/// Takes what an answer's headers say; whether they said what is left.
fn learn_from_headers(state: &mut State, headers: &HeaderMap, now: Instant) -> bool {
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
                // Our own guess gives way to BigCommerce's word.
                (Some(_), _) if state.reset_assumed => true,
                (Some(held), Some(reported)) => reported > held + NEW_WINDOW_SLACK,
                (Some(_), None) => false,
            };
            // Answers overtake each other: within one window only the lowest count is true.
            state.left = if new_window {
                left
            } else {
                state.left.min(left)
            };
            if reported.is_some() {
                state.resets_at = reported;
                state.reset_assumed = false;
            }
        }
        (Some(left), None) => state.left = state.left.min(left),
        _ => state.left = state.left.saturating_sub(1),
    }
    left.is_some()
}

fn has_rate_limit_headers(headers: &HeaderMap) -> bool {
    [
        "x-rate-limit-requests-left",
        "x-rate-limit-time-reset-ms",
        "x-retry-after",
    ]
    .iter()
    .any(|name| header_u64(headers, name).is_some())
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

/// The back-off after the `count`-th bare 429 in a row: 2 s, doubling, at most 30 s (plus
/// jitter), or what `X-Retry-After` says if it came alone.
fn headerless_wait(headers: &HeaderMap, count: u32) -> Duration {
    if let Some(seconds) = header_u64(headers, "x-retry-after") {
        return Duration::from_secs(seconds).min(MAX_UPSTREAM_WAIT);
    }
    let doublings = count.saturating_sub(1).min(8);
    let base = HEADERLESS_429_BACKOFF
        .saturating_mul(1 << doublings)
        .min(MAX_HEADERLESS_BACKOFF);
    jittered(base).min(MAX_UPSTREAM_WAIT)
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
            instances: 1,
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

    fn answer(left: &str, reset_ms: &str) -> HeaderMap {
        headers(&[
            ("x-rate-limit-requests-left", left),
            ("x-rate-limit-time-reset-ms", reset_ms),
        ])
    }

    #[test]
    fn a_bare_429_holds_calls_off_for_a_while_never_for_good() {
        let budget = budget(150);
        let permit = budget.admit("x", Priority::Change).expect("the probe");
        let wait = permit
            .settle(StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new())
            .expect("held off");
        assert!(wait >= HEADERLESS_429_BACKOFF && wait <= 2 * HEADERLESS_429_BACKOFF);
        assert!(matches!(
            budget.admit("x", Priority::Checkout),
            Err(Refusal::RateLimited(_))
        ));
        let state = budget.state.lock();
        assert!(state.resets_at.is_some(), "the count has an end");
        assert!(!state.learned, "the next call goes alone");
        assert!(
            state.left > 0,
            "a bare 429 is the platform's load, not our quota"
        );
    }

    #[test]
    fn bare_429s_in_a_row_back_off_longer() {
        let empty = HeaderMap::new();
        assert!(headerless_wait(&empty, 1) <= Duration::from_secs(4));
        assert!(headerless_wait(&empty, 3) >= Duration::from_secs(8));
        assert!(headerless_wait(&empty, 20) <= MAX_UPSTREAM_WAIT);
        assert_eq!(
            headerless_wait(&headers(&[("x-retry-after", "5")]), 1),
            Duration::from_secs(5)
        );
    }

    #[test]
    fn a_count_without_a_reset_still_ends() {
        let budget = budget(150);
        let permit = budget.admit("x", Priority::Change).expect("the probe");
        permit.settle(
            StatusCode::OK,
            &headers(&[("x-rate-limit-requests-left", "0")]),
        );
        let state = budget.state.lock();
        assert_eq!(state.left, 0);
        assert!(state.resets_at.is_some(), "0 left never stands for good");
    }

    #[test]
    fn after_the_window_turns_one_call_goes_alone_until_an_answer_says_what_is_left() {
        let budget = budget(20);
        budget
            .admit("x", Priority::Change)
            .expect("probe")
            .settle(StatusCode::OK, &answer("19", "1"));
        std::thread::sleep(Duration::from_millis(5));
        let probe = budget
            .admit("x", Priority::Change)
            .expect("the new window's probe");
        assert!(
            matches!(budget.admit("x", Priority::Change), Err(Refusal::Learning)),
            "no burst before the new window's first answer"
        );
        // Other apps spent most of the new window.
        probe.settle(StatusCode::OK, &answer("5", "29000"));
        let admitted: Vec<_> = std::iter::from_fn(|| budget.admit("x", Priority::Change).ok())
            .take(20)
            .collect();
        assert_eq!(admitted.len(), 1, "5 left, a change's floor of 4");
    }

    #[test]
    fn several_instances_each_spend_their_part_of_what_is_left() {
        let mut settings = budget(20).settings.clone();
        settings.instances = 2;
        let budget = Budget::new(settings, Arc::new(Metrics::new().expect("metrics")));
        budget
            .admit("x", Priority::Change)
            .expect("probe")
            .settle(StatusCode::OK, &answer("18", "29000"));
        let permits: Vec<_> = std::iter::from_fn(|| budget.admit("x", Priority::Change).ok())
            .take(20)
            .collect();
        assert_eq!(permits.len(), 7, "(18 - a floor of 4) / 2 instances");
    }
}
