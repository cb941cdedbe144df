//! BigCommerce's refusals: 400, 401, 404, 405, 413 and the 422 table.

use serde_json::{json, Value};

use crate::helpers::{mug, start};

const TYPE: &str = "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes";

#[tokio::test]
async fn missing_or_wrong_tokens_get_401() {
    let app = start().await;
    let none = app
        .client
        .get(app.api("/v2/time"))
        .send()
        .await
        .expect("sent");
    assert_eq!(none.status(), 401);
    let body: Value = none.json().await.expect("json");
    assert_eq!(body["status"], 401);
    assert_eq!(body["type"], TYPE);
    let wrong = app
        .client
        .get(app.api("/v2/time"))
        .header("X-Auth-Token", "nope")
        .send()
        .await
        .expect("sent");
    assert_eq!(wrong.status(), 401);
}

#[tokio::test]
async fn unknown_store_hashes_and_routes_get_404_and_wrong_methods_405() {
    let app = start().await;
    let resp = app
        .client
        .get(app.url("/stores/other/v2/time"))
        .header("X-Auth-Token", "sandbox-token")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.json::<Value>().await.expect("json")["type"], TYPE);
    assert_eq!(app.get("/v3/nothing/here").await.status(), 404);
    assert_eq!(app.get("/v3/carts/").await.status(), 404);
    assert_eq!(app.get("/v3/carts").await.status(), 405);
}

#[tokio::test]
async fn malformed_json_is_400_and_oversized_bodies_413() {
    let app = start().await;
    let resp = app
        .client
        .post(app.api("/v3/carts"))
        .header("X-Auth-Token", "sandbox-token")
        .header("Content-Type", "application/json")
        .body("{\"line_items\": [")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["status"], 400);
    assert_eq!(body["type"], TYPE);

    let big = "x".repeat(1024 * 1024 + 10);
    let resp = app
        .client
        .post(app.api("/v3/carts"))
        .header("X-Auth-Token", "sandbox-token")
        .header("Content-Type", "application/json")
        .body(big)
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 413);
}

#[tokio::test]
async fn invalid_line_items_get_422_with_bigcommerce_titles() {
    let app = start().await;
    let cases: Vec<(Value, Option<&str>, &str)> = vec![
        (
            json!([{"product_id": 9999, "quantity": 1}]),
            None,
            "unknown product",
        ),
        (
            json!([{"product_id": 110, "variant_id": 1011, "quantity": 1}]),
            None,
            "variant of another product",
        ),
        (
            json!([{"product_id": 110, "quantity": 1}]),
            Some("This product has options; variant ID is required"),
            "variant required",
        ),
        (
            json!([{"product_id": 120, "quantity": 1}]),
            Some("Missing line_items in request body"),
            "required modifier missing",
        ),
        (
            json!([{"product_id": 120, "quantity": 1, "option_selections": [{"option_id": 401, "option_value": ""}]}]),
            Some("Please create some text for the Engraving option"),
            "empty text",
        ),
        (
            json!([{"product_id": 120, "quantity": 1, "option_selections": [{"option_id": 401, "option_value": "x".repeat(21)}]}]),
            Some("Please create some text for the Engraving option"),
            "text too long",
        ),
        (
            json!([{"product_id": 150, "quantity": 1}]),
            Some("We don't have enough Vintage Cap stock on hand for the quantity you selected."),
            "out of stock",
        ),
        (
            json!([{"product_id": 110, "variant_id": 1106, "quantity": 1}]),
            None,
            "variant out of stock",
        ),
        (
            json!([{"product_id": 160, "quantity": 1}]),
            Some("Prototype Gadget is not available for purchase."),
            "disabled",
        ),
        (json!([{"quantity": 1}]), None, "missing product_id"),
        (json!([{"product_id": 101}]), None, "missing quantity"),
        (
            json!([{"product_id": 101, "quantity": 0}]),
            None,
            "quantity 0",
        ),
        (
            json!([{"product_id": 101, "quantity": -2}]),
            None,
            "negative quantity",
        ),
        (
            json!([]),
            Some("Missing line_items in request body"),
            "no line items",
        ),
    ];
    for (items, title, case) in cases {
        let resp = app.post("/v3/carts", json!({"line_items": items})).await;
        assert_eq!(resp.status(), 422, "{case}");
        let body: Value = resp.json().await.expect("json");
        assert_eq!(body["status"], 422, "{case}");
        assert_eq!(body["type"], TYPE, "{case}");
        assert!(body["title"].is_string(), "{case}");
        if let Some(title) = title {
            assert_eq!(body["title"], title, "{case}");
        }
    }
}

#[tokio::test]
async fn the_maximum_counts_what_is_already_in_the_cart() {
    let app = start().await;
    let cart = app
        .create_cart(json!([{"product_id": 140, "quantity": 2}]))
        .await;
    let id = cart["id"].as_str().expect("id");
    let resp = app
        .post(
            &format!("/v3/carts/{id}/items"),
            json!({"line_items": [{"product_id": 140, "quantity": 1}]}),
        )
        .await;
    // BigCommerce's troubleshooting guide lists the purchase limit as a 409.
    assert_eq!(resp.status(), 409);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(
        body["title"],
        "You can only purchase a maximum of 2 of the Limited Edition Print per order."
    );
    // The failed add changed nothing.
    let cart: Value = app
        .get(&format!("/v3/carts/{id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(cart["data"]["version"], 1);
    let _ = mug(1);
}

#[tokio::test]
async fn wrong_types_are_422_and_a_non_transactional_currency_400() {
    let app = start().await;
    let resp = app
        .post(
            "/v3/carts",
            json!({"line_items": [{"product_id": "abc", "quantity": 1}]}),
        )
        .await;
    assert_eq!(resp.status(), 422);
    let resp = app
        .post(
            "/v3/carts",
            json!({"currency": {"code": "EUR"}, "line_items": [mug(1)]}),
        )
        .await;
    assert_eq!(resp.status(), 400);
}
