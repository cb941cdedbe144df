//! `GET /metrics`: requests by route and status; BigCommerce calls by endpoint and status,
//! with latency; 429s seen; rate-limit headroom; carts created; snapshot hits and misses.

use serde_json::json;

use crate::helpers::{cart_body, line_id, spawn_app};

#[tokio::test]
async fn metrics_count_requests_bigcommerce_calls_carts_and_snapshot_reads() {
    // Arrange
    let app = spawn_app().await;
    let cart = cart_body(app.add_item(101, None, 1).await).await;
    let mug = line_id(&cart, 101);
    app.add_item(104, None, 1).await;
    app.patch_item(&mug, 2).await;
    app.get_cart().await; // a hit
    app.checkout().await; // marks the snapshot stale
    app.get_cart().await; // a miss
    app.patch_item("not-a-uuid", 2).await; // 404
    app.inject_faults(json!({"rules": [
        {"route": "POST /v3/carts/*/items", "status": 429, "with_rate_limit_headers": false, "count": 1}
    ]}))
    .await;
    app.add_item(105, None, 1).await; // 503 after a bare 429

    // Act
    let metrics = app.metrics().await;

    // Assert
    let requests = [
        ("/api/cart/items", "POST", "201", 2.0),
        ("/api/cart/items", "POST", "503", 1.0),
        ("/api/cart/items/{item_id}", "PATCH", "200", 1.0),
        ("/api/cart/items/{item_id}", "PATCH", "404", 1.0),
        ("/api/cart", "GET", "200", 2.0),
        ("/api/cart/checkout", "POST", "200", 1.0),
    ];
    for (route, method, status, count) in requests {
        assert_eq!(
            metrics.value(
                "http_requests_total",
                &[("route", route), ("method", method), ("status", status)]
            ),
            count,
            "requests {method} {route} {status}"
        );
    }
    let calls = [
        ("POST /v3/carts", "201", 1.0),
        ("POST /v3/carts/{id}/items", "201", 1.0),
        ("POST /v3/carts/{id}/items", "429", 1.0),
        ("PUT /v3/carts/{id}/items/{item_id}", "200", 1.0),
        ("POST /v3/carts/{id}/redirect_urls", "201", 1.0),
        ("GET /v3/carts/{id}", "200", 1.0),
    ];
    for (endpoint, status, count) in calls {
        assert_eq!(
            metrics.value(
                "bigcommerce_requests_total",
                &[("endpoint", endpoint), ("status", status)]
            ),
            count,
            "BigCommerce calls {endpoint} {status}"
        );
        assert!(
            metrics.value(
                "bigcommerce_request_duration_seconds_count",
                &[("endpoint", endpoint)]
            ) >= count,
            "latency of {endpoint}"
        );
    }
    let stats = app.sandbox_stats().await;
    assert_eq!(
        metrics.value("bigcommerce_requests_total", &[]),
        stats.total as f64,
        "every call counted, as the sandbox saw them"
    );
    assert_eq!(metrics.value("bigcommerce_rate_limited_total", &[]), 1.0);
    assert!(metrics.has("bigcommerce_rate_limit_requests_left"));
    // A bare 429 is the platform shedding load, not the store's quota: what is left stands
    // (the store's last count, less the calls since), and calls are held off for a back-off
    // instead (README, "The store's API quota").
    assert_eq!(
        metrics.value("bigcommerce_rate_limit_requests_left", &[]),
        150.0 - stats.total as f64,
        "what is left after a bare 429"
    );
    assert_eq!(metrics.value("carts_created_total", &[]), 1.0);
    assert_eq!(
        metrics.value("cart_snapshot_reads_total", &[("result", "hit")]),
        1.0
    );
    assert_eq!(
        metrics.value("cart_snapshot_reads_total", &[("result", "miss")]),
        1.0
    );
}

#[tokio::test]
async fn metrics_never_label_by_raw_path() {
    // Arrange
    let app = spawn_app().await;
    app.patch_item("00000000-0000-0000-0000-00000000dead", 1)
        .await;
    app.get("/no/such/path/secret-token").await;

    // Act
    let text = app.admin_get("/metrics").await.text().await.expect("text");

    // Assert
    assert!(!text.contains("dead"), "the item id leaked into a label");
    assert!(
        !text.contains("secret-token"),
        "an unmatched path leaked into a label"
    );
}
