//! An Idempotency-Key never applies a change twice, also when the first attempt never heard
//! how it went: BigCommerce applied the add and then timed out, broke the connection, or
//! answered with a gateway error.

use serde_json::{json, Value};

use crate::accounts::lines;
use crate::helpers::{spawn_app_with, TestApp};

async fn add_with_key(app: &TestApp, key: &str, product: i64) -> reqwest::Response {
    app.api_client
        .post(app.url("/api/cart/items"))
        .header("Idempotency-Key", key)
        .json(&json!({"line_items": [{"product_id": product, "quantity": 1}]}))
        .send()
        .await
        .expect("add")
}

async fn quick_timeout_app(settle_seconds: u64) -> TestApp {
    spawn_app_with(|settings| {
        settings.bigcommerce.timeout_ms = 400;
        settings.cart.idempotency_settle_seconds = settle_seconds;
    })
    .await
}

async fn current_lines(app: &TestApp) -> Vec<(i64, i64, i64)> {
    let body: Value = app.get_cart().await.json().await.expect("cart");
    lines(&body["cart"])
}

#[tokio::test]
async fn an_add_bigcommerce_applies_after_the_client_gave_up_is_not_applied_again() {
    let app = quick_timeout_app(30).await;
    assert_eq!(app.add_item(101, None, 1).await.status().as_u16(), 201);
    // BigCommerce applies the add, then answers only after our timeout.
    app.inject_faults(json!({"rules": [{
        "route": "POST /v3/carts/*/items", "applied": true, "latency_ms": 1200, "count": 1
    }]}))
    .await;

    let first = add_with_key(&app, "slow-add-1", 104).await;
    let retry = add_with_key(&app, "slow-add-1", 104).await;

    // The first attempt settled it with one read and answered with the cart.
    assert_eq!(first.status().as_u16(), 201);
    assert_eq!(retry.status().as_u16(), 201);
    assert_eq!(
        current_lines(&app).await,
        vec![(101, 1011, 1), (104, 1041, 1)]
    );
}

#[tokio::test]
async fn a_broken_connection_after_the_add_landed_is_settled_not_repeated() {
    let app = quick_timeout_app(30).await;
    app.add_item(101, None, 1).await;
    app.inject_faults(json!({"rules": [{
        "route": "POST /v3/carts/*/items", "applied": true, "status": 200,
        "drop_connection": true, "count": 1
    }]}))
    .await;

    let first = add_with_key(&app, "reset-1", 101).await;
    assert!(first.status().is_success(), "{}", first.status());
    let retry = add_with_key(&app, "reset-1", 101).await;
    assert_eq!(retry.status().as_u16(), 201);
    assert_eq!(
        current_lines(&app).await,
        vec![(101, 1011, 2)],
        "one add, not two"
    );
}

#[tokio::test]
async fn a_lost_add_that_did_not_land_is_held_until_the_settle_window_passes() {
    let app = quick_timeout_app(2).await;
    app.add_item(101, None, 1).await;
    // A gateway error the change did not get past.
    app.inject_faults(json!({"rules": [{
        "route": "POST /v3/carts/*/items", "status": 504, "count": 1
    }]}))
    .await;

    let first = add_with_key(&app, "gateway-1", 104).await;
    assert!(first.status().is_server_error(), "{}", first.status());
    let early = add_with_key(&app, "gateway-1", 104).await;
    assert_eq!(early.status().as_u16(), 409);
    assert!(early.headers().contains_key("retry-after"));
    let body: Value = early.json().await.expect("problem");
    assert_eq!(body["code"], "idempotency_outcome_pending");
    assert_eq!(current_lines(&app).await, vec![(101, 1011, 1)]);

    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    let later = add_with_key(&app, "gateway-1", 104).await;
    assert_eq!(
        later.status().as_u16(),
        201,
        "run again once it surely did not land"
    );
    let again = add_with_key(&app, "gateway-1", 104).await;
    assert_eq!(again.status().as_u16(), 201);
    assert_eq!(
        current_lines(&app).await,
        vec![(101, 1011, 1), (104, 1041, 1)]
    );
}

#[tokio::test]
async fn a_merge_recovery_that_timed_out_after_landing_is_not_merged_twice() {
    let app = quick_timeout_app(30).await;
    // Someone's abandoned cart, and a shopper with a cart of their own.
    let other = crate::helpers::client();
    other
        .post(app.url("/api/cart/items"))
        .json(&json!({"line_items": [{"product_id": 102, "quantity": 1}]}))
        .send()
        .await
        .expect("add");
    let cart = crate::accounts::sandbox_carts(&app).await[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let token = app.abandon_cart(&cart).await;
    app.add_item(101, None, 1).await;
    app.inject_faults(json!({"rules": [{
        "route": "POST /v3/carts/*/items", "applied": true, "latency_ms": 1200, "count": 1
    }]}))
    .await;

    for _ in 0..2 {
        let response = app
            .api_client
            .post(app.url("/api/cart/recover"))
            .header("Idempotency-Key", "recover-1")
            .json(&json!({"token": token}))
            .send()
            .await
            .expect("recover");
        assert_eq!(response.status().as_u16(), 200);
    }
    assert_eq!(
        current_lines(&app).await,
        vec![(101, 1011, 1), (102, 1021, 1)]
    );
}

#[tokio::test]
async fn a_lost_add_is_settled_against_the_cart_as_it_is_not_a_stale_snapshot() {
    let app = quick_timeout_app(30).await;
    app.add_item(101, None, 2).await;
    app.add_item(104, None, 1).await;
    // On BigCommerce's hosted pages the shopper removes the first line; the snapshot, marked
    // stale by the hand-off, still counts two of it.
    assert_eq!(app.checkout().await.status().as_u16(), 200);
    let cart = app.stored_cart_id().await;
    let held: Value = app
        .bigcommerce_api(reqwest::Method::GET, &format!("/v3/carts/{cart}"), None)
        .await
        .json()
        .await
        .expect("cart");
    let line = held["data"]["line_items"]["physical_items"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|line| line["product_id"] == 101)
        .expect("the first line")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.bigcommerce_api(
        reqwest::Method::DELETE,
        &format!("/v3/carts/{cart}/items/{line}"),
        None,
    )
    .await;
    app.inject_faults(json!({"rules": [{
        "route": "POST /v3/carts/*/items", "applied": true, "status": 200,
        "drop_connection": true, "count": 1
    }]}))
    .await;

    let first = add_with_key(&app, "after-hand-off-1", 101).await;
    let retry = add_with_key(&app, "after-hand-off-1", 101).await;

    assert_eq!(first.status().as_u16(), 201, "settled as landed");
    assert_eq!(retry.status().as_u16(), 201);
    let mut now = current_lines(&app).await;
    now.sort_unstable();
    assert_eq!(
        now,
        vec![(101, 1011, 1), (104, 1041, 1)],
        "one add, not two"
    );
}
