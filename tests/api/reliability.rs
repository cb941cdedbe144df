//! Reliability under load: the database going away and coming back, BigCommerce misbehaving,
//! several instances racing, and a graceful shutdown. Bounded in count and time; loopback only.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{
    cart_body, cookieless_client, get_cart_as, line_id, new_session_cookie, one_line,
    post_items_as, spawn_app, spawn_app_behind_db_proxy, spawn_app_with, spawn_second_instance,
    TestApp,
};

/// One shopper's journey: 5 reads, 3 adds, 1 quantity change, 1 remove, 1 checkout. Returns
/// every status it saw; stops early when a step it depends on failed.
async fn journey(address: &str, cookie: &str) -> Vec<u16> {
    let http = cookieless_client();
    let mut statuses = Vec::new();
    let read = || async { get_cart_as(address, cookie).await };
    statuses.push(read().await.status().as_u16());
    for product in [101, 102, 103] {
        statuses.push(
            post_items_as(address, cookie, &one_line(product, None, 1), None)
                .await
                .status()
                .as_u16(),
        );
        if product != 103 {
            statuses.push(read().await.status().as_u16());
        }
    }
    let response = read().await;
    statuses.push(response.status().as_u16());
    let cart = cart_body(response).await;
    let has = |product: i64| {
        cart["line_items"]
            .as_array()
            .is_some_and(|lines| lines.iter().any(|line| line["product_id"] == product))
    };
    if has(101) {
        let patch = http
            .patch(format!("{address}/api/cart/items/{}", line_id(&cart, 101)))
            .header("Cookie", cookie)
            .json(&json!({"quantity": 2}))
            .send()
            .await
            .expect("patch");
        statuses.push(patch.status().as_u16());
    }
    if has(102) {
        let delete = http
            .delete(format!("{address}/api/cart/items/{}", line_id(&cart, 102)))
            .header("Cookie", cookie)
            .send()
            .await
            .expect("delete");
        statuses.push(delete.status().as_u16());
    }
    statuses.push(read().await.status().as_u16());
    let checkout = http
        .post(format!("{address}/api/cart/checkout"))
        .header("Cookie", cookie)
        .send()
        .await
        .expect("checkout");
    statuses.push(checkout.status().as_u16());
    statuses
}

/// Runs `count` journeys concurrently, each in a session of its own; all statuses seen.
async fn journeys(app: &TestApp, count: usize) -> BTreeMap<u16, usize> {
    let mut cookies = Vec::new();
    for _ in 0..count {
        cookies.push(new_session_cookie(app).await);
    }
    let runs = cookies.iter().map(|cookie| journey(&app.address, cookie));
    let mut seen = BTreeMap::new();
    for statuses in futures_util::future::join_all(runs).await {
        for status in statuses {
            *seen.entry(status).or_insert(0) += 1;
        }
    }
    seen
}

#[tokio::test]
async fn a_journey_costs_exactly_six_bigcommerce_calls_and_reads_cost_none() {
    let app = spawn_app().await;

    let seen = journeys(&app, 10).await;

    assert!(
        seen.keys().all(|status| [200, 201].contains(status)),
        "{seen:?}"
    );
    let stats = app.sandbox_stats().await;
    assert_eq!(
        stats.total, 60,
        "6 per journey: 3 adds, 1 change, 1 remove, 1 checkout: {stats:?}"
    );
    assert_eq!(
        stats.calls("GET /v3/carts/{cart_id}"),
        0,
        "no read reached BigCommerce"
    );
}

#[tokio::test]
async fn bigcommerce_faults_under_load_give_the_right_codes_no_500s_and_no_retry_storms() {
    // The same workload without faults, for the baseline call count.
    let baseline_app = spawn_app().await;
    journeys(&baseline_app, 12).await;
    let baseline = baseline_app.sandbox_stats().await.total;

    let faults = [
        (
            "latency spikes",
            json!({"latency_ms": 150, "jitter_ms": 150}),
        ),
        (
            "bursts of 5xx",
            json!({"rules": [
                {"route": "POST /v3/carts/*/items", "status": 503, "rate": 0.5},
                {"route": "POST /v3/carts", "status": 500, "rate": 0.3},
                {"route": "PUT /v3/carts/*/items/*", "status": 502, "rate": 0.5},
            ]}),
        ),
        (
            "429 storm with headers",
            json!({"rules": [
                {"route": "**", "status": 429, "rate": 0.5, "with_rate_limit_headers": true},
            ]}),
        ),
        (
            "429 storm without headers",
            json!({"rules": [
                {"route": "**", "status": 429, "rate": 0.5, "with_rate_limit_headers": false},
            ]}),
        ),
        (
            "dropped connections",
            json!({"rules": [
                {"route": "POST /v3/carts/**", "status": 200, "rate": 0.4, "drop_connection": true},
            ]}),
        ),
    ];
    for (name, fault) in faults {
        let app = spawn_app().await;
        app.inject_faults(fault).await;

        let seen = journeys(&app, 12).await;

        let allowed = [200, 201, 204, 404, 409, 502, 503, 504];
        assert!(
            seen.keys().all(|status| allowed.contains(status)),
            "{name}: {seen:?}"
        );
        assert!(!seen.contains_key(&500), "{name}: a 500");
        if name != "latency spikes" {
            assert!(
                seen.keys().any(|status| *status >= 502),
                "{name}: the faults never showed: {seen:?}"
            );
        }
        let calls = app.sandbox_stats().await.total;
        assert!(
            calls as f64 <= 1.5 * baseline as f64,
            "{name}: {calls} BigCommerce calls against {baseline} without faults"
        );
    }
}

