//! Coupons, automatic promotions and the Checkouts API: shapes, amounts, refusals, banners and
//! the free gift line.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{mug, notebook, start, start_with, TestSandbox};
use bc_sandbox::SandboxConfig;

async fn body(resp: reqwest::Response) -> Value {
    resp.json().await.expect("json")
}

async fn apply(app: &TestSandbox, cart: &str, code: &str) -> reqwest::Response {
    app.post(
        &format!("/v3/checkouts/{cart}/coupons"),
        json!({"coupon_code": code}),
    )
    .await
}

fn physical(cart: &Value) -> Vec<Value> {
    cart["line_items"]["physical_items"]
        .as_array()
        .expect("physical_items")
        .clone()
}

#[tokio::test]
async fn save10_takes_ten_percent_off_and_answers_the_checkout() {
    let app = start().await;
    let cart = app.create_cart(json!([notebook(2), mug(1)])).await;
    let id = cart["id"].as_str().expect("id");

    let resp = apply(&app, id, "SAVE10").await;
    assert_eq!(resp.status(), 200);
    let checkout = body(resp).await["data"].clone();
    assert_eq!(checkout["id"], id);
    assert_eq!(checkout["version"], 2);
    let coupon = &checkout["coupons"][0];
    assert_eq!(coupon["code"], "SAVE10");
    assert_eq!(coupon["id"], 1);
    assert_eq!(coupon["coupon_type"], "percentage_discount");
    assert_eq!(coupon["display_name"], "10% off your order");
    assert_eq!(coupon["discounted_amount"], 3.2);
    let cart = &checkout["cart"];
    assert_eq!(cart["coupons"][0]["code"], "SAVE10");
    assert_eq!(cart["base_amount"], 31.98);
    assert_eq!(cart["cart_amount_inc_tax"], 28.78);
    assert_eq!(cart["cart_amount_ex_tax"], 28.78);
    assert!(cart.get("cart_amount").is_none());
    assert_eq!(checkout["subtotal_ex_tax"], 31.98);
    assert_eq!(checkout["grand_total"], 28.78);
    assert_eq!(checkout["tax_total"], 0);
    assert_eq!(checkout["consignments"], json!([]));
    // The coupon's share on each line; sale prices stay (the spec's "Coupon Applied" example).
    let lines = physical(cart);
    let shares: f64 = lines
        .iter()
        .map(|l| l["coupon_amount"].as_f64().expect("coupon_amount"))
        .sum();
    assert!((shares - 3.2).abs() < 0.001, "{shares}");
    assert_eq!(lines[0]["sale_price"], 9.99);
    assert_eq!(lines[0]["is_taxable"], true);
    assert_eq!(lines[0]["discounts"][0]["id"], "coupon");

    // The cart reads the same through the Carts API.
    let read = body(app.get(&format!("/v3/carts/{id}")).await).await["data"].clone();
    assert_eq!(read["cart_amount"], 28.78);
    assert_eq!(read["coupons"][0]["coupon_type"], "1");
    assert_eq!(
        read["discounts"],
        json!([{"id": "coupon", "discounted_amount": 3.2}])
    );

    // Applying it again changes nothing.
    let again = body(apply(&app, id, "save10").await).await;
    assert_eq!(again["data"]["version"], 2);
    assert_eq!(again["data"]["coupons"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn unknown_expired_and_ineligible_codes_are_refused_with_different_titles() {
    let app = start().await;
    let cart = app.create_cart(json!([notebook(1)])).await;
    let id = cart["id"].as_str().expect("id");
    let mut titles = Vec::new();
    for code in ["NOPE", "EXPIRED", "WELCOME5"] {
        let resp = apply(&app, id, code).await;
        assert_eq!(resp.status(), 400, "{code}");
        let error = body(resp).await;
        assert_eq!(error["status"], 400);
        titles.push(error["title"].as_str().expect("title").to_owned());
    }
    assert_eq!(titles[0], "Coupon code 'NOPE' is invalid");
    assert_eq!(titles[1], "Coupon code 'EXPIRED' has expired");
    assert_eq!(
        titles[2],
        "Coupon code 'WELCOME5' is not eligible for this checkout"
    );
    let read = body(app.get(&format!("/v3/checkouts/{id}")).await).await;
    assert_eq!(read["data"]["version"], 1, "a refused code changes nothing");

    let strict = start_with(SandboxConfig {
        behaviours: bc_sandbox::Behaviours {
            coupon_error_status: 422,
            ..Default::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let cart = strict.create_cart(json!([notebook(1)])).await;
    let id = cart["id"].as_str().expect("id");
    assert_eq!(apply(&strict, id, "NOPE").await.status(), 422);
}

#[tokio::test]
async fn coupon_requests_are_checked_like_bigcommerce_checks_them() {
    let app = start().await;
    let cart = app.create_cart(json!([notebook(1)])).await;
    let id = cart["id"].as_str().expect("id");
    let missing = app
        .post(&format!("/v3/checkouts/{id}/coupons"), json!({}))
        .await;
    assert_eq!(missing.status(), 422);
    let long = apply(&app, id, &"A".repeat(51)).await;
    assert_eq!(long.status(), 422);
    assert_eq!(
        body(long).await["title"],
        "Coupon codes have a 50-character limit."
    );
    let no_type = app
        .client
        .post(app.api(&format!("/v3/checkouts/{id}/coupons")))
        .header("X-Auth-Token", "sandbox-token")
        .body(r#"{"coupon_code":"SAVE10"}"#)
        .send()
        .await
        .expect("sent");
    assert_eq!(no_type.status(), 415);
    let gone = apply(&app, "00000000-0000-4000-8000-000000000000", "SAVE10").await;
    assert_eq!(gone.status(), 404);
    let error = body(gone).await;
    assert_eq!(error["errors"][0]["status"], 404);
}

#[tokio::test]
async fn a_fixed_coupon_needs_its_minimum_and_goes_when_the_cart_falls_below_it() {
    let app = start().await;
    let cart = app.create_cart(json!([notebook(4)])).await;
    let id = cart["id"].as_str().expect("id");
    let item = physical(&cart)[0]["id"].as_str().expect("item").to_owned();
    let applied = body(apply(&app, id, "WELCOME5").await).await["data"].clone();
    assert_eq!(applied["coupons"][0]["discounted_amount"], 5.0);
    assert_eq!(applied["grand_total"], 34.96);

    let put = app
        .put(
            &format!("/v3/carts/{id}/items/{item}"),
            json!({"line_item": {"product_id": 104, "quantity": 2}}),
        )
        .await;
    let cart = body(put).await["data"].clone();
    assert_eq!(cart["coupons"], json!([]), "19.98 is below the minimum");
    assert_eq!(cart["cart_amount"], 19.98);
}

#[tokio::test]
async fn one_code_per_order_unless_the_store_allows_more() {
    let app = start().await;
    let cart = app.create_cart(json!([notebook(4)])).await;
    let id = cart["id"].as_str().expect("id");
    assert_eq!(apply(&app, id, "SAVE10").await.status(), 200);
    assert_eq!(apply(&app, id, "WELCOME5").await.status(), 400);

    let removed = app
        .call(
            Method::DELETE,
            &format!("/v3/checkouts/{id}/coupons/SAVE10"),
            None,
        )
        .await;
    assert_eq!(removed.status(), 200);
    let checkout = body(removed).await["data"].clone();
    assert_eq!(checkout["coupons"], json!([]));
    assert_eq!(checkout["grand_total"], 39.96);
    let again = app
        .call(
            Method::DELETE,
            &format!("/v3/checkouts/{id}/coupons/SAVE10"),
            None,
        )
        .await;
    assert_eq!(again.status(), 404, "not applied any more");

    let seed =
        bc_sandbox::seed::EMBEDDED_SEED.replace("coupons_per_order = 1", "coupons_per_order = 2");
    let generous = start_with(SandboxConfig {
        seed: bc_sandbox::SeedSource::Inline(seed),
        ..SandboxConfig::default()
    })
    .await;
    let cart = generous.create_cart(json!([notebook(4)])).await;
    let id = cart["id"].as_str().expect("id");
    assert_eq!(apply(&generous, id, "SAVE10").await.status(), 200);
    let both = body(apply(&generous, id, "WELCOME5").await).await["data"].clone();
    // 10 % of 39.96 is 4.00; then 5.00 off the 35.96 left.
    assert_eq!(both["grand_total"], 30.96);
}

#[tokio::test]
async fn a_code_in_the_path_is_percent_decoded_and_cannot_leave_its_segment() {
    let app = start().await;
    let cart = app.create_cart(json!([notebook(1)])).await;
    let id = cart["id"].as_str().expect("id");
    assert_eq!(apply(&app, id, "SAVE10").await.status(), 200);
    let encoded = app
        .call(
            Method::DELETE,
            &format!("/v3/checkouts/{id}/coupons/%53AVE10"),
            None,
        )
        .await;
    assert_eq!(encoded.status(), 200);
    let escaped = app
        .call(
            Method::DELETE,
            &format!("/v3/checkouts/{id}/coupons/..%2F..%2Fv2%2Forders"),
            None,
        )
        .await;
    assert_eq!(escaped.status(), 404);
    let stats = app.control_json(Method::GET, "/stats", None).await;
    assert_eq!(
        stats["by_route"]["DELETE /v3/checkouts/{checkout_id}/coupons/{coupon_code}"],
        2
    );
}

#[tokio::test]
async fn free_shipping_banners_turn_from_upsell_to_applied_at_fifty_dollars() {
    let app = start().await;
    let cart = app.create_cart(json!([notebook(1)])).await;
    let id = cart["id"].as_str().expect("id");
    let read = body(
        app.get(&format!("/v3/carts/{id}?include=promotions.banners"))
            .await,
    )
    .await;
    let banner = read["data"]["promotions"]["banners"][0].clone();
    assert_eq!(banner["id"], "1");
    assert_eq!(banner["type"], "upsell");
    assert_eq!(banner["text"], "Spend $40.01 more and get free shipping.");
    assert_eq!(banner["page"], json!(["homepage", "cartpage"]));

    let add = app
        .post(
            &format!("/v3/carts/{id}/items?include=promotions.banners"),
            json!({"line_items": [notebook(5)]}),
        )
        .await;
    let banner = body(add).await["data"]["promotions"]["banners"][0].clone();
    assert_eq!(banner["type"], "applied");
    assert_eq!(banner["text"], "Your order qualifies for free shipping.");

    // The Checkouts API lists them as `[{"banners": [...]}]`.
    let checkout = body(
        app.get(&format!("/v3/checkouts/{id}?include=promotions.banners"))
            .await,
    )
    .await;
    assert_eq!(
        checkout["data"]["promotions"][0]["banners"][0]["type"],
        "applied"
    );
    let plain = body(app.get(&format!("/v3/checkouts/{id}")).await).await;
    assert!(plain["data"].get("promotions").is_none());
}

#[tokio::test]
async fn the_second_mug_brings_a_free_pin_that_cannot_be_changed() {
    let app = start().await;
    let cart = app.create_cart(json!([mug(1)])).await;
    let id = cart["id"].as_str().expect("id");
    let mug_line = physical(&cart)[0]["id"].as_str().expect("id").to_owned();
    assert_eq!(physical(&cart).len(), 1);

    let put = app
        .put(
            &format!("/v3/carts/{id}/items/{mug_line}?include=promotions.banners"),
            json!({"line_item": {"product_id": 101, "quantity": 2}}),
        )
        .await;
    let cart = body(put).await["data"].clone();
    let lines = physical(&cart);
    assert_eq!(lines.len(), 2);
    let pin = &lines[1];
    assert_eq!(pin["product_id"], 103);
    assert_eq!(pin["added_by_promotion"], true);
    assert_eq!(pin["is_mutable"], false);
    assert_eq!(pin["original_price"], 6.0);
    assert_eq!(pin["list_price"], 6.0);
    assert_eq!(pin["sale_price"], 0.0);
    assert_eq!(pin["extended_sale_price"], 0.0);
    assert_eq!(pin["discount_amount"], 6);
    assert_eq!(
        pin["discounts"],
        json!([{"id": "2", "discounted_amount": 6.0}])
    );
    assert_eq!(lines[0]["is_mutable"], true);
    assert_eq!(lines[0]["added_by_promotion"], false);
    assert_eq!(cart["base_amount"], 30.0);
    assert_eq!(cart["cart_amount"], 24.0);
    assert_eq!(
        cart["discounts"],
        json!([{"id": "2", "discounted_amount": 6.0}])
    );
    let banners = cart["promotions"]["banners"]
        .as_array()
        .expect("banners")
        .clone();
    assert!(banners
        .iter()
        .any(|b| b["id"] == "2" && b["type"] == "applied"));

    let pin_id = pin["id"].as_str().expect("id").to_owned();
    let change = app
        .put(
            &format!("/v3/carts/{id}/items/{pin_id}"),
            json!({"line_item": {"product_id": 103, "quantity": 3}}),
        )
        .await;
    assert_eq!(change.status(), 422);
    assert_eq!(
        body(change).await["title"],
        "This item was added by a promotion and cannot be changed or removed."
    );
    assert_eq!(
        app.delete(&format!("/v3/carts/{id}/items/{pin_id}"))
            .await
            .status(),
        422
    );

    // A pin the shopper adds is a line of its own, and paid for.
    let add = app
        .post(
            &format!("/v3/carts/{id}/items"),
            json!({"line_items": [{"product_id": 103, "quantity": 1}]}),
        )
        .await;
    let cart = body(add).await["data"].clone();
    assert_eq!(physical(&cart).len(), 3);
    assert_eq!(cart["cart_amount"], 30.0);

    // Back to one mug: the gift goes.
    let put = app
        .put(
            &format!("/v3/carts/{id}/items/{mug_line}"),
            json!({"line_item": {"product_id": 101, "quantity": 1}}),
        )
        .await;
    let cart = body(put).await["data"].clone();
    let lines = physical(&cart);
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l["added_by_promotion"] == false));
}

#[tokio::test]
async fn removing_the_mugs_takes_the_gift_and_then_the_cart() {
    let app = start().await;
    let cart = app.create_cart(json!([mug(2)])).await;
    let id = cart["id"].as_str().expect("id");
    assert_eq!(physical(&cart).len(), 2, "created with its gift");
    let mug_line = physical(&cart)[0]["id"].as_str().expect("id").to_owned();
    let del = app
        .delete(&format!("/v3/carts/{id}/items/{mug_line}"))
        .await;
    assert_eq!(del.status(), 204, "the gift alone keeps no cart");
}

#[tokio::test]
async fn coupon_callbacks_fire_coupon_applied_and_updated() {
    let app = crate::helpers::start_with(crate::helpers::fast_webhooks()).await;
    let receiver = crate::helpers::Receiver::start(vec![]).await;
    for scope in ["store/cart/couponApplied", "store/cart/updated"] {
        let resp = app
            .post(
                "/v3/hooks",
                json!({"scope": scope, "destination": receiver.url}),
            )
            .await;
        assert_eq!(resp.status(), 200);
    }
    let cart = app.create_cart(json!([notebook(1)])).await;
    let id = cart["id"].as_str().expect("id");
    receiver.wait_for(1).await;
    assert_eq!(apply(&app, id, "SAVE10").await.status(), 200);
    let got = receiver.wait_for(3).await;
    let coupon = got
        .iter()
        .find(|r| r.body["scope"] == "store/cart/couponApplied")
        .expect("couponApplied");
    assert_eq!(
        coupon.body["data"],
        json!({"type": "cart", "id": id, "couponId": 1})
    );
}
