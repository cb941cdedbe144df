//! The control plane: reset, stats, faults, the 429 quota, listings.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{mug, start};

#[tokio::test]
async fn stats_count_api_requests_by_route_template() {
    let app = start().await;
    let cart = app.create_cart(json!([mug(1)])).await;
    let id = cart["id"].as_str().expect("id");
    app.get(&format!("/v3/carts/{id}")).await;
    app.get(&format!("/v3/carts/{}", uuid::Uuid::new_v4()))
        .await;
    app.client.get(app.url("/")).send().await.expect("sent");
    let stats: Value = app.control_json(Method::GET, "/stats", None).await;
    assert_eq!(stats["total"], 3);
    assert_eq!(
        stats["by_route"],
        json!({"POST /v3/carts": 1, "GET /v3/carts/{cart_id}": 2})
    );
    assert_eq!(stats["by_status"], json!({"201": 1, "200": 1, "404": 1}));
}

#[tokio::test]
async fn reset_clears_carts_hooks_and_stats() {
    let app = start().await;
    let cart = app.create_cart(json!([mug(1)])).await;
    let id = cart["id"].as_str().expect("id");
    app.post(
        "/v3/hooks",
        json!({"scope": "store/cart/*", "destination": "http://127.0.0.1:9/h"}),
    )
    .await;
    let carts: Value = app.control_json(Method::GET, "/carts", None).await;
    assert_eq!(carts[0]["id"], id);
    assert_eq!(carts[0]["item_count"], 1);
    let reset = app.control(Method::POST, "/reset", None).await;
    assert_eq!(reset.status(), 200);
    let stats: Value = app.control_json(Method::GET, "/stats", None).await;
    assert_eq!(stats["total"], 0);
    assert_eq!(app.get(&format!("/v3/carts/{id}")).await.status(), 404);
    let hooks: Value = app.get("/v3/hooks").await.json().await.expect("json");
    assert_eq!(hooks["data"], json!([]));
}

#[tokio::test]
async fn convert_returns_an_order_id_and_404_for_unknown_carts() {
    let app = start().await;
    let cart = app.create_cart(json!([mug(2)])).await;
    let id = cart["id"].as_str().expect("id");
    let order: Value = app
        .control_json(Method::POST, &format!("/carts/{id}/convert"), None)
        .await;
    assert!(order["order_id"].as_i64().expect("order id") >= 100);
    let orders: Value = app.control_json(Method::GET, "/orders", None).await;
    assert_eq!(orders[0]["total"], 24.0);
    let again = app
        .control(Method::POST, &format!("/carts/{id}/convert"), None)
        .await;
    assert_eq!(again.status(), 404);
}

#[tokio::test]
async fn faults_inject_statuses_by_route_with_a_count_and_can_be_cleared() {
    let app = start().await;
    let set = app
        .control(
            Method::POST,
            "/faults",
            Some(json!({"rules": [
            {"route": "POST /v3/carts", "status": 503, "rate": 1.0, "count": 2}]})),
        )
        .await;
    assert_eq!(set.status(), 200);
    for _ in 0..2 {
        let resp = app.post("/v3/carts", json!({"line_items": [mug(1)]})).await;
        assert_eq!(resp.status(), 503);
        assert!(resp.headers().contains_key("X-Rate-Limit-Requests-Left"));
        assert_eq!(resp.json::<Value>().await.expect("json")["status"], 503);
    }
    assert_eq!(
        app.post("/v3/carts", json!({"line_items": [mug(1)]}))
            .await
            .status(),
        201
    );
    let faults: Value = app.control_json(Method::GET, "/faults", None).await;
    assert_eq!(faults["rules"][0]["hits"], 2);
    assert_eq!(faults["rules"][0]["count"], 0);

    app.control(
        Method::POST,
        "/faults",
        Some(json!({"rules": [{"route": "GET /v3/carts/*", "status": 500, "rate": 0.0}]})),
    )
    .await;
    let cart = app.create_cart(json!([mug(1)])).await;
    assert_eq!(
        app.get(&format!("/v3/carts/{}", cart["id"].as_str().expect("id")))
            .await
            .status(),
        200,
        "rate 0 never fires"
    );

    app.control(Method::POST, "/faults", Some(json!({"rules": [{"route": "* /v3/**", "status": 429, "with_rate_limit_headers": true}]}))).await;
    let limited = app.get("/v2/time").await;
    assert_eq!(limited.status(), 200, "/v2 is not under /v3");
    let limited = app.get("/v3/hooks").await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("X-Retry-After"));
    assert_eq!(limited.headers()["X-Rate-Limit-Requests-Left"], "0");

    let cleared: Value = app.control_json(Method::DELETE, "/faults", None).await;
    assert_eq!(cleared["rules"], json!([]));
    assert_eq!(app.get("/v3/hooks").await.status(), 200);
    let stats: Value = app.control_json(Method::GET, "/stats", None).await;
    assert_eq!(stats["by_status"]["503"], 2, "faulted requests are counted");
}

