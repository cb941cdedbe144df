//! The store's API quota as a budget: never driven into 429, shed in a fixed order (refreshes,
//! then changes, checkout last), a sign-in 429 scoped to sign-in, headers clamped, and the
//! budget visible in `/metrics`. Counts are the sandbox's.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{cart_body, client, spawn_app, spawn_app_with, TestApp};

/// 429s the sandbox answered since its last reset.
async fn sandbox_429s(app: &TestApp) -> u64 {
    let stats: Value = reqwest::get(app.sandbox_url("/stats"))
        .await
        .expect("stats")
        .json()
        .await
        .expect("stats body");
    stats["by_status"]["429"].as_u64().unwrap_or(0)
}

/// A store whose quota is 20 requests per (long) window, enforced.
async fn small_store(app: &TestApp) {
    app.inject_faults(json!({"rate_limit": {"enforce": true, "quota": 20, "window_ms": 60000}}))
        .await;
}

/// Adds until the service sheds the add; returns the shed answer and how long it took.
async fn add_until_shed(app: &TestApp) -> (reqwest::Response, Duration) {
    for _ in 0..40 {
        let started = Instant::now();
        let response = app.add_item(101, None, 1).await;
        if response.status().as_u16() != 201 {
            return (response, started.elapsed());
        }
    }
    panic!("the budget never shed an add");
}

#[tokio::test]
async fn checkout_is_served_while_adds_are_being_shed() {
    // Arrange
    let app = spawn_app().await;
    small_store(&app).await;

    // Act
    let (shed, took) = add_until_shed(&app).await;
    let status = shed.status().as_u16();
    let retry_after = shed.headers().get("retry-after").cloned();
    let problem: Value = shed.json().await.expect("problem");
    let checkout = app.checkout().await;

    // Assert
    assert_eq!(status, 503, "{problem}");
    assert_eq!(problem["code"], "upstream_busy");
    assert!(retry_after.is_some(), "Retry-After");
    assert!(took < Duration::from_secs(1), "answered at once: {took:?}");
    assert_eq!(checkout.status().as_u16(), 200, "checkout keeps its place");
    assert_eq!(
        sandbox_429s(&app).await,
        0,
        "the store was never driven into 429"
    );
    let metrics = app.metrics().await;
    assert!(metrics.value("bigcommerce_shed_total", &[("class", "change")]) >= 1.0);
    assert_eq!(
        metrics.value("bigcommerce_shed_total", &[("class", "checkout")]),
        0.0
    );
    assert_eq!(
        metrics.value("bigcommerce_calls_by_class_total", &[("class", "checkout")]),
        1.0
    );
}

#[tokio::test]
async fn a_shed_revalidation_serves_the_snapshot() {
    // Arrange: snapshots are always stale, so each read wants a revalidation.
    let app = spawn_app_with(|settings| settings.cart.snapshot_ttl_seconds = 0).await;
    small_store(&app).await;
    app.add_item(104, None, 1).await;
    // Spend the window down to where refreshes stop but changes still go (floor 8 of 20).
    let mut reads_that_called = 0;
    loop {
        let before = app.sandbox_stats().await;
        let read = app.get_cart().await;
        assert_eq!(read.status().as_u16(), 200);
        if app.sandbox_stats().await.since(&before).total == 0 {
            break;
        }
        reads_that_called += 1;
        assert!(reads_that_called < 30, "reads never stopped revalidating");
    }
    let before = app.sandbox_stats().await;

    // Act
    let read = app.get_cart().await;
    let add = app.add_item(105, None, 1).await;

    // Assert
    assert_eq!(read.status().as_u16(), 200);
    assert_eq!(cart_body(read).await["item_count"], 1, "the snapshot");
    assert_eq!(add.status().as_u16(), 201, "changes still have room");
    assert_eq!(
        app.sandbox_stats().await.since(&before).total,
        1,
        "the add alone"
    );
    let metrics = app.metrics().await;
    assert!(metrics.value("bigcommerce_shed_total", &[("class", "refresh")]) >= 1.0);
    assert_eq!(sandbox_429s(&app).await, 0);
}

