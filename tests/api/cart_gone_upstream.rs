//! A cart gone upstream (converted to an order, expired, deleted elsewhere) is forgotten and
//! never comes back: reads answer null, adds start a fresh cart, line changes answer 404.
//! BigCommerce answers 404 when a gone cart is read but 500 when one is changed.

use bc_sandbox::SandboxConfig;
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{
    cart_body, line_id, spawn_app, spawn_app_with, spawn_app_with_sandbox, TestApp,
};

/// A session with a cart holding one mug; returns the mug's line id.
async fn cart_with_a_mug(app: &TestApp) -> String {
    let cart = cart_body(app.add_item(101, None, 1).await).await;
    line_id(&cart, 101)
}

/// Every way a cart disappears from BigCommerce without this service knowing.
async fn make_the_cart_disappear(app: &TestApp, how: &str) {
    let cart = app.stored_cart_id().await;
    match how {
        "converted" => app.convert_cart(cart).await,
        "deleted elsewhere" => {
            let response = app
                .bigcommerce_api(Method::DELETE, &format!("/v3/carts/{cart}"), None)
                .await;
            assert_eq!(response.status().as_u16(), 204);
        }
        // The sandbox expires carts 30 days after their last change.
        "expired" => app.advance_sandbox_clock(31 * 24 * 3600).await,
        "wiped with the store" => app.reset_sandbox().await,
        other => panic!("unknown way: {other}"),
    }
}

const WAYS: [&str; 4] = [
    "converted",
    "deleted elsewhere",
    "expired",
    "wiped with the store",
];

#[tokio::test]
async fn a_read_of_a_gone_cart_clears_the_mapping_and_answers_null() {
    for how in WAYS {
        // Arrange: snapshots go stale at once, so the read asks BigCommerce.
        let app = spawn_app_with(|settings| settings.cart.snapshot_ttl_seconds = 0).await;
        cart_with_a_mug(&app).await;
        make_the_cart_disappear(&app, how).await;
        let before = app.sandbox_stats().await;

        // Act
        let response = app.get_cart().await;

        // Assert
        assert_eq!(response.status().as_u16(), 200, "{how}");
        assert_eq!(cart_body(response).await, Value::Null, "{how}");
        assert!(
            app.stored_cart_ids().await.is_empty(),
            "{how}: mapping cleared"
        );
        let stats = app.sandbox_stats().await.since(&before);
        assert_eq!(stats.total, 1, "{how}: one read settles it: {stats:?}");
        let again = cart_body(app.get_cart().await).await;
        assert_eq!(again, Value::Null, "{how}: stays null");
        assert_eq!(
            app.sandbox_stats().await.since(&before).total,
            1,
            "{how}: and costs nothing more"
        );
    }
}

#[tokio::test]
async fn a_read_after_checkout_and_conversion_answers_null_even_with_a_long_snapshot_ttl() {
    // Arrange: the hand-off marks the snapshot stale; the shopper then places the order.
    let app = spawn_app().await;
    cart_with_a_mug(&app).await;
    assert_eq!(app.checkout().await.status().as_u16(), 200);
    make_the_cart_disappear(&app, "converted").await;

    // Act
    let cart = cart_body(app.get_cart().await).await;

    // Assert
    assert_eq!(cart, Value::Null);
    assert!(app.stored_cart_ids().await.is_empty());
}

#[tokio::test]
async fn an_add_to_a_gone_cart_creates_a_fresh_cart_and_still_adds_the_items() {
    for how in WAYS {
        // Arrange
        let app = spawn_app().await;
        cart_with_a_mug(&app).await;
        let old = app.stored_cart_id().await;
        make_the_cart_disappear(&app, how).await;
        let before = app.sandbox_stats().await;

        // Act
        let response = app.add_item(104, None, 2).await;

        // Assert
        assert_eq!(response.status().as_u16(), 201, "{how}");
        let cart = cart_body(response).await;
        assert_eq!(cart["item_count"], 2, "{how}: only the new items: {cart}");
        assert_eq!(cart["line_items"][0]["product_id"], 104, "{how}");
        let new = app.stored_cart_id().await;
        assert_ne!(new, old, "{how}: the stale cart id never comes back");
        let stats = app.sandbox_stats().await.since(&before);
        assert_eq!(
            stats.calls("POST /v3/carts/{cart_id}/items"),
            1,
            "{how}: {stats:?}"
        );
        assert_eq!(
            stats.calls("GET /v3/carts/{cart_id}"),
            1,
            "{how}: one read settles the 5xx"
        );
        assert_eq!(stats.calls("POST /v3/carts"), 1, "{how}: one fresh cart");
        assert_eq!(stats.total, 3, "{how}: {stats:?}");
        let live: Vec<Value> = app.sandbox_carts().await;
        assert_eq!(live.len(), 1, "{how}: one cart upstream");
        assert_eq!(live[0]["id"].as_str(), Some(new.to_string().as_str()));
    }
}