#[tokio::test]
async fn latency_is_added_to_api_requests() {
    let app = start().await;
    app.control(Method::POST, "/faults", Some(json!({"latency_ms": 150})))
        .await;
    let start = Instant::now();
    app.get("/v2/time").await;
    assert!(start.elapsed() >= Duration::from_millis(150));
    app.control(Method::DELETE, "/faults", None).await;
    let start = Instant::now();
    app.get("/v2/time").await;
    assert!(start.elapsed() < Duration::from_millis(150));
}

#[tokio::test]
async fn dropped_connections_fail_on_the_client() {
    let app = start().await;
    app.control(Method::POST, "/faults", Some(json!({"rules": [{"route": "GET /v2/time", "status": 200, "drop_connection": true, "count": 1}]}))).await;
    let result = app
        .client
        .get(app.api("/v2/time"))
        .header("X-Auth-Token", "sandbox-token")
        .send()
        .await;
    let failed = match result {
        Err(_) => true,
        Ok(resp) => resp.bytes().await.is_err(),
    };
    assert!(failed, "the client must see a broken response");
    assert_eq!(app.get("/v2/time").await.status(), 200);
}

#[tokio::test]
async fn the_quota_answers_429_with_rate_limit_headers() {
    let app = start().await;
    let first = app.get("/v2/time").await;
    assert_eq!(first.headers()["X-Rate-Limit-Requests-Quota"], "150");
    assert_eq!(first.headers()["X-Rate-Limit-Time-Window-Ms"], "30000");
    app.control(
        Method::POST,
        "/faults",
        Some(json!({"rate_limit": {"enforce": true, "quota": 2, "window_ms": 60000}})),
    )
    .await;
    assert_eq!(app.get("/v2/time").await.status(), 200);
    let second = app.get("/v2/time").await;
    assert_eq!(second.headers()["X-Rate-Limit-Requests-Left"], "0");
    let third = app.get("/v2/time").await;
    assert_eq!(third.status(), 429);
    for h in [
        "X-Rate-Limit-Time-Window-Ms",
        "X-Rate-Limit-Time-Reset-Ms",
        "X-Rate-Limit-Requests-Quota",
        "X-Rate-Limit-Requests-Left",
        "X-Retry-After",
    ] {
        assert!(third.headers().contains_key(h), "{h}");
    }
    let body: Value = third.json().await.expect("json");
    assert_eq!(body["title"], "Too many requests");
    app.control(Method::DELETE, "/faults", None).await;
    assert_eq!(app.get("/v2/time").await.status(), 200);
}

#[tokio::test]
async fn the_info_route_and_control_json_errors() {
    let app = start().await;
    let info: Value = app.control_json(Method::GET, "", None).await;
    assert_eq!(info["api_base_url"], app.sandbox.api_base_url());
    let bad = app
        .client
        .post(app.url("/__sandbox/clock"))
        .header("Content-Type", "application/json")
        .body("{")
        .send()
        .await
        .expect("sent");
    assert_eq!(bad.status(), 400);
    assert!(bad.json::<Value>().await.expect("json")["error"].is_string());
}
