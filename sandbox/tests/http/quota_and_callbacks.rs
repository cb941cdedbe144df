//! What a client of the store's quota and of its callbacks must cope with: every reading of a
//! callback's `created_at`, callbacks that arrive late, how full the busiest rate-limit window
//! got, and headers no sane store would send.

use std::time::{Duration, Instant};

use bc_sandbox::{SandboxConfig, WebhookCreatedAt};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{fast_webhooks, mug, start_with, Receiver, TestSandbox};

async fn register(app: &TestSandbox, url: &str) -> Value {
    let resp = app
        .post(
            "/v3/hooks",
            json!({"scope": "store/cart/updated", "destination": url}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    resp.json::<Value>().await.expect("json")["data"].clone()
}

async fn one_update_callback(created_at: WebhookCreatedAt) -> (Value, Value) {
    let app = start_with(SandboxConfig {
        webhook_created_at: created_at,
        ..fast_webhooks()
    })
    .await;
    let receiver = Receiver::start(vec![]).await;
    // Move the clock so that event time and hook creation time cannot coincide.
    let hook = register(&app, &receiver.url).await;
    app.control(
        Method::POST,
        "/clock",
        Some(json!({"offset_seconds": 3600})),
    )
    .await;
    app.create_cart(json!([mug(1)])).await;
    let got = receiver.wait_for(1).await;
    (hook, got[0].body.clone())
}

#[tokio::test]
async fn created_at_can_be_the_event_time() {
    let (hook, body) = one_update_callback(WebhookCreatedAt::EventTime).await;
    let created_at = body["created_at"].as_i64().expect("created_at");
    assert!(created_at >= hook["created_at"].as_i64().expect("hook time") + 3600);
}

#[tokio::test]
async fn created_at_can_be_the_hook_creation_time() {
    let (hook, body) = one_update_callback(WebhookCreatedAt::HookCreation).await;
    assert_eq!(body["created_at"], hook["created_at"]);
}

#[tokio::test]
async fn created_at_can_be_absent() {
    let (_, body) = one_update_callback(WebhookCreatedAt::Absent).await;
    assert!(body.get("created_at").is_none(), "{body}");
    assert!(body["hash"].is_string());
}

#[tokio::test]
async fn callbacks_can_be_held_back() {
    let app = start_with(SandboxConfig {
        webhook_delay: Duration::from_millis(400),
        ..fast_webhooks()
    })
    .await;
    let receiver = Receiver::start(vec![]).await;
    register(&app, &receiver.url).await;
    let started = Instant::now();
    app.create_cart(json!([mug(1)])).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(receiver.requests().is_empty(), "delivered before the delay");
    receiver.wait_for(1).await;
    assert!(started.elapsed() >= Duration::from_millis(400));
}

#[tokio::test]
async fn stats_tell_how_full_the_busiest_window_got() {
    let app = start_with(SandboxConfig::default()).await;
    app.control(
        Method::POST,
        "/faults",
        Some(json!({"rate_limit": {"enforce": true, "quota": 5, "window_ms": 300}})),
    )
    .await;
    for _ in 0..3 {
        app.get("/v2/time").await;
    }
    tokio::time::sleep(Duration::from_millis(350)).await;
    app.get("/v2/time").await;
    let stats = app.control_json(Method::GET, "/stats", None).await;
    assert_eq!(stats["rate_limit"]["peak_window_requests"], 3, "{stats}");
    assert_eq!(stats["rate_limit"]["windows"], 2, "{stats}");
    assert_eq!(stats["rate_limit"]["quota"], 5);
}

#[tokio::test]
async fn a_fault_can_send_headers_no_store_would() {
    let app = start_with(SandboxConfig::default()).await;
    let huge = u64::MAX.to_string();
    app.control(
        Method::POST,
        "/faults",
        Some(
            json!({"rules": [{"route": "GET /v2/time", "status": 429, "count": 1,
            "headers": {"X-Rate-Limit-Time-Reset-Ms": huge, "X-Retry-After": huge}}]}),
        ),
    )
    .await;
    let limited = app.get("/v2/time").await;
    assert_eq!(limited.status(), 429);
    let header = |name: &str| {
        limited
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(header("x-rate-limit-time-reset-ms"), Some(huge.clone()));
    assert_eq!(header("x-retry-after"), Some(huge));
    assert_eq!(app.get("/v2/time").await.status(), 200);
}
