//! Prometheus metrics, one registry per application instance (tests run several per process).

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};

/// Every metric the service exports at `GET /metrics`.
pub struct Metrics {
    registry: Registry,
    /// Requests served, by route template, method and status.
    pub http_requests: IntCounterVec,
    /// Calls to BigCommerce, by endpoint template and status (or `error`).
    pub bigcommerce_requests: IntCounterVec,
    /// Latency of calls to BigCommerce, by endpoint template.
    pub bigcommerce_duration: HistogramVec,
    /// 429 answers from BigCommerce.
    pub bigcommerce_rate_limited: IntCounter,
    /// Requests left in the store's window: BigCommerce's last count less our calls since.
    pub bigcommerce_requests_left: IntGauge,
    /// Carts this service created in BigCommerce.
    pub carts_created: IntCounter,
    /// Cart reads, by how they were served: `hit` (snapshot), `miss` (BigCommerce).
    pub cart_snapshot_reads: IntCounterVec,
    /// Expired sessions deleted by the sweeper.
    pub sessions_swept: IntCounter,
    /// Session lookups by where they were answered: `hit` (this instance's memory), `miss`.
    pub session_cache_lookups: IntCounterVec,
    /// BigCommerce webhook callbacks, by scope and result (`processed`, `duplicate`,
    /// `already_known` (our own change reported back), `ignored`, `malformed`, `rejected`).
    pub webhook_deliveries: IntCounterVec,
    /// `store/cart/abandoned` events received.
    pub carts_abandoned: IntCounter,
    /// Cart snapshots no session or customer refers to any more, deleted by the sweeper.
    pub cart_snapshots_swept: IntCounter,
    /// Remembered webhook deliveries past their retention, deleted by the sweeper.
    pub webhook_deliveries_swept: IntCounter,
    /// Lines left behind at sign-in past their 30 days, deleted by the sweeper.
    pub left_behind_lines_swept: IntCounter,
    /// The store's quota per window, as BigCommerce last reported it.
    pub bigcommerce_quota: IntGauge,
    /// Requests of each window never spent, left for the merchant's other apps.
    pub bigcommerce_quota_reserve: IntGauge,
    /// Calls admitted to BigCommerce, by priority class (`refresh`, `change`, `checkout`).
    pub bigcommerce_calls: IntCounterVec,
    /// Calls not sent because the budget had no room for their class, by class.
    pub bigcommerce_shed: IntCounterVec,
    /// Requests refused because a client's fair share was spent, by share (`session`,
    /// `address`, `address_sign_in`, `sign_in_failures`).
    pub fair_share_refusals: IntCounterVec,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let http_requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests served"),
            &["route", "method", "status"],
        )?;
        let bigcommerce_requests = IntCounterVec::new(
            Opts::new("bigcommerce_requests_total", "Calls made to BigCommerce"),
            &["endpoint", "status"],
        )?;
        let bigcommerce_duration = HistogramVec::new(
            HistogramOpts::new(
                "bigcommerce_request_duration_seconds",
                "Latency of calls to BigCommerce",
            )
            .buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["endpoint"],
        )?;
        let bigcommerce_rate_limited = IntCounter::new(
            "bigcommerce_rate_limited_total",
            "429 answers received from BigCommerce",
        )?;
        let bigcommerce_requests_left = IntGauge::new(
            "bigcommerce_rate_limit_requests_left",
            "Requests left in BigCommerce's current rate-limit window",
        )?;
        let carts_created = IntCounter::new("carts_created_total", "Carts created in BigCommerce")?;
        let cart_snapshot_reads = IntCounterVec::new(
            Opts::new("cart_snapshot_reads_total", "Cart reads by source"),
            &["result"],
        )?;
        let sessions_swept = IntCounter::new(
            "sessions_swept_total",
            "Expired sessions deleted by the sweeper",
        )?;
        registry.register(Box::new(http_requests.clone()))?;
        registry.register(Box::new(bigcommerce_requests.clone()))?;
        registry.register(Box::new(bigcommerce_duration.clone()))?;
        registry.register(Box::new(bigcommerce_rate_limited.clone()))?;
        registry.register(Box::new(bigcommerce_requests_left.clone()))?;
        registry.register(Box::new(carts_created.clone()))?;
        registry.register(Box::new(cart_snapshot_reads.clone()))?;
        registry.register(Box::new(sessions_swept.clone()))?;
        let session_cache_lookups = IntCounterVec::new(
            Opts::new("session_cache_lookups_total", "Session lookups by result"),
            &["result"],
        )?;
        registry.register(Box::new(session_cache_lookups.clone()))?;
        let webhook_deliveries = IntCounterVec::new(
            Opts::new(
                "webhook_deliveries_total",
                "BigCommerce webhook callbacks received",
            ),
            &["scope", "result"],
        )?;
        let carts_abandoned = IntCounter::new(
            "carts_abandoned_total",
            "store/cart/abandoned events received",
        )?;
        let cart_snapshots_swept = IntCounter::new(
            "cart_snapshots_swept_total",
            "Orphaned cart snapshots deleted by the sweeper",
        )?;
        let webhook_deliveries_swept = IntCounter::new(
            "webhook_deliveries_swept_total",
            "Old webhook delivery records deleted by the sweeper",
        )?;
        registry.register(Box::new(webhook_deliveries.clone()))?;
        registry.register(Box::new(carts_abandoned.clone()))?;
        registry.register(Box::new(cart_snapshots_swept.clone()))?;
        registry.register(Box::new(webhook_deliveries_swept.clone()))?;
        let left_behind_lines_swept = IntCounter::new(
            "left_behind_lines_swept_total",
            "Expired lines left behind at sign-in deleted by the sweeper",
        )?;
        registry.register(Box::new(left_behind_lines_swept.clone()))?;
        let bigcommerce_quota = IntGauge::new(
            "bigcommerce_quota_requests_per_window",
            "The store's Management API quota per rate-limit window",
        )?;
        let bigcommerce_quota_reserve = IntGauge::new(
            "bigcommerce_quota_reserve_requests",
            "Requests per window this service never spends (left for other apps)",
        )?;
        let bigcommerce_calls = IntCounterVec::new(
            Opts::new(
                "bigcommerce_calls_by_class_total",
                "Calls admitted to BigCommerce, by priority class",
            ),
            &["class"],
        )?;
        let bigcommerce_shed = IntCounterVec::new(
            Opts::new(
                "bigcommerce_shed_total",
                "Calls not sent to BigCommerce to keep the budget, by priority class",
            ),
            &["class"],
        )?;
        registry.register(Box::new(bigcommerce_quota.clone()))?;
        registry.register(Box::new(bigcommerce_quota_reserve.clone()))?;
        registry.register(Box::new(bigcommerce_calls.clone()))?;
        registry.register(Box::new(bigcommerce_shed.clone()))?;
        for class in ["refresh", "change", "checkout"] {
            bigcommerce_calls.with_label_values(&[class]);
            bigcommerce_shed.with_label_values(&[class]);
        }
        let fair_share_refusals = IntCounterVec::new(
            Opts::new(
                "fair_share_refusals_total",
                "Requests refused because a client's fair share of the quota was spent",
            ),
            &["share"],
        )?;
        registry.register(Box::new(fair_share_refusals.clone()))?;
        Ok(Self {
            registry,
            http_requests,
            bigcommerce_requests,
            bigcommerce_duration,
            bigcommerce_rate_limited,
            bigcommerce_requests_left,
            carts_created,
            cart_snapshot_reads,
            sessions_swept,
            webhook_deliveries,
            carts_abandoned,
            cart_snapshots_swept,
            webhook_deliveries_swept,
            left_behind_lines_swept,
            session_cache_lookups,
            bigcommerce_quota,
            bigcommerce_quota_reserve,
            bigcommerce_calls,
            bigcommerce_shed,
            fair_share_refusals,
        })
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        let encoder = TextEncoder::new();
        if let Err(error) = encoder.encode(&self.registry.gather(), &mut buffer) {
            tracing::error!(error = %error, "could not encode metrics");
        }
        String::from_utf8(buffer).unwrap_or_default()
    }
}
