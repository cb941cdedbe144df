//! Warnings on every change and lines the store cannot fulfil: what BigCommerce changed that
//! the shopper did not ask for, found by comparing the snapshot with BigCommerce's answer
//! (no call), and stock problems from the cached catalog (no call) that stop checkout.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{line_id, spawn_app, spawn_app_with, spawn_app_with_promotions, TestApp};
use crate::pages::{cart_page, csrf_token, post_form};

const PRODUCT: &str = "PUT /v3/catalog/products/{product_id}";

impl TestApp {
    /// Sets a product's stock the way a merchant does: BigCommerce's catalog update.
    async fn set_stock(&self, product_id: i64, level: i64) {
        let response = self
            .bigcommerce_api(
                Method::PUT,
                &format!("/v3/catalog/products/{product_id}"),
                Some(json!({"inventory_tracking": "product", "inventory_level": level})),
            )
            .await;
        assert_eq!(response.status().as_u16(), 200);
    }
}

async fn body(response: reqwest::Response) -> Value {
    response.json().await.expect("json body")
}

fn codes(answer: &Value) -> Vec<&str> {
    answer["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(|w| w["code"].as_str())
        .collect()
}

#[tokio::test]
async fn the_free_pin_after_the_second_mug_is_reported_for_no_call_and_is_not_editable() {
    // Arrange
    let app = spawn_app_with_promotions().await;
    let first = body(app.add_item(101, None, 1).await).await;
    assert_eq!(
        first["warnings"],
        json!([]),
        "the first add has nothing to compare"
    );
    let mug = line_id(&first["cart"], 101);
    let before = app.sandbox_stats().await;

    // Act
    let response = app.patch_item(&mug, 2).await;

    // Assert
    assert_eq!(response.status().as_u16(), 200);
    let calls = app.sandbox_stats().await.since(&before);
    assert_eq!(calls.total, 1, "warnings cost no call: {calls:?}");
    let answer = body(response).await;
    assert_eq!(codes(&answer), ["gift_added"], "{answer}");
    let warning = &answer["warnings"][0];
    assert_eq!(warning["line"]["name"], "Enamel Pin");
    assert_eq!(warning["line"]["product_id"], 103);
    let pin = line_id(&answer["cart"], 103);
    let pin_line = answer["cart"]["line_items"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|line| line["id"] == pin.as_str())
        .cloned()
        .expect("the pin");
    assert_eq!(pin_line["added_by_promotion"], true);
    let before = app.sandbox_stats().await;
    let refused = app.patch_item(&pin, 3).await;
    assert_eq!(refused.status().as_u16(), 422);
    assert_eq!(body(refused).await["code"], "line_added_by_promotion");
    assert_eq!(app.sandbox_stats().await.since(&before).total, 0);

    // Back to one mug: the pin goes by itself, and that is said too.
    let answer = body(app.patch_item(&mug, 1).await).await;
    assert_eq!(codes(&answer), ["gift_removed"], "{answer}");
    // What the shopper asked is not repeated back: a plain quantity change warns of nothing.
    let answer = body(app.add_item(104, None, 1).await).await;
    assert_eq!(codes(&answer), Vec::<&str>::new(), "{answer}");
}

#[tokio::test]
async fn a_line_over_its_stock_is_flagged_for_no_call_and_checkout_is_refused_until_it_is_fixed() {
    // Arrange: five mugs in the cart, then the merchant has only three.
    let app = spawn_app().await;
    let added = body(app.add_item(101, None, 5).await).await;
    let mug = line_id(&added["cart"], 101);
    app.set_stock(101, 3).await;
    assert_eq!(app.get("/api/products").await.status().as_u16(), 200);
    let before = app.sandbox_stats().await;

    // Act
    let cart = body(app.get_cart().await).await;

    // Assert: the line says what is wrong, from the cached catalog.
    assert_eq!(
        app.sandbox_stats().await.since(&before).total,
        0,
        "problems come from the cached catalog and the fresh snapshot"
    );
    let line = &cart["cart"]["line_items"][0];
    assert_eq!(
        line["problems"],
        json!([{"code": "insufficient_stock", "available": 3, "detail": "Only 3 left."}])
    );

    // Checkout is refused, listing the line, without a call.
    let before = app.sandbox_stats().await;
    let refused = app.checkout().await;
    assert_eq!(refused.status().as_u16(), 409);
    assert_eq!(
        refused
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let problem = body(refused).await;
    assert_eq!(problem["code"], "cart_has_problems");
    assert_eq!(problem["problems"][0]["item_id"], mug.as_str());
    assert_eq!(problem["problems"][0]["code"], "insufficient_stock");
    assert_eq!(problem["problems"][0]["available"], 3);
    assert_eq!(problem["problems"][0]["quantity"], 5);
    assert_eq!(app.sandbox_stats().await.since(&before).total, 0);
    // The hosted cart, where it can be fixed, is still handed out.
    assert_eq!(app.checkout_to("cart").await.status().as_u16(), 200);

    // Fixed: three mugs; the answer has no problem and checkout goes ahead.
    let fixed = body(app.patch_item(&mug, 3).await).await;
    assert_eq!(fixed["cart"]["line_items"][0]["problems"], json!([]));
    let before = app.sandbox_stats().await;
    assert_eq!(app.checkout().await.status().as_u16(), 200);
    let calls = app.sandbox_stats().await.since(&before);
    assert_eq!(calls.calls(PRODUCT), 0);
    assert_eq!(calls.total, 1, "the URLs only: {calls:?}");
}

#[tokio::test]
async fn a_restock_unblocks_checkout_within_one_catalog_ttl() {
    // Arrange: a one-second catalog; the cart over stock as the cache last saw it.
    let app = spawn_app_with(|settings| settings.catalog.ttl_seconds = 1).await;
    app.add_item(101, None, 5).await;
    app.set_stock(101, 3).await;
    app.get("/api/products").await;
    assert_eq!(app.checkout().await.status().as_u16(), 409);

    // Act: the merchant restocks; the cached list is past its TTL.
    app.set_stock(101, 50).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let response = app.checkout().await;

    // Assert: the problem was checked against a refreshed list before refusing.
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn a_dropped_coupon_is_reported_on_the_change_that_dropped_it() {
    // WELCOME5 needs orders over $30: four notebooks ($39.96), then one.
    let app = spawn_app_with_promotions().await;
    let added = body(app.add_item(104, None, 4).await).await;
    let notebook = line_id(&added["cart"], 104);
    let applied = app
        .api_client
        .post(app.url("/api/cart/coupons"))
        .json(&json!({"code": "WELCOME5"}))
        .send()
        .await
        .expect("request");
    assert_eq!(applied.status().as_u16(), 200);
    let before = app.sandbox_stats().await;
    let answer = body(app.patch_item(&notebook, 1).await).await;
    assert_eq!(app.sandbox_stats().await.since(&before).total, 1);
    assert_eq!(answer["cart"]["coupons"], json!([]));
    assert_eq!(codes(&answer), ["coupon_removed"], "{answer}");
    assert!(answer["warnings"][0]["detail"]
        .as_str()
        .expect("detail")
        .contains("WELCOME5"));
}

#[tokio::test]
async fn the_cart_page_shows_a_lines_stock_problem_and_its_checkout_form_is_turned_back() {
    // Arrange
    let app = spawn_app().await;
    app.add_item(101, None, 5).await;
    app.set_stock(101, 3).await;
    app.get("/api/products").await;

    // Act
    let (_, _, html) = cart_page(&app).await;
    let token = csrf_token(&html);
    let response = post_form(&app, "/cart/checkout", &[("csrf_token", &token)]).await;

    // Assert
    assert!(html.contains("Only 3 left."), "{html}");
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok()),
        Some("/cart")
    );
    let (_, _, html) = cart_page(&app).await;
    assert!(html.contains("Sandbox Mug: Only 3 left."), "{html}");
}

#[tokio::test]
async fn the_cart_pages_quantity_form_tells_of_the_free_pin() {
    let app = spawn_app_with_promotions().await;
    let added = body(app.add_item(101, None, 1).await).await;
    let mug = line_id(&added["cart"], 101);
    let (_, _, html) = cart_page(&app).await;
    let token = csrf_token(&html);
    post_form(
        &app,
        &format!("/cart/items/{mug}"),
        &[("csrf_token", &token), ("quantity", "2")],
    )
    .await;
    let (_, _, html) = cart_page(&app).await;
    assert!(
        html.contains(
            "Quantity changed to 2. 1 × Enamel Pin: A promotion added Enamel Pin to your cart."
        ),
        "{html}"
    );
}