#[tokio::test]
async fn an_add_to_a_gone_cart_works_when_bigcommerce_answers_404_to_the_change() {
    // Arrange: the other documented behaviour of BigCommerce for writes to a missing cart.
    let mut sandbox = SandboxConfig::default();
    sandbox.behaviours.missing_cart_write_status = 404;
    let app = spawn_app_with_sandbox(sandbox, |_| {}).await;
    cart_with_a_mug(&app).await;
    let old = app.stored_cart_id().await;
    make_the_cart_disappear(&app, "converted").await;

    // Act
    let response = app.add_item(104, None, 2).await;

    // Assert
    assert_eq!(response.status().as_u16(), 201);
    assert_eq!(cart_body(response).await["item_count"], 2);
    assert_ne!(app.stored_cart_id().await, old);
    assert_eq!(app.sandbox_carts().await.len(), 1);
}

#[tokio::test]
async fn changing_or_removing_a_line_of_a_gone_cart_answers_item_not_found() {
    let operations = ["PATCH quantity 3", "PATCH quantity 0", "DELETE line"];
    // With a fresh snapshot the change itself finds out; with a stale one, the read before it.
    for ttl in [30, 0] {
        let app = spawn_app_with(|settings| settings.cart.snapshot_ttl_seconds = ttl).await;
        for operation in operations {
            for how in WAYS {
                // Arrange
                let line = cart_with_a_mug(&app).await;
                make_the_cart_disappear(&app, how).await;

                // Act
                let response = match operation {
                    "PATCH quantity 3" => app.patch_item(&line, 3).await,
                    "PATCH quantity 0" => app.patch_item(&line, 0).await,
                    _ => app.delete_item(&line).await,
                };

                // Assert
                let context = format!("{operation}, {how}, snapshot ttl {ttl}");
                assert_eq!(response.status().as_u16(), 404, "{context}");
                let problem: Value = response.json().await.expect("problem");
                assert_eq!(problem["code"], "item_not_found", "{context}");
                assert!(
                    app.stored_cart_ids().await.is_empty(),
                    "{context}: mapping cleared"
                );
                assert_eq!(
                    cart_body(app.get_cart().await).await,
                    Value::Null,
                    "{context}"
                );
                assert!(
                    app.sandbox_carts().await.is_empty(),
                    "{context}: nothing re-created"
                );
            }
        }
    }
}

#[tokio::test]
async fn clearing_a_gone_cart_answers_204_and_forgets_it() {
    for how in WAYS {
        // Arrange
        let app = spawn_app().await;
        cart_with_a_mug(&app).await;
        make_the_cart_disappear(&app, how).await;

        // Act
        let response = app.clear_cart().await;

        // Assert
        assert_eq!(response.status().as_u16(), 204, "{how}");
        assert!(
            app.stored_cart_ids().await.is_empty(),
            "{how}: mapping cleared"
        );
        assert_eq!(cart_body(app.get_cart().await).await, Value::Null, "{how}");
    }
}

#[tokio::test]
async fn checking_out_a_gone_cart_answers_cart_empty_and_forgets_it() {
    // Arrange
    let app = spawn_app().await;
    cart_with_a_mug(&app).await;
    make_the_cart_disappear(&app, "converted").await;

    // Act
    let response = app.checkout().await;

    // Assert
    assert_eq!(response.status().as_u16(), 409);
    let problem: Value = response.json().await.expect("problem");
    assert_eq!(problem["code"], "cart_empty");
    assert!(app.stored_cart_ids().await.is_empty());
}

#[tokio::test]
async fn a_5xx_on_a_change_to_a_live_cart_is_settled_with_one_read_never_a_second_cart() {
    // Arrange
    let app = spawn_app().await;
    cart_with_a_mug(&app).await;
    let cart = app.stored_cart_id().await;
    let before = app.sandbox_stats().await;
    app.inject_faults(serde_json::json!({"rules": [
        {"route": "POST /v3/carts/*/items", "status": 500, "count": 1}
    ]}))
    .await;

    // Act
    let response = app.add_item(104, None, 1).await;

    // Assert
    assert_eq!(response.status().as_u16(), 502);
    let problem: Value = response.json().await.expect("problem");
    assert_eq!(problem["code"], "upstream_unavailable");
    let stats = app.sandbox_stats().await.since(&before);
    assert_eq!(
        stats.calls("POST /v3/carts/{cart_id}/items"),
        1,
        "no blind retry: {stats:?}"
    );
    assert_eq!(
        stats.calls("GET /v3/carts/{cart_id}"),
        1,
        "one read: {stats:?}"
    );
    assert_eq!(
        stats.calls("POST /v3/carts"),
        0,
        "never a second cart: {stats:?}"
    );
    assert_eq!(app.stored_cart_id().await, cart, "the live cart is kept");
    assert_eq!(app.sandbox_carts().await.len(), 1);
}
