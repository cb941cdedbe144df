//! The rich cart: coupons, promotion banners, free gift lines and totals, end to end against
//! the sandbox's seeded coupons and promotions, with BigCommerce calls counted.

use serde_json::{json, Value};

use crate::accounts::{add_with, login_with, JANE};
use crate::helpers::{
    cart_body, client, line_id, new_session_cookie, raw_request, spawn_app_with_promotions,
    spawn_app_with_promotions_and, TestApp,
};
use crate::pages::{cart_page, csrf_token, post_form};

const APPLY: &str = "POST /v3/checkouts/{checkout_id}/coupons";
const REMOVE: &str = "DELETE /v3/checkouts/{checkout_id}/coupons/{coupon_code}";

impl TestApp {
    async fn apply_coupon(&self, code: &str) -> reqwest::Response {
        self.api_client
            .post(self.url("/api/cart/coupons"))
            .json(&json!({"code": code}))
            .send()
            .await
            .expect("request failed")
    }

    async fn remove_coupon(&self, code: &str) -> reqwest::Response {
        self.api_client
            .delete(self.url(&format!("/api/cart/coupons/{code}")))
            .send()
            .await
            .expect("request failed")
    }
}

async fn problem(response: reqwest::Response) -> Value {
    response.json().await.expect("problem json")
}