#[tokio::test]
async fn a_burst_of_shoppers_never_drives_the_store_into_429() {
    // Arrange
    let app = spawn_app().await;
    small_store(&app).await;

    // Act: 40 first adds at once, each in a fresh session, against a quota of 20.
    let adds = (0..40).map(|_| {
        let http = client();
        let url = app.url("/api/cart/items");
        async move {
            http.post(url)
                .json(&json!({"line_items": [{"product_id": 101, "quantity": 1}]}))
                .send()
                .await
                .expect("add")
                .status()
                .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(adds).await;

    // Assert
    assert_eq!(sandbox_429s(&app).await, 0);
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 503),
        "{statuses:?}"
    );
    let served = statuses.iter().filter(|s| **s == 201).count();
    assert!(
        served >= 10,
        "the budget is spent, not wasted: {statuses:?}"
    );
    assert!(
        served <= 16,
        "the reserve and checkout's band are kept: {statuses:?}"
    );
}

#[tokio::test]
async fn a_validate_credentials_429_slows_sign_in_only() {
    // Arrange
    let app = spawn_app().await;
    app.inject_faults(json!({"rules": [{
        "route": "POST /v3/customers/validate-credentials", "status": 429, "count": 1,
        "headers": {"X-Retry-After": "20", "X-Rate-Limit-Time-Reset-Ms": "20000"}
    }]}))
    .await;
    let sign_in = || async {
        app.api_client
            .post(app.url("/api/session/login"))
            .json(&json!({"email": "jane@example.com", "password": "Sandbox123!"}))
            .send()
            .await
            .expect("login")
    };

    // Act
    let first = sign_in().await;
    let add = app.add_item(101, None, 1).await;
    let read = app.get_cart().await;
    let second = sign_in().await;

    // Assert
    assert_eq!(first.status().as_u16(), 429);
    assert!(first.headers().get("retry-after").is_some());
    assert_eq!(add.status().as_u16(), 201, "cart calls go on");
    assert_eq!(read.status().as_u16(), 200);
    assert_eq!(second.status().as_u16(), 429, "sign-in still held off");
    let stats = app.sandbox_stats().await;
    assert_eq!(
        stats.calls("POST /v3/customers/validate-credentials"),
        1,
        "held off without calling: {stats:?}"
    );
}

#[tokio::test]
async fn a_huge_rate_limit_header_is_clamped_and_breaks_nothing() {
    // Arrange: a 429 whose reset and retry-after would overflow any clock.
    let app = spawn_app().await;
    app.add_item(101, None, 1).await;
    let huge = u64::MAX.to_string();
    app.inject_faults(json!({"rules": [{
        "route": "POST /v3/carts/*/items", "status": 429, "count": 1,
        "headers": {"X-Rate-Limit-Time-Reset-Ms": huge, "X-Retry-After": huge}
    }]}))
    .await;

    // Act
    let limited = app.add_item(104, None, 1).await;
    let started = Instant::now();
    let held_off = app.add_item(104, None, 1).await;
    let took = started.elapsed();

    // Assert
    assert_eq!(limited.status().as_u16(), 503);
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(retry_after <= 60, "clamped: {retry_after}");
    assert_eq!(held_off.status().as_u16(), 503, "still holding off");
    assert!(took < Duration::from_secs(1));
    assert_eq!(app.get("/api/session").await.status().as_u16(), 200);
    assert_eq!(app.get_cart().await.status().as_u16(), 200, "the snapshot");
    assert_eq!(app.admin_get("/metrics").await.status().as_u16(), 200);
}

#[tokio::test]
async fn metrics_export_the_budget() {
    // Arrange
    let app = spawn_app().await;
    app.add_item(101, None, 1).await;
    app.checkout().await;

    // Act
    let metrics = app.metrics().await;

    // Assert
    assert_eq!(
        metrics.value("bigcommerce_quota_requests_per_window", &[]),
        150.0
    );
    assert_eq!(
        metrics.value("bigcommerce_quota_reserve_requests", &[]),
        15.0
    );
    assert_eq!(
        metrics.value("bigcommerce_rate_limit_requests_left", &[]),
        148.0
    );
    for (class, calls) in [("refresh", 0.0), ("change", 1.0), ("checkout", 1.0)] {
        assert_eq!(
            metrics.value("bigcommerce_calls_by_class_total", &[("class", class)]),
            calls,
            "{class}"
        );
        assert!(metrics.has("bigcommerce_shed_total"), "{class}");
    }
}
