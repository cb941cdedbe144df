//! `GET /api/cart` is served from the Postgres snapshot while it is fresh (zero BigCommerce
//! calls); the TTL is configurable; a checkout hand-off marks the snapshot stale.

use serde_json::Value;

use crate::helpers::{cart_body, line_id, spawn_app, spawn_app_with};

#[tokio::test]
async fn reads_within_the_ttl_cost_no_bigcommerce_call() {
    // Arrange
    let app = spawn_app().await;
    let added = cart_body(app.add_item(101, None, 2).await).await;
    let before = app.sandbox_stats().await;

    // Act
    let mut reads = Vec::new();
    for _ in 0..5 {
        reads.push(cart_body(app.get_cart().await).await);
    }

    // Assert
    for read in reads {
        assert_eq!(read, added);
    }
    assert_eq!(app.sandbox_stats().await.since(&before).total, 0);
}

#[tokio::test]
async fn reads_after_the_ttl_ask_bigcommerce_once_and_refresh_the_snapshot() {
    // Arrange
    let app = spawn_app_with(|settings| settings.cart.snapshot_ttl_seconds = 1).await;
    app.add_item(101, None, 2).await;
    // A change made elsewhere (e.g. on BigCommerce's hosted cart), invisible to us.
    let cart = app.stored_cart_id().await;
    let response = app
        .bigcommerce_api(
            reqwest::Method::POST,
            &format!("/v3/carts/{cart}/items"),
            Some(serde_json::json!({"line_items": [{"product_id": 104, "quantity": 1}]})),
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let within = cart_body(app.get_cart().await).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let before = app.sandbox_stats().await;

    // Act
    let after = cart_body(app.get_cart().await).await;
    let again = cart_body(app.get_cart().await).await;

    // Assert
    assert_eq!(within["item_count"], 2, "within the TTL: the snapshot");
    assert_eq!(after["item_count"], 3, "after the TTL: BigCommerce's cart");
    assert_eq!(again, after, "the refreshed snapshot");
    assert_eq!(
        app.sandbox_stats()
            .await
            .since(&before)
            .calls("GET /v3/carts/{cart_id}"),
        1
    );
}

#[tokio::test]
async fn a_checkout_hand_off_marks_the_snapshot_stale() {
    // Arrange
    let app = spawn_app().await;
    app.add_item(101, None, 1).await;
    assert_eq!(app.checkout().await.status().as_u16(), 200);
    // The shopper changes the cart on BigCommerce's hosted pages.
    let cart = app.stored_cart_id().await;
    app.bigcommerce_api(
        reqwest::Method::POST,
        &format!("/v3/carts/{cart}/items"),
        Some(serde_json::json!({"line_items": [{"product_id": 104, "quantity": 2}]})),
    )
    .await;
    let before = app.sandbox_stats().await;

    // Act
    let first = cart_body(app.get_cart().await).await;
    let second = cart_body(app.get_cart().await).await;

    // Assert
    assert_eq!(
        first["item_count"], 3,
        "the change made on the hosted pages"
    );
    assert_eq!(second, first);
    assert_eq!(
        app.sandbox_stats()
            .await
            .since(&before)
            .calls("GET /v3/carts/{cart_id}"),
        1,
        "one read refreshes it; the next is the snapshot again"
    );
}

#[tokio::test]
async fn a_stale_snapshot_is_served_when_bigcommerce_is_down() {
    // Arrange
    let app = spawn_app_with(|settings| settings.cart.snapshot_ttl_seconds = 0).await;
    let added = cart_body(app.add_item(101, None, 1).await).await;
    app.inject_faults(serde_json::json!({"rules": [{"route": "GET /v3/carts/*", "status": 503}]}))
        .await;

    // Act
    let response = app.get_cart().await;

    // Assert
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(cart_body(response).await, added);
}

#[tokio::test]
async fn every_mutation_costs_exactly_one_bigcommerce_call() {
    // Arrange
    let app = spawn_app().await;
    let mut mug = String::new();
    let mut notebook = String::new();
    let cases = [
        ("first add", "POST /v3/carts"),
        ("second add", "POST /v3/carts/{cart_id}/items"),
        ("change quantity", "PUT /v3/carts/{cart_id}/items/{item_id}"),
        (
            "change quantity to 0",
            "DELETE /v3/carts/{cart_id}/items/{item_id}",
        ),
        (
            "remove the last line",
            "DELETE /v3/carts/{cart_id}/items/{item_id}",
        ),
        ("first add of a new cart", "POST /v3/carts"),
        ("check out", "POST /v3/carts/{cart_id}/redirect_urls"),
        // (A change right after a hand-off costs a read first: the shopper may have signed in
        // on the hosted checkout, making the cart a customer's. A read refreshes it.)
        ("read after the hand-off", "GET /v3/carts/{cart_id}"),
        ("clear", "DELETE /v3/carts/{cart_id}"),
    ];
    for (operation, route) in cases {
        let before = app.sandbox_stats().await;

        // Act
        let response = match operation {
            "first add" | "first add of a new cart" => app.add_item(101, None, 1).await,
            "second add" => app.add_item(104, None, 1).await,
            "read after the hand-off" => app.get_cart().await,
            "change quantity" => app.patch_item(&mug, 3).await,
            "change quantity to 0" => app.patch_item(&notebook, 0).await,
            "remove the last line" => app.delete_item(&mug).await,
            "check out" => app.checkout().await,
            _ => app.clear_cart().await,
        };

        // Assert
        let status = response.status().as_u16();
        assert!((200..300).contains(&status), "{operation}: {status}");
        if operation == "second add" {
            let cart = cart_body(response).await;
            mug = line_id(&cart, 101);
            notebook = line_id(&cart, 104);
        }
        let stats = app.sandbox_stats().await.since(&before);
        assert_eq!(stats.calls(route), 1, "{operation}: {stats:?}");
        assert_eq!(stats.total, 1, "{operation}: {stats:?}");
    }
    assert_eq!(cart_body(app.get_cart().await).await, Value::Null);
}
