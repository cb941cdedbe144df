//! The admin surface apart from the shoppers' port, and shutdown as the balancer sees it.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{cookieless_client, new_session_cookie, spawn_app};

#[tokio::test]
async fn metrics_and_readiness_are_refused_on_the_public_port_and_served_on_the_admin_port() {
    let app = spawn_app().await;

    for path in ["/metrics", "/readyz", "/admin/budget", "/admin/cache"] {
        assert_eq!(app.get(path).await.status().as_u16(), 404, "public {path}");
    }
    let metrics = app.admin_get("/metrics").await;
    assert_eq!(metrics.status().as_u16(), 200);
    assert!(metrics
        .text()
        .await
        .expect("text")
        .contains("http_requests"));
    assert_eq!(app.admin_get("/readyz").await.status().as_u16(), 200);
    // Liveness stays on both: balancers and container probes that reach only the public port.
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
    assert_eq!(app.admin_get("/healthz").await.status().as_u16(), 200);
    // The shoppers' API is not on the admin port.
    assert_eq!(app.admin_get("/api/cart").await.status().as_u16(), 404);
}

#[tokio::test]
async fn the_admin_operations_report_the_budget_the_webhooks_and_the_cache_and_flush_it() {
    let app = spawn_app().await;
    let cookie = new_session_cookie(&app).await;
    let add = cookieless_client()
        .post(app.url("/api/cart/items"))
        .header("cookie", &cookie)
        .json(&json!({"line_items": [{"product_id": 101, "quantity": 1}]}))
        .send()
        .await
        .expect("add");
    assert_eq!(add.status().as_u16(), 201);
    let read = cookieless_client()
        .get(app.url("/api/cart"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("read");
    assert_eq!(read.status().as_u16(), 200);

    let budget: Value = app
        .admin_get("/admin/budget")
        .await
        .json()
        .await
        .expect("json");
    assert!(budget["quota"].as_u64().expect("quota") > 0, "{budget}");
    assert!(budget["left"].is_u64(), "{budget}");
    assert!(budget["reserve"].is_u64(), "{budget}");
    assert!(
        budget["window_ms"].as_u64().expect("window") > 0,
        "{budget}"
    );

    let hooks: Value = app
        .admin_get("/admin/webhooks")
        .await
        .json()
        .await
        .expect("json");
    let scopes: Vec<&str> = hooks["hooks"]
        .as_array()
        .expect("hooks")
        .iter()
        .map(|hook| hook["scope"].as_str().expect("scope"))
        .collect();
    assert!(scopes.contains(&"store/cart/updated"), "{hooks}");
    assert!(hooks["hooks"][0]["last_delivery_at"].is_null(), "{hooks}");

    let cache: Value = app
        .admin_get("/admin/cache")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(cache["enabled"], true, "{cache}");
    assert!(cache["capacity"].as_u64().expect("capacity") > 0, "{cache}");

    let flushed = app
        .api_client
        .post(app.admin_url("/admin/cache/flush"))
        .send()
        .await
        .expect("flush");
    assert_eq!(flushed.status().as_u16(), 200);
    let after: Value = flushed.json().await.expect("json");
    assert_eq!(after["sessions"], 0, "{after}");
    assert_eq!(after["snapshots"], 0, "{after}");
    assert!(
        after["epoch"].as_u64() > cache["epoch"].as_u64(),
        "{cache} → {after}"
    );
}

#[tokio::test]
async fn readiness_turns_503_at_shutdown_while_a_slow_add_in_flight_still_answers_201() {
    let app = spawn_app().await;
    // Every worker opens connections to BigCommerce first, so the slow add may well ride on a
    // connection another worker opened (which used to die with that worker).
    let mut cookies = Vec::new();
    for _ in 0..4 {
        cookies.push(new_session_cookie(&app).await);
    }
    for cookie in &cookies[1..] {
        let warm = cookieless_client()
            .post(app.url("/api/cart/items"))
            .header("cookie", cookie)
            .json(&json!({"line_items": [{"product_id": 101, "quantity": 1}]}))
            .send()
            .await
            .expect("warm-up add");
        assert_eq!(warm.status().as_u16(), 201);
    }
    app.inject_faults(json!({"rules": [
        {"route": "POST /v3/carts", "rate": 1.0, "latency_ms": 1500}
    ]}))
    .await;

    let slow_add = cookieless_client()
        .post(app.url("/api/cart/items"))
        .header("cookie", &cookies[0])
        .json(&json!({"line_items": [{"product_id": 101, "quantity": 1}]}))
        .send();
    let (added, ()) = tokio::join!(slow_add, async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        app.begin_shutdown();
        let started = Instant::now();
        let ready = app.admin_get("/readyz").await;
        assert_eq!(ready.status().as_u16(), 503, "readiness during shutdown");
        assert!(started.elapsed() < Duration::from_millis(500));
        let body: Value = ready.json().await.expect("json");
        assert_eq!(body["status"], "shutting_down");
        assert_eq!(body["in_flight"], 1, "{body}");
    });

    let added = added.expect("the add in flight is answered");
    let status = added.status().as_u16();
    let body = added.text().await.unwrap_or_default();
    assert_eq!(status, 201, "the add in flight completes: {body}");
    app.stop_gracefully().await;
    let refused = cookieless_client().get(app.url("/healthz")).send().await;
    assert!(refused.is_err(), "a stopped server accepts no new requests");
}
