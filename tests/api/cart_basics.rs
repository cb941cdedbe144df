//! The cart endpoints' happy paths, and what each costs in BigCommerce calls.

use serde_json::{json, Value};

use crate::helpers::spawn_app;

async fn cart_of(response: reqwest::Response) -> Value {
    response.json::<Value>().await.expect("json body")["cart"].clone()
}

#[tokio::test]
async fn a_new_session_has_no_cart_and_reading_it_costs_nothing() {
    let app = spawn_app().await;

    let response = app.get_cart().await;

    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["cache-control"], "private, no-store");
    assert_eq!(cart_of(response).await, Value::Null);
    assert_eq!(app.sandbox_stats().await.total, 0);
}

#[tokio::test]
async fn the_first_add_creates_the_cart_with_one_bigcommerce_call() {
    let app = spawn_app().await;

    let response = app.add_item(101, None, 2).await;

    assert_eq!(response.status().as_u16(), 201);
    let cart = cart_of(response).await;
    assert_eq!(cart["item_count"], 2);
    assert_eq!(cart["currency"]["code"], "USD");
    let line = &cart["line_items"][0];
    assert_eq!(line["product_id"], 101);
    assert_eq!(line["quantity"], 2);
    assert_eq!(line["type"], "physical");
    assert!(
        cart.get("id").is_none(),
        "the BigCommerce cart id must not reach the browser"
    );
    let stats = app.sandbox_stats().await;
    assert_eq!(stats.total, 1, "{stats:?}");
    assert_eq!(stats.calls("POST /v3/carts"), 1);
}

#[tokio::test]
async fn later_adds_changes_and_removals_cost_one_call_each_and_reads_none() {
    let app = spawn_app().await;
    app.add_item(101, None, 1).await;
    let cart = cart_of(app.add_item(110, Some(1101), 3).await).await;
    assert_eq!(cart["item_count"], 4);
    let shirt = cart["line_items"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|line| line["product_id"] == 110)
        .expect("shirt line")["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let changed = cart_of(app.patch_item(&shirt, 5).await).await;
    assert_eq!(changed["item_count"], 6);
    let read = cart_of(app.get_cart().await).await;
    assert_eq!(read, changed, "the read is the snapshot of the last change");
    let removed = cart_of(app.delete_item(&shirt).await).await;
    assert_eq!(removed["item_count"], 1);

    let stats = app.sandbox_stats().await;
    assert_eq!(stats.calls("POST /v3/carts"), 1);
    assert_eq!(stats.calls("POST /v3/carts/{cart_id}/items"), 1);
    assert_eq!(stats.calls("PUT /v3/carts/{cart_id}/items/{item_id}"), 1);
    assert_eq!(stats.calls("DELETE /v3/carts/{cart_id}/items/{item_id}"), 1);
    // The shirt's line has options: the change asks the catalog (cached; three pages of 10)
    // whether the product has modifiers, which would have to be described again.
    assert_eq!(stats.calls("GET /v3/catalog/products"), 3);
    assert_eq!(stats.total, 7, "{stats:?}");
}

#[tokio::test]
async fn removing_the_last_line_answers_a_null_cart() {
    let app = spawn_app().await;
    let cart = cart_of(app.add_item(101, None, 1).await).await;
    let line = cart["line_items"][0]["id"].as_str().expect("id").to_owned();

    let response = app.delete_item(&line).await;

    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(cart_of(response).await, Value::Null);
    assert_eq!(cart_of(app.get_cart().await).await, Value::Null);
}

#[tokio::test]
async fn checkout_mints_fresh_urls_every_time() {
    let app = spawn_app().await;
    app.add_item(101, None, 1).await;

    let first: Value = app.checkout().await.json().await.expect("json");
    let second: Value = app.checkout().await.json().await.expect("json");

    assert_eq!(first["target"], "checkout");
    assert!(first["url"]
        .as_str()
        .is_some_and(|url| url.contains("cart.php?action=loadInCheckout")));
    assert_eq!(first["url"], first["checkout_url"]);
    assert_ne!(first["url"], second["url"]);
    assert_eq!(
        app.sandbox_stats()
            .await
            .calls("POST /v3/carts/{cart_id}/redirect_urls"),
        2
    );
}

#[tokio::test]
async fn clearing_the_cart_answers_204_and_leaves_no_cart() {
    let app = spawn_app().await;
    app.add_item(101, None, 1).await;

    let response = app.clear_cart().await;

    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(cart_of(app.get_cart().await).await, Value::Null);
    assert_eq!(app.checkout().await.status().as_u16(), 409);
}

#[tokio::test]
async fn bigcommerce_refusals_become_actionable_codes() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"product_id": 150, "quantity": 1}),
            "product_unavailable",
            "out of stock",
        ),
        (
            json!({"product_id": 160, "quantity": 1}),
            "product_unavailable",
            "not purchasable",
        ),
        (
            json!({"product_id": 999, "quantity": 1}),
            "product_unavailable",
            "unknown product",
        ),
        (
            json!({"product_id": 140, "quantity": 3}),
            "quantity_limit",
            "over the maximum",
        ),
        (
            json!({"product_id": 110, "quantity": 1}),
            "option_required",
            "variant missing",
        ),
        (
            json!({"product_id": 120, "quantity": 1}),
            "option_required",
            "text modifier missing",
        ),
    ];
    for (item, code, why) in cases {
        let response = app.post_items(&json!({"line_items": [item]})).await;
        assert_eq!(response.status().as_u16(), 422, "{why}");
        let body: Value = response.json().await.expect("problem");
        assert_eq!(body["code"], code, "{why}: {body}");
        assert!(
            body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{why}"
        );
    }
}