#[tokio::test]
async fn a_database_outage_under_load_fails_fast_with_503_and_loses_nothing() {
    let (app, proxy) = spawn_app_behind_db_proxy(300).await;
    // Ten shoppers with carts before the outage.
    let mut shoppers = Vec::new();
    for product in 101..111 {
        let cookie = new_session_cookie(&app).await;
        let added = post_items_as(
            &app.address,
            &cookie,
            &one_line(product.min(106), None, 2),
            None,
        )
        .await;
        assert_eq!(added.status().as_u16(), 201);
        shoppers.push(cookie);
    }

    proxy.stop();
    let during = shoppers.iter().map(|cookie| async {
        let started = std::time::Instant::now();
        let read = get_cart_as(&app.address, cookie).await.status().as_u16();
        let add = post_items_as(&app.address, cookie, &one_line(101, None, 1), None)
            .await
            .status()
            .as_u16();
        (read, add, started.elapsed())
    });
    for (read, add, took) in futures_util::future::join_all(during).await {
        assert_eq!(read, 503, "a read during the outage");
        assert_eq!(add, 503, "an add during the outage");
        assert!(took < Duration::from_secs(3), "failing took {took:?}");
    }
    proxy.restart();

    let mut recovered = false;
    for _ in 0..50 {
        if app.admin_get("/readyz").await.status().as_u16() == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered, "the service did not recover by itself");
    for cookie in &shoppers {
        let cart = cart_body(get_cart_as(&app.address, cookie).await).await;
        assert_eq!(
            cart["item_count"], 2,
            "a session or its cart was lost: {cart}"
        );
    }
}

#[tokio::test]
async fn three_instances_racing_first_adds_for_one_session_make_one_cart() {
    let app = spawn_app().await;
    let second = spawn_second_instance(&app).await;
    let third = spawn_second_instance(&app).await;
    let cookie = new_session_cookie(&app).await;
    let addresses = [
        app.address.clone(),
        second.address.clone(),
        third.address.clone(),
    ];

    let adds = (0..30).map(|n| {
        let address = addresses[n % 3].clone();
        let cookie = cookie.clone();
        async move {
            post_items_as(
                &address,
                &cookie,
                &one_line(101 + (n % 6) as i64, None, 1),
                None,
            )
            .await
            .status()
            .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(adds).await;

    assert!(statuses.iter().all(|status| *status == 201), "{statuses:?}");
    let carts: Vec<Value> = reqwest::get(app.sandbox_url("/carts"))
        .await
        .expect("carts")
        .json()
        .await
        .expect("json");
    assert_eq!(carts.len(), 1, "one cart, no orphans: {carts:?}");
    let cart = cart_body(get_cart_as(&third.address, &cookie).await).await;
    assert_eq!(cart["item_count"], 30, "nothing lost");
}

#[tokio::test]
async fn a_graceful_shutdown_under_load_drops_no_request_in_flight() {
    let app = spawn_app_with(|settings| settings.application.shutdown_timeout_seconds = 10).await;
    app.inject_faults(
        json!({"rules": [{"route": "POST /v3/carts", "rate": 1.0, "latency_ms": 500}]}),
    )
    .await;
    let mut cookies = Vec::new();
    for _ in 0..8 {
        cookies.push(new_session_cookie(&app).await);
    }

    let body = one_line(101, None, 1);
    let in_flight = cookies
        .iter()
        .map(|cookie| post_items_as(&app.address, cookie, &body, None));
    let (responses, ()) = tokio::join!(futures_util::future::join_all(in_flight), async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        app.stop_gracefully().await;
    });

    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert!(statuses.iter().all(|status| *status == 201), "{statuses:?}");
    let refused = cookieless_client().get(app.url("/healthz")).send().await;
    assert!(refused.is_err(), "a stopped server accepts no new requests");
}
