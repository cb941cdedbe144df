//! Fault injection for the BigCommerce API routes: added latency (fixed + jitter) and error
//! statuses at a rate for a route pattern, optionally limited to a number of hits.

use std::time::Duration;

use parking_lot::RwLock;
use rand::Rng;
use serde::{Deserialize, Serialize};

fn default_rate() -> f64 {
    1.0
}

fn default_true() -> bool {
    true
}

/// One rule of `POST /__sandbox/faults`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FaultRule {
    /// `"METHOD /path/glob"` or `"/path/glob"` (any method). Paths are relative to
    /// `/stores/{store_hash}`; `*` or `{name}` matches one segment, a final `**` the rest.
    pub route: String,
    /// Status to answer with; `None` makes a latency-only rule.
    #[serde(default)]
    pub status: Option<u16>,
    /// Probability (0..=1) that a matching request is hit.
    #[serde(default = "default_rate")]
    pub rate: f64,
    /// Hits left; `None` means unlimited. The rule stays listed at 0.
    #[serde(default)]
    pub count: Option<u64>,
    /// Matching requests let through untouched before the rule starts to hit (the third add
    /// of a sequence, say: `skip: 2`). Counts down as they pass.
    #[serde(default)]
    pub skip: u64,
    /// Extra latency for hit requests.
    #[serde(default)]
    pub latency_ms: u64,
    /// Send the rate-limit headers (and `X-Retry-After` for 429) with the injected status.
    #[serde(default = "default_true")]
    pub with_rate_limit_headers: bool,
    /// Send the status line and headers, then close the connection without a body.
    #[serde(default)]
    pub drop_connection: bool,
    /// Replaces BigCommerce's error body for the injected status.
    #[serde(default)]
    pub body: Option<serde_json::Value>,
    /// Headers set on the injected answer, replacing any the sandbox would send (e.g. a
    /// `X-Rate-Limit-Time-Reset-Ms` no real store would send, to test a client's limits).
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, String>,
    /// Carry the request out first, then delay and break or replace its answer: BigCommerce
    /// applied the change, but the caller never learnt it (a timeout, a reset, a 5xx from a
    /// gateway after the change).
    #[serde(default)]
    pub applied: bool,
    /// Requests this rule hit so far (read-only).
    #[serde(default)]
    pub hits: u64,
}

/// What to do to one request.
#[derive(Debug, Clone, Default)]
pub struct FaultDecision {
    pub delay: Duration,
    pub inject: Option<FaultRule>,
    /// A hit rule asked for the request to be carried out before the delay and the fault.
    pub apply_first: bool,
}

/// The current fault settings.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FaultState {
    pub latency_ms: u64,
    pub jitter_ms: u64,
    pub rules: Vec<FaultRule>,
}

/// Faults shared by all workers.
#[derive(Debug, Default)]
pub struct Faults {
    inner: RwLock<FaultState>,
}

impl Faults {
    pub fn state(&self) -> FaultState {
        self.inner.read().clone()
    }

    /// Replaces the global latency when given and appends rules.
    pub fn apply(&self, latency_ms: Option<u64>, jitter_ms: Option<u64>, rules: Vec<FaultRule>) {
        let mut s = self.inner.write();
        if let Some(ms) = latency_ms {
            s.latency_ms = ms;
        }
        if let Some(ms) = jitter_ms {
            s.jitter_ms = ms;
        }
        s.rules.extend(rules.into_iter().map(|r| FaultRule {
            rate: r.rate.clamp(0.0, 1.0),
            hits: 0,
            ..r
        }));
    }

    pub fn clear(&self) {
        *self.inner.write() = FaultState::default();
    }

    /// Decides latency and injected status for a request. Cheap when no faults are set.
    pub fn decide(&self, method: &str, path: &str) -> FaultDecision {
        {
            let s = self.inner.read();
            if s.latency_ms == 0 && s.jitter_ms == 0 && s.rules.is_empty() {
                return FaultDecision::default();
            }
        }
        let mut s = self.inner.write();
        let mut rng = rand::rng();
        let jitter = if s.jitter_ms > 0 {
            rng.random_range(0..=s.jitter_ms)
        } else {
            0
        };
        let mut decision = FaultDecision {
            delay: Duration::from_millis(s.latency_ms + jitter),
            inject: None,
            apply_first: false,
        };
        for rule in s.rules.iter_mut() {
            if rule.count == Some(0) || !route_matches(&rule.route, method, path) {
                continue;
            }
            if rule.skip > 0 {
                rule.skip -= 1;
                continue;
            }
            if rule.rate < 1.0 && rng.random::<f64>() >= rule.rate {
                continue;
            }
            if rule.status.is_some() && decision.inject.is_some() {
                continue;
            }
            rule.hits += 1;
            if let Some(count) = rule.count.as_mut() {
                *count -= 1;
            }
            decision.delay += Duration::from_millis(rule.latency_ms);
            decision.apply_first |= rule.applied;
            if rule.status.is_some() {
                decision.inject = Some(rule.clone());
            }
        }
        decision
    }
}

/// Matches `"METHOD /a/*/b"` (or a path alone) against a request.
pub fn route_matches(pattern: &str, method: &str, path: &str) -> bool {
    let pattern = pattern.trim();
    let (want_method, glob) = match pattern.split_once(' ') {
        Some((m, g)) => (m.trim(), g.trim()),
        None => ("*", pattern),
    };
    if want_method != "*" && !want_method.eq_ignore_ascii_case(method) {
        return false;
    }
    let mut pattern_segments = glob.trim_matches('/').split('/');
    let mut path_segments = path.trim_matches('/').split('/');
    loop {
        match (pattern_segments.next(), path_segments.next()) {
            (Some("**"), _) => return true,
            (None, None) => return true,
            (Some(p), Some(s)) => {
                let wildcard = p == "*" || (p.starts_with('{') && p.ends_with('}'));
                if !wildcard && p != s {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{route_matches, FaultRule, Faults};

    #[test]
    fn a_rule_skips_its_first_matches() {
        let faults = Faults::default();
        let rule: FaultRule = serde_json::from_value(serde_json::json!({
            "route": "POST /v3/carts/*/items", "status": 502, "skip": 2, "count": 1
        }))
        .expect("rule");
        faults.apply(None, None, vec![rule]);
        let hits: Vec<bool> = (0..4)
            .map(|_| {
                faults
                    .decide("POST", "/v3/carts/abc/items")
                    .inject
                    .is_some()
            })
            .collect();
        assert_eq!(hits, vec![false, false, true, false]);
        assert!(faults.decide("GET", "/v3/carts/abc").inject.is_none());
    }

    #[test]
    fn globs_match_segments() {
        assert!(route_matches(
            "POST /v3/carts/*/items",
            "POST",
            "/v3/carts/abc/items"
        ));
        assert!(route_matches(
            "post /v3/carts/{cart_id}/items",
            "POST",
            "/v3/carts/x/items"
        ));
        assert!(!route_matches(
            "POST /v3/carts/*/items",
            "GET",
            "/v3/carts/abc/items"
        ));
        assert!(!route_matches(
            "POST /v3/carts/*",
            "POST",
            "/v3/carts/abc/items"
        ));
        assert!(route_matches(
            "/v3/carts/**",
            "DELETE",
            "/v3/carts/abc/items/def"
        ));
        assert!(route_matches("* /v3/carts", "POST", "/v3/carts"));
    }
}
