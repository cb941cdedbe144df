//! Request counters for the BigCommerce API routes (not control plane, pages or images),
//! keyed by method + stable route template (and by User-Agent), so tests and benchmarks can
//! count upstream calls and see who made them.

use std::collections::{BTreeMap, HashMap};

use parking_lot::Mutex;
use serde_json::{json, Value};

#[derive(Debug, Default)]
struct Counters {
    total: u64,
    by_route: HashMap<(&'static str, &'static str), u64>,
    by_status: HashMap<u16, u64>,
    by_user_agent: HashMap<String, u64>,
    /// The W3C `traceparent` of the last API request that carried one.
    last_traceparent: Option<String>,
}

/// Distinct User-Agent values kept; more are counted under `(other)`, so a misbehaving
/// client cannot grow the map without bound.
const MAX_USER_AGENTS: usize = 32;

/// Counters since start or the last reset.
#[derive(Debug, Default)]
pub struct Stats {
    inner: Mutex<Counters>,
}

impl Stats {
    /// Counts one answered API request; static route keys keep this cheap, and a known
    /// User-Agent costs no allocation.
    pub fn record(
        &self,
        method: &'static str,
        template: &'static str,
        status: u16,
        user_agent: Option<&str>,
    ) {
        let mut c = self.inner.lock();
        c.total += 1;
        *c.by_route.entry((method, template)).or_default() += 1;
        *c.by_status.entry(status).or_default() += 1;
        let agent = user_agent.unwrap_or("(none)");
        if let Some(n) = c.by_user_agent.get_mut(agent) {
            *n += 1;
        } else {
            let key = if c.by_user_agent.len() < MAX_USER_AGENTS {
                agent
            } else {
                "(other)"
            };
            *c.by_user_agent.entry(key.to_owned()).or_default() += 1;
        }
    }

    /// Remembers the `traceparent` a request carried (only a well-formed one: 55 characters).
    pub fn note_traceparent(&self, traceparent: Option<&str>) {
        if let Some(value) = traceparent.filter(|value| value.len() == 55) {
            self.inner.lock().last_traceparent = Some(value.to_owned());
        }
    }

    /// `{"total": n, "by_route": {"POST /v3/carts": n}, "by_status": {"201": n}}`.
    pub fn snapshot(&self) -> Value {
        let c = self.inner.lock();
        let by_route: BTreeMap<String, u64> = c
            .by_route
            .iter()
            .map(|((m, t), n)| (format!("{m} {t}"), *n))
            .collect();
        let by_status: BTreeMap<String, u64> = c
            .by_status
            .iter()
            .map(|(s, n)| (s.to_string(), *n))
            .collect();
        let by_user_agent: BTreeMap<&str, u64> = c
            .by_user_agent
            .iter()
            .map(|(agent, n)| (agent.as_str(), *n))
            .collect();
        json!({"total": c.total, "by_route": by_route, "by_status": by_status,
               "by_user_agent": by_user_agent, "last_traceparent": c.last_traceparent})
    }

    pub fn clear(&self) {
        *self.inner.lock() = Counters::default();
    }
}