fn banners_of(cart: &Value) -> Vec<(String, String)> {
    cart["promotions"]
        .as_array()
        .expect("promotions")
        .iter()
        .map(|b| {
            (
                b["type"].as_str().expect("type").to_owned(),
                b["text"].as_str().expect("text").to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn save10_is_applied_with_one_call_and_shown_with_its_amount() {
    // Arrange: two notebooks and a mug, $31.98.
    let app = spawn_app_with_promotions().await;
    assert_eq!(app.add_item(104, None, 2).await.status().as_u16(), 201);
    assert_eq!(app.add_item(101, None, 1).await.status().as_u16(), 201);
    let before = app.sandbox_stats().await;

    // Act
    let response = app.apply_coupon("SAVE10").await;

    // Assert
    assert_eq!(response.status().as_u16(), 200);
    let calls = app.sandbox_stats().await.since(&before);
    assert_eq!(calls.calls(APPLY), 1);
    assert_eq!(
        calls.total, 1,
        "the checkout's answer is the cart: no read after it"
    );
    let cart = cart_body(response).await;
    assert_eq!(
        cart["coupons"],
        json!([{"code": "SAVE10", "name": "10% off your order", "amount": 3.2}])
    );
    let totals = &cart["totals"];
    assert_eq!(totals["subtotal"], 31.98);
    assert_eq!(totals["discounts"], 0.0);
    assert_eq!(totals["coupons"], 3.2);
    assert_eq!(totals["shipping"], Value::Null, "no address yet");
    assert_eq!(totals["tax"], Value::Null, "no address yet");
    assert_eq!(totals["grand_total"], 28.78);
    assert_eq!(cart["cart_amount"], 28.78);
    let shares: f64 = cart["line_items"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|line| line["coupon_amount"].as_f64().expect("coupon_amount"))
        .sum();
    assert!((shares - 3.2).abs() < 0.001, "{shares}");

    // A fresh read is the snapshot, coupon and all, for no call.
    let before = app.sandbox_stats().await;
    let read = cart_body(app.get_cart().await).await;
    assert_eq!(app.sandbox_stats().await.since(&before).total, 0);
    assert_eq!(read, cart);
}

#[tokio::test]
async fn removing_a_coupon_costs_one_call_and_an_unapplied_one_none() {
    let app = spawn_app_with_promotions().await;
    app.add_item(104, None, 4).await;
    assert_eq!(app.apply_coupon("WELCOME5").await.status().as_u16(), 200);

    let before = app.sandbox_stats().await;
    let response = app.remove_coupon("welcome5").await;
    assert_eq!(response.status().as_u16(), 200);
    let calls = app.sandbox_stats().await.since(&before);
    assert_eq!(calls.calls(REMOVE), 1);
    assert_eq!(calls.total, 1);
    let cart = cart_body(response).await;
    assert_eq!(cart["coupons"], json!([]));
    assert_eq!(cart["totals"]["coupons"], 0.0);
    assert_eq!(cart["totals"]["grand_total"], 39.96);

    let before = app.sandbox_stats().await;
    let again = app.remove_coupon("WELCOME5").await;
    assert_eq!(again.status().as_u16(), 404);
    assert_eq!(problem(again).await["code"], "coupon_not_applied");
    assert_eq!(app.sandbox_stats().await.since(&before).total, 0);
}

#[tokio::test]
async fn expired_unknown_and_ineligible_codes_are_coupon_invalid_with_bigcommerces_reason() {
    let app = spawn_app_with_promotions().await;
    app.add_item(104, None, 1).await;
    let mut details = Vec::new();
    for code in ["EXPIRED", "NOSUCHCODE", "WELCOME5"] {
        let response = app.apply_coupon(code).await;
        assert_eq!(response.status().as_u16(), 422, "{code}");
        let body = problem(response).await;
        assert_eq!(body["code"], "coupon_invalid", "{code}");
        details.push(body["detail"].as_str().expect("detail").to_owned());
    }
    assert_eq!(details[0], "Coupon code 'EXPIRED' has expired");
    assert_eq!(details[1], "Coupon code 'NOSUCHCODE' is invalid");
    assert_eq!(
        details[2], "Coupon code 'WELCOME5' is not eligible for this checkout",
        "$9.99 is under WELCOME5's $30"
    );
    let cart = cart_body(app.get_cart().await).await;
    assert_eq!(cart["coupons"], json!([]), "a refused code changes nothing");
}

#[tokio::test]
async fn a_coupon_needs_a_cart() {
    let app = spawn_app_with_promotions().await;
    let response = app.apply_coupon("SAVE10").await;
    assert_eq!(response.status().as_u16(), 409);
    assert_eq!(problem(response).await["code"], "cart_empty");
    assert_eq!(app.sandbox_stats().await.total, 0);
}

#[tokio::test]
async fn malicious_codes_are_refused_without_a_bigcommerce_call() {
    let app = spawn_app_with_promotions().await;
    app.add_item(104, None, 1).await;
    let cookie = new_session_cookie(&app).await;
    let before = app.sandbox_stats().await;
    let long = "A".repeat(10 * 1024);
    for code in [
        "../../v2/orders",
        "..",
        "SAVE10/../../v2/orders",
        "SAVE10?include=x",
        "SAVE\u{0}10",
        "SAVE10\r\nX-Injected: 1",
        "",
        long.as_str(),
    ] {
        let response = app.apply_coupon(code).await;
        assert_eq!(response.status().as_u16(), 422, "{code:?}");
        let body = problem(response).await;
        assert_eq!(body["code"], "invalid_input", "{code:?}");
        assert!(!body["detail"].as_str().unwrap_or("").contains("orders"));
    }
    // Deletes whose path tries to leave the segment, sent exactly as written.
    let headers = [("Cookie", cookie.as_str())];
    for target in [
        "/api/cart/coupons/..%2F..%2Fv2%2Forders",
        "/api/cart/coupons/%2e%2e",
        "/api/cart/coupons/SAVE10%00",
        "/api/cart/coupons/SAVE10%2F..%2F..",
    ] {
        let status = raw_request(&app.address, "DELETE", target, &headers).await;
        assert_eq!(status, 422, "{target}");
    }
    for target in ["/api/cart/coupons/../../v2/orders", "/api/cart/coupons/a/b"] {
        let status = raw_request(&app.address, "DELETE", target, &headers).await;
        assert!((400..500).contains(&status), "{target}: {status}");
    }
    assert_eq!(app.sandbox_stats().await.since(&before).total, 0);
}

#[tokio::test]
async fn the_upsell_banner_below_fifty_dollars_turns_applied_above_it_at_no_extra_call() {
    let app = spawn_app_with_promotions().await;

    let before = app.sandbox_stats().await;
    let cart = cart_body(app.add_item(104, None, 1).await).await;
    assert_eq!(
        app.sandbox_stats().await.since(&before).total,
        1,
        "the banners come with the cart's own call"
    );
    assert_eq!(
        banners_of(&cart),
        [(
            "upsell".to_owned(),
            "Spend $40.01 more and get free shipping.".to_owned()
        )]
    );

    let before = app.sandbox_stats().await;
    let cart = cart_body(app.add_item(104, None, 5).await).await;
    assert_eq!(app.sandbox_stats().await.since(&before).total, 1);
    assert_eq!(
        banners_of(&cart),
        [(
            "applied".to_owned(),
            "Your order qualifies for free shipping.".to_owned()
        )]
    );
    let read = cart_body(app.get_cart().await).await;
    assert_eq!(banners_of(&read), banners_of(&cart), "kept in the snapshot");
}

#[tokio::test]
async fn the_second_mug_brings_a_free_pin_that_cannot_be_changed() {
    let app = spawn_app_with_promotions().await;
    let cart = cart_body(app.add_item(101, None, 1).await).await;
    assert_eq!(cart["line_items"].as_array().map(Vec::len), Some(1));
    assert!(banners_of(&cart).contains(&(
        "upsell".to_owned(),
        "Add 1 more Sandbox Mug and get an Enamel Pin free.".to_owned()
    )));
    let mug = line_id(&cart, 101);

    let before = app.sandbox_stats().await;
    let response = app.patch_item(&mug, 2).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(app.sandbox_stats().await.since(&before).total, 1);
    let cart = cart_body(response).await;
    let lines = cart["line_items"].as_array().expect("lines").clone();
    assert_eq!(lines.len(), 2);
    let pin = lines
        .iter()
        .find(|line| line["product_id"] == 103)
        .expect("the free pin");
    assert_eq!(pin["added_by_promotion"], true);
    assert_eq!(pin["original_price"], 6.0);
    assert_eq!(pin["list_price"], 6.0);
    assert_eq!(pin["sale_price"], 0.0);
    assert_eq!(pin["discount_amount"], 6.0);
    let mug_line = lines
        .iter()
        .find(|line| line["product_id"] == 101)
        .expect("the mugs");
    assert_eq!(mug_line["added_by_promotion"], false);
    assert_eq!(cart["totals"]["subtotal"], 30.0);
    assert_eq!(cart["totals"]["discounts"], 6.0);
    assert_eq!(cart["totals"]["grand_total"], 24.0);
    assert!(banners_of(&cart).contains(&(
        "applied".to_owned(),
        "A free Enamel Pin is in your cart.".to_owned()
    )));

    // The pin is the promotion's: no change or removal reaches BigCommerce.
    let pin_id = pin["id"].as_str().expect("id").to_owned();
    let before = app.sandbox_stats().await;
    for response in [
        app.patch_item(&pin_id, 3).await,
        app.patch_item(&pin_id, 0).await,
        app.delete_item(&pin_id).await,
    ] {
        assert_eq!(response.status().as_u16(), 422);
        assert_eq!(problem(response).await["code"], "line_added_by_promotion");
    }
    assert_eq!(app.sandbox_stats().await.since(&before).total, 0);

    // Back to one mug: the pin goes by itself.
    let cart = cart_body(app.patch_item(&mug, 1).await).await;
    assert_eq!(cart["line_items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_free_pin_is_not_moved_into_the_customers_cart_at_sign_in() {
    let app = spawn_app_with_promotions().await;
    let laptop = client();
    login_with(&app, &laptop, JANE).await;
    add_with(&app, &laptop, 104, None, 1).await;
    let phone = client();
    let added = add_with(&app, &phone, 101, None, 2).await;
    assert_eq!(
        added["cart"]["line_items"].as_array().map(Vec::len),
        Some(2)
    );

    let body: Value = login_with(&app, &phone, JANE)
        .await
        .json()
        .await
        .expect("json");

    assert_eq!(body["cart_outcome"], "cart_merged");
    assert_eq!(
        body["warnings"],
        json!([]),
        "the pin is not reported as lost"
    );
    let lines = body["cart"]["line_items"]
        .as_array()
        .expect("lines")
        .clone();
    let pins: Vec<&Value> = lines.iter().filter(|l| l["product_id"] == 103).collect();
    assert_eq!(pins.len(), 1, "one pin, the customer cart's own gift");
    assert_eq!(pins[0]["added_by_promotion"], true);
}

#[tokio::test]
async fn the_cart_page_applies_and_removes_coupons_and_shows_the_rich_cart() {
    let app = spawn_app_with_promotions().await;
    app.add_item(101, None, 2).await;
    let (_, _, html) = cart_page(&app).await;
    let token = csrf_token(&html);
    assert!(html.contains("action=\"/cart/coupons\""));
    assert!(html.contains("Free with a promotion"));
    assert!(html.contains("<s><span class=\"visually-hidden\">Was </span>$6.00</s> Free each"));
    assert!(html.contains("A free Enamel Pin is in your cart."));
    assert!(html.contains("Calculated at checkout"));

    let applied = post_form(
        &app,
        "/cart/coupons",
        &[("csrf_token", &token), ("code", "SAVE10")],
    )
    .await;
    assert_eq!(applied.status().as_u16(), 303);
    let (_, _, html) = cart_page(&app).await;
    assert!(html.contains("Coupon SAVE10 applied."));
    assert!(html.contains("10% off your order"));
    assert!(html.contains("-$2.40"));

    let refused = post_form(
        &app,
        "/cart/coupons",
        &[("csrf_token", &token), ("code", "EXPIRED")],
    )
    .await;
    assert_eq!(refused.status().as_u16(), 303);
    let (_, _, html) = cart_page(&app).await;
    assert!(
        html.contains("EXPIRED") && html.contains("has expired"),
        "{html}"
    );

    let removed = post_form(
        &app,
        "/cart/coupons/remove",
        &[("csrf_token", &token), ("code", "SAVE10")],
    )
    .await;
    assert_eq!(removed.status().as_u16(), 303);
    let (_, _, html) = cart_page(&app).await;
    assert!(html.contains("Coupon SAVE10 removed."));

    let forged = post_form(
        &app,
        "/cart/coupons",
        &[("csrf_token", "x"), ("code", "SAVE10")],
    )
    .await;
    assert_eq!(forged.status().as_u16(), 403);
}

/// Waits until the sandbox has delivered `count` callbacks in all.
async fn delivered(app: &TestApp, count: usize) {
    for _ in 0..500 {
        let log: Vec<Value> = reqwest::get(app.sandbox_url("/webhooks/deliveries"))
            .await
            .expect("delivery log")
            .json()
            .await
            .expect("delivery log body");
        if log.iter().filter(|d| d["delivered"] == true).count() >= count {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("{count} callbacks were not delivered");
}

#[tokio::test]
async fn a_coupons_own_callbacks_cost_the_next_read_nothing() {
    // Hooks registered, couponApplied among them; only a callback can make a read ask.
    let app = spawn_app_with_promotions_and(|settings| {
        settings.cart.snapshot_ttl_seconds = 3600;
        settings.webhooks.coupons_in_use = true;
    })
    .await;
    app.register_webhooks().await;
    app.add_item(104, None, 4).await;
    delivered(&app, 1).await;

    assert_eq!(app.apply_coupon("SAVE10").await.status().as_u16(), 200);
    delivered(&app, 3).await; // couponApplied and updated
    let before = app.sandbox_stats().await;
    let read = cart_body(app.get_cart().await).await;
    assert_eq!(read["coupons"][0]["code"], "SAVE10");
    assert_eq!(app.sandbox_stats().await.since(&before).total, 0);

    assert_eq!(app.remove_coupon("SAVE10").await.status().as_u16(), 200);
    delivered(&app, 4).await;
    let before = app.sandbox_stats().await;
    let read = cart_body(app.get_cart().await).await;
    assert_eq!(read["coupons"], json!([]));
    assert_eq!(app.sandbox_stats().await.since(&before).total, 0);
}
