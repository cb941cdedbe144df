//! Webhook delivery: payload shape and hash, custom headers, scope matching, retries and
//! deactivation.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use sha1::{Digest, Sha1};

use crate::helpers::{fast_webhooks, mug, start_with, Receiver};

async fn register(app: &crate::helpers::TestSandbox, scope: &str, url: &str) -> i64 {
    let resp = app
        .post(
            "/v3/hooks",
            json!({"scope": scope, "destination": url, "is_active": true,
                                  "headers": {"X-Hook-Secret": "s3cret"}}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    resp.json::<Value>().await.expect("json")["data"]["id"]
        .as_i64()
        .expect("id")
}

fn scopes(requests: &[crate::helpers::Received]) -> Vec<String> {
    let mut s: Vec<String> = requests
        .iter()
        .map(|r| r.body["scope"].as_str().unwrap_or("").to_owned())
        .collect();
    s.sort();
    s
}

#[tokio::test]
async fn cart_events_are_delivered_with_headers_shape_and_hash() {
    let app = start_with(fast_webhooks()).await;
    let receiver = Receiver::start(vec![]).await;
    register(&app, "store/cart/*", &receiver.url).await;

    let cart = app.create_cart(json!([mug(1)])).await;
    let id = cart["id"].as_str().expect("id").to_owned();
    let got = receiver.wait_for(2).await;
    assert_eq!(
        scopes(&got),
        vec!["store/cart/created", "store/cart/updated"]
    );
    let r = &got[0];
    assert_eq!(r.headers["x-hook-secret"], "s3cret");
    assert_eq!(r.headers["content-type"], "application/json");
    let b = &r.body;
    assert_eq!(b["store_id"], "1000001");
    assert_eq!(b["producer"], "stores/sandbox");
    assert_eq!(b["data"]["type"], "cart");
    assert_eq!(b["data"]["id"], id.as_str());
    assert!(b["created_at"].is_i64());
    let expected = hex_sha1(&serde_json::to_string(&b["data"]).expect("json"));
    assert_eq!(b["hash"], expected.as_str());

    // Adding an item: updated + lineItem/created.
    app.post(
        &format!("/v3/carts/{id}/items"),
        json!({"line_items": [{"product_id": 103, "quantity": 1}]}),
    )
    .await;
    let got = receiver.wait_for(4).await;
    assert_eq!(
        scopes(&got[2..]),
        vec!["store/cart/lineItem/created", "store/cart/updated"]
    );
    let line = got[2..]
        .iter()
        .find(|r| r.body["scope"] == "store/cart/lineItem/created")
        .expect("line event");
    assert_eq!(line.body["data"]["type"], "cart_line_item");
    assert_eq!(line.body["data"]["cartId"], id.as_str());

    // Deleting the cart: deleted.
    app.delete(&format!("/v3/carts/{id}")).await;
    let got = receiver.wait_for(5).await;
    assert_eq!(got[4].body["scope"], "store/cart/deleted");
}

#[tokio::test]
async fn conversion_and_abandonment_carry_their_extra_data() {
    let app = start_with(fast_webhooks()).await;
    let receiver = Receiver::start(vec![]).await;
    register(&app, "store/cart/converted", &receiver.url).await;
    register(&app, "store/cart/abandoned", &receiver.url).await;
    let cart = app.create_cart(json!([mug(1)])).await;
    let id = cart["id"].as_str().expect("id");
    let token = app
        .control_json(
            Method::POST,
            "/abandoned-carts",
            Some(json!({"cart_id": id})),
        )
        .await;
    let got = receiver.wait_for(1).await;
    assert_eq!(got[0].body["scope"], "store/cart/abandoned");
    assert_eq!(got[0].body["data"]["token"], token["token"]);
    let order = app
        .control_json(Method::POST, &format!("/carts/{id}/convert"), None)
        .await;
    let got = receiver.wait_for(2).await;
    assert_eq!(got[1].body["scope"], "store/cart/converted");
    assert_eq!(got[1].body["data"]["orderId"], order["order_id"]);
    assert_eq!(app.get(&format!("/v3/carts/{id}")).await.status(), 404);
}

#[tokio::test]
async fn line_item_scopes_only_get_line_item_events() {
    let app = start_with(fast_webhooks()).await;
    let receiver = Receiver::start(vec![]).await;
    register(&app, "store/cart/lineItem/*", &receiver.url).await;
    let cart = app.create_cart(json!([mug(1)])).await;
    let id = cart["id"].as_str().expect("id");
    let item = cart["line_items"]["physical_items"][0]["id"]
        .as_str()
        .expect("item");
    app.delete(&format!("/v3/carts/{id}/items/{item}")).await;
    let got = receiver.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        receiver.requests().len(),
        1,
        "only lineItem/deleted: {got:?}"
    );
    assert_eq!(got[0].body["scope"], "store/cart/lineItem/deleted");
}

#[tokio::test]
async fn failed_deliveries_are_retried_with_the_same_hash() {
    let app = start_with(fast_webhooks()).await;
    let receiver = Receiver::start(vec![500]).await;
    let hook = register(&app, "store/cart/created", &receiver.url).await;
    app.create_cart(json!([mug(1)])).await;
    let got = receiver.wait_for(2).await;
    assert_eq!(got[0].body["hash"], got[1].body["hash"]);
    let log: Value = app
        .control_json(Method::GET, "/webhooks/deliveries", None)
        .await;
    let log = log.as_array().expect("log");
    assert_eq!(log.len(), 2);
    assert_eq!(log[0]["hook_id"], hook);
    assert_eq!(log[0]["status"], 500);
    assert_eq!(log[0]["attempt"], 1);
    assert_eq!(log[1]["status"], 200);
    assert_eq!(log[1]["attempt"], 2);
    assert_eq!(log[1]["scope"], "store/cart/created");
}

#[tokio::test]
async fn a_hook_is_deactivated_when_the_schedule_is_exhausted() {
    let app = start_with(fast_webhooks()).await;
    let receiver = Receiver::start(vec![500, 500, 500, 500]).await;
    let hook = register(&app, "store/cart/created", &receiver.url).await;
    app.create_cart(json!([mug(1)])).await;
    receiver.wait_for(3).await;
    for _ in 0..100 {
        let h: Value = app
            .get(&format!("/v3/hooks/{hook}"))
            .await
            .json()
            .await
            .expect("json");
        if h["data"]["is_active"] == false {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("hook still active");
}

#[tokio::test]
async fn unreachable_destinations_are_logged_as_errors() {
    let app = start_with(fast_webhooks()).await;
    register(&app, "store/cart/created", "http://127.0.0.1:9/closed").await;
    app.create_cart(json!([mug(1)])).await;
    for _ in 0..200 {
        let log: Value = app
            .control_json(Method::GET, "/webhooks/deliveries", None)
            .await;
        if let Some(first) = log.as_array().and_then(|l| l.first()) {
            assert!(first["error"].is_string());
            assert_eq!(first["delivered"], false);
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no delivery attempt logged");
}

fn hex_sha1(text: &str) -> String {
    Sha1::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
