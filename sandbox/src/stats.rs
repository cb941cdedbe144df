//! Request counters for the BigCommerce API routes (not control plane, pages or images),
//! keyed by method + stable route template, so tests and benchmarks can count upstream calls.

use std::collections::{BTreeMap, HashMap};

use parking_lot::Mutex;
use serde_json::{json, Value};

#[derive(Debug, Default)]
struct Counters {
    total: u64,
    by_route: HashMap<(&'static str, &'static str), u64>,
    by_status: HashMap<u16, u64>,
}

/// Counters since start or the last reset.
#[derive(Debug, Default)]
pub struct Stats {
    inner: Mutex<Counters>,
}

impl Stats {
    /// Counts one answered API request; static keys keep this allocation-free.
    pub fn record(&self, method: &'static str, template: &'static str, status: u16) {
        let mut c = self.inner.lock();
        c.total += 1;
        *c.by_route.entry((method, template)).or_default() += 1;
        *c.by_status.entry(status).or_default() += 1;
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
        json!({"total": c.total, "by_route": by_route, "by_status": by_status})
    }

    pub fn clear(&self) {
        *self.inner.lock() = Counters::default();
    }
}
