//! `POST /api/cart/recover`: an abandoned-cart e-mail token binds that cart to the session;
//! unknown tokens are 404, customers' carts need that customer signed in.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{cart_body, new_session_cookie, one_line, post_items_as, spawn_app, TestApp};

/// A guest cart created by another session; returns its recovery token.
async fn abandoned_guest_cart(app: &TestApp) -> String {
    let other = new_session_cookie(app).await;
    let response = post_items_as(&app.address, &other, &one_line(104, None, 3), None).await;
    assert_eq!(response.status().as_u16(), 201);
    let carts = app.sandbox_carts().await;
    let cart = carts[0]["id"].as_str().expect("cart id").to_owned();
    app.abandon_cart(&cart).await
}

#[tokio::test]
async fn a_recovery_token_binds_the_abandoned_cart_to_the_session() {
    // Arrange
    let app = spawn_app().await;
    let token = abandoned_guest_cart(&app).await;
    let before = app.sandbox_stats().await;

    // Act
    let response = app.recover(&token).await;

    // Assert
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["cache-control"], "private, no-store");
    let cart = cart_body(response).await;
    assert_eq!(cart["item_count"], 3);
    assert!(cart.get("id").is_none(), "no cart id: {cart}");
    let stats = app.sandbox_stats().await.since(&before);
    assert_eq!(
        stats.calls("GET /v3/abandoned-carts/{token}"),
        1,
        "{stats:?}"
    );
    assert_eq!(stats.calls("GET /v3/carts/{cart_id}"), 1, "{stats:?}");
    assert_eq!(stats.total, 2, "{stats:?}");

    // The session now works on that cart: reads from the snapshot, adds go into it.
    let read = cart_body(app.get_cart().await).await;
    assert_eq!(read, cart);
    let added = cart_body(app.add_item(105, None, 1).await).await;
    assert_eq!(added["item_count"], 4);
    assert_eq!(app.sandbox_carts().await.len(), 1, "no new cart");
}

#[tokio::test]
async fn unknown_or_malformed_recovery_tokens_answer_recovery_token_unknown() {
    // Arrange
    let app = spawn_app().await;
    let cases = [
        (
            "305c6c15f6f0a3c0929770a538cf1ff7",
            1,
            "well-formed but unknown",
        ),
        ("short", 0, "too short"),
        (
            "../carts/305c6c15f6f0a3c0929770a538cf1ff7",
            0,
            "path traversal",
        ),
        ("305c6c15%2F..%2F..%2Fv2%2Forders", 0, "encoded traversal"),
    ];
    for (token, expected_calls, why) in cases {
        let before = app.sandbox_stats().await;

        // Act
        let response = app.recover(token).await;

        // Assert
        assert_eq!(response.status().as_u16(), 404, "{why}");
        let problem: Value = response.json().await.expect("problem");
        assert_eq!(problem["code"], "recovery_token_unknown", "{why}");
        assert_eq!(
            app.sandbox_stats().await.since(&before).total,
            expected_calls,
            "{why}"
        );
    }
    assert!(app.stored_cart_ids().await.is_empty());
}

#[tokio::test]
async fn a_token_whose_cart_is_gone_answers_recovery_token_unknown() {
    // Arrange
    let app = spawn_app().await;
    let token = abandoned_guest_cart(&app).await;
    let cart: uuid::Uuid = app.sandbox_carts().await[0]["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    app.convert_cart(cart).await;

    // Act
    let response = app.recover(&token).await;

    // Assert
    assert_eq!(response.status().as_u16(), 404);
    let problem: Value = response.json().await.expect("problem");
    assert_eq!(problem["code"], "recovery_token_unknown");
}

#[tokio::test]
async fn a_customers_cart_needs_that_customer_signed_in() {
    // Arrange: a cart of customer 1 (Jane), created elsewhere.
    let app = spawn_app().await;
    let created: Value = app
        .bigcommerce_api(
            Method::POST,
            "/v3/carts",
            Some(json!({"customer_id": 1, "line_items": [{"product_id": 104, "quantity": 1}]})),
        )
        .await
        .json()
        .await
        .expect("cart");
    let cart = created["data"]["id"].as_str().expect("id").to_owned();
    let token = app.abandon_cart(&cart).await;

    // Act
    let response = app.recover(&token).await;

    // Assert
    assert_eq!(response.status().as_u16(), 403);
    let problem: Value = response.json().await.expect("problem");
    assert_eq!(problem["code"], "sign_in_required");
    assert!(app.stored_cart_ids().await.is_empty(), "not bound");
    assert_eq!(cart_body(app.get_cart().await).await, Value::Null);
}
