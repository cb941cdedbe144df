//! Shipping estimates and options end to end against the sandbox's seeded zones (US: standard
//! $5, free from $50 with the free-shipping promotion, express $15) and its 8 % US tax, with
//! BigCommerce calls counted.

use serde_json::{json, Value};

use crate::accounts::{login_with, JANE};
use crate::helpers::{
    cart_body, client, line_id, share_of, spawn_app, spawn_app_with, spawn_app_with_promotions,
    TestApp,
};

pub(crate) const CREATE: &str = "POST /v3/checkouts/{checkout_id}/consignments";
pub(crate) const UPDATE: &str = "PUT /v3/checkouts/{checkout_id}/consignments/{consignment_id}";
const READ: &str = "GET /v3/checkouts/{checkout_id}";

pub(crate) fn texas() -> Value {
    json!({"country_code": "US", "state": "Texas", "postal_code": "78701",
           "email": "shopper@example.com"})
}

impl TestApp {
    pub(crate) async fn estimate(&self, body: &Value) -> reqwest::Response {
        self.api_client
            .post(self.url("/api/cart/shipping-estimate"))
            .json(body)
            .send()
            .await
            .expect("request failed")
    }

    pub(crate) async fn choose_option(&self, option_id: &str) -> reqwest::Response {
        self.api_client
            .put(self.url("/api/cart/shipping-option"))
            .json(&json!({"option_id": option_id}))
            .send()
            .await
            .expect("request failed")
    }
}

/// The id of the option described `description` in `cart.shipping.options`.
pub(crate) fn option_id(cart: &Value, description: &str) -> String {
    cart["shipping"]["options"]
        .as_array()
        .expect("options")
        .iter()
        .find(|o| o["description"] == description)
        .unwrap_or_else(|| panic!("no {description} in {cart}"))["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

async fn problem(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.expect("problem json"))
}

#[tokio::test]
async fn a_us_estimate_gives_the_seeded_options_and_a_grand_total_with_tax_for_one_call() {
    // Arrange: two notebooks, $19.98, fresh from the add.
    let app = spawn_app().await;
    assert_eq!(app.add_item(104, None, 2).await.status().as_u16(), 201);
    let before = app.sandbox_stats().await;

    // Act
    let response = app.estimate(&texas()).await;

    // Assert
    assert_eq!(response.status().as_u16(), 200);
    let calls = app.sandbox_stats().await.since(&before);
    assert_eq!(calls.calls(CREATE), 1);
    assert_eq!(calls.total, 1, "the checkout's answer is the cart");
    let cart = cart_body(response).await;
    let shipping = &cart["shipping"];
    assert_eq!(
        shipping["destination"],
        json!({"country_code": "US", "state": "Texas", "postal_code": "78701"})
    );
    let options: Vec<(&str, f64)> = shipping["options"]
        .as_array()
        .expect("options")
        .iter()
        .map(|o| {
            (
                o["description"].as_str().expect("d"),
                o["cost"].as_f64().expect("c"),
            )
        })
        .collect();
    assert_eq!(
        options,
        [("Standard shipping", 5.0), ("Express shipping", 15.0)]
    );
    assert_eq!(
        shipping["options"][0]["transit_time"],
        "3 to 5 business days"
    );
    assert_eq!(shipping["selected_option_id"], Value::Null);
    assert_eq!(shipping["current"], true);
    let totals = &cart["totals"];
    assert_eq!(totals["shipping"], Value::Null, "no option chosen yet");
    assert_eq!(totals["tax"], 1.6, "8 % of $19.98");
    assert_eq!(totals["grand_total"], 21.58);
    assert_eq!(cart["cart_amount"], 19.98, "the items, without tax");
    let text = cart.to_string();
    let checkout_id = app.stored_cart_id().await.to_string();
    assert!(
        !text.contains(&checkout_id),
        "no checkout id reaches the browser"
    );
    assert!(
        !text.contains("consignment"),
        "nor a consignment id: {text}"
    );
    assert!(!text.contains("shopper@example.com"), "nor the e-mail");

    // A fresh read is the snapshot, shipping and all, for no call.
    let before = app.sandbox_stats().await;
    let read = cart_body(app.get_cart().await).await;
    assert_eq!(app.sandbox_stats().await.since(&before).total, 0);
    assert_eq!(read, cart);
}

#[tokio::test]
async fn choosing_an_option_puts_shipping_and_tax_from_the_checkout_in_the_totals_for_one_call() {
    let app = spawn_app().await;
    app.add_item(104, None, 2).await;
    let estimated = cart_body(app.estimate(&texas()).await).await;
    let express = option_id(&estimated, "Express shipping");
    let before = app.sandbox_stats().await;

    let response = app.choose_option(&express).await;

    assert_eq!(response.status().as_u16(), 200);
    let calls = app.sandbox_stats().await.since(&before);
    assert_eq!((calls.calls(UPDATE), calls.total), (1, 1));
    let cart = cart_body(response).await;
    assert_eq!(cart["shipping"]["selected_option_id"], express.as_str());
    let totals = &cart["totals"];
    assert_eq!(totals["shipping"], 15.0);
    assert_eq!(totals["tax"], 2.8, "8 % of the items and of shipping");
    assert_eq!(totals["grand_total"], 37.78);

    let before = app.sandbox_stats().await;
    assert_eq!(cart_body(app.get_cart().await).await, cart);
    assert_eq!(app.sandbox_stats().await.since(&before).total, 0);

    // The sandbox's checkout agrees.
    let id = app.stored_cart_id().await;
    let checkout: Value = app
        .bigcommerce_api(reqwest::Method::GET, &format!("/v3/checkouts/{id}"), None)
        .await
        .json()
        .await
        .expect("checkout");
    assert_eq!(checkout["data"]["grand_total"], 37.78);
}

#[tokio::test]
async fn standard_shipping_is_free_over_fifty_dollars_and_a_coupon_answer_keeps_the_totals_honest()
{
    let app = spawn_app_with_promotions().await;
    app.add_item(106, None, 3).await; // $66
    let estimated = cart_body(app.estimate(&texas()).await).await;
    let standard = option_id(&estimated, "Standard shipping");
    assert_eq!(estimated["shipping"]["options"][0]["cost"], 0.0);
    let cart = cart_body(app.choose_option(&standard).await).await;
    assert_eq!(cart["totals"]["shipping"], 0.0);
    assert_eq!(cart["totals"]["tax"], 5.28);
    assert_eq!(cart["totals"]["grand_total"], 71.28);

    // SAVE10 takes $6.60 off: the checkout's answer re-prices tax, shipping stays chosen.
    let response = app
        .api_client
        .post(app.url("/api/cart/coupons"))
        .json(&json!({"code": "SAVE10"}))
        .send()
        .await
        .expect("coupon");
    let cart = cart_body(response).await;
    assert_eq!(cart["shipping"]["selected_option_id"], standard.as_str());
    assert_eq!(cart["totals"]["tax"], 4.75);
    assert_eq!(cart["totals"]["grand_total"], 64.15);
}

#[tokio::test]
async fn after_a_line_change_shipping_and_tax_are_unknown_until_estimated_again() {
    let app = spawn_app().await;
    app.add_item(104, None, 1).await;
    let added = cart_body(app.add_item(101, None, 1).await).await;
    let estimated = cart_body(app.estimate(&texas()).await).await;
    let cart = cart_body(
        app.choose_option(&option_id(&estimated, "Express shipping"))
            .await,
    )
    .await;
    assert_eq!(cart["totals"]["shipping"], 15.0);

    // The sandbox re-quotes consignments after a line change (BigCommerce may drop them).
    let changed = cart_body(app.patch_item(&line_id(&added, 101), 2).await).await;
    assert_eq!(changed["totals"]["shipping"], Value::Null);
    assert_eq!(changed["totals"]["tax"], Value::Null);
    assert_eq!(changed["totals"]["grand_total"], 33.99, "the items only");
    let shipping = &changed["shipping"];
    assert_eq!(shipping["current"], false);
    assert_eq!(shipping["options"], json!([]));
    assert_eq!(
        shipping["destination"]["postal_code"], "78701",
        "kept for the next estimate"
    );
    assert_eq!(cart_body(app.get_cart().await).await, changed);

    // An old option is refused without a call; estimating again re-quotes the consignment.
    let before = app.sandbox_stats().await;
    let (status, body) = problem(
        app.choose_option(&option_id(&estimated, "Standard shipping"))
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("shipping_estimate_required"))
    );
    assert_eq!(app.sandbox_stats().await.since(&before).total, 0);
    let again = cart_body(app.estimate(&texas()).await).await;
    let calls = app.sandbox_stats().await.since(&before);
    assert_eq!(
        (calls.calls(UPDATE), calls.total),
        (1, 1),
        "the consignment is re-addressed"
    );
    assert_eq!(again["shipping"]["current"], true);
    assert_eq!(again["totals"]["tax"], 2.72);
}

#[tokio::test]
async fn signing_in_drops_bigcommerces_shipping_and_the_next_estimate_costs_at_most_two_calls() {
    let app = spawn_app().await;
    app.add_item(104, None, 1).await;
    cart_body(app.estimate(&texas()).await).await;
    let response = login_with(&app, &app.api_client, JANE).await;
    assert_eq!(response.status().as_u16(), 200);
    let cart = cart_body(app.get_cart().await).await;
    assert_eq!(
        cart["totals"]["tax"],
        Value::Null,
        "a customer change removes shipping"
    );

    let before = app.sandbox_stats().await;
    let signed_in = json!({"country_code": "US", "postal_code": "78701"});
    let response = app.estimate(&signed_in).await;
    assert_eq!(
        response.status().as_u16(),
        200,
        "the customer's own e-mail is used"
    );
    let calls = app.sandbox_stats().await.since(&before);
    assert!(calls.total <= 2, "{:?}", calls.by_route);
    assert_eq!(
        calls.calls(CREATE),
        1,
        "the dropped consignment is made anew"
    );
    let cart = cart_body(response).await;
    assert_eq!(
        cart["shipping"]["options"].as_array().map(Vec::len),
        Some(2)
    );
}

#[tokio::test]
async fn a_stale_snapshot_costs_one_checkout_read_before_the_estimate() {
    let app = spawn_app().await;
    app.add_item(104, None, 1).await;
    sqlx::query("UPDATE cart_snapshots SET stale = true")
        .execute(&app.db_pool)
        .await
        .expect("mark stale");
    // The instance's cache hears of it by notification.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let before = app.sandbox_stats().await;
    let response = app.estimate(&texas()).await;
    assert_eq!(response.status().as_u16(), 200);
    let calls = app.sandbox_stats().await.since(&before);
    assert_eq!(
        (calls.calls(READ), calls.calls(CREATE), calls.total),
        (1, 1, 2)
    );
}

#[tokio::test]
async fn a_digital_only_cart_needs_no_shipping_and_calls_nothing() {
    let app = spawn_app().await;
    app.add_item(130, None, 1).await; // the e-book
    let before = app.sandbox_stats().await;
    let (status, body) = problem(app.estimate(&texas()).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("shipping_not_required"))
    );
    assert_eq!(app.sandbox_stats().await.since(&before).total, 0);
}

#[tokio::test]
async fn bad_destinations_and_option_ids_are_refused_without_a_call() {
    let app = spawn_app().await;
    app.add_item(104, None, 1).await;
    let before = app.sandbox_stats().await;
    let cases = [
        (
            json!({"country_code": "XX", "email": "a@b.co"}),
            "an unknown country",
        ),
        (
            json!({"country_code": "USA", "email": "a@b.co"}),
            "three letters",
        ),
        (
            json!({"country_code": "US", "postal_code": "78<701", "email": "a@b.co"}),
            "a postal code with markup",
        ),
        (
            json!({"country_code": "US", "email": "not-an-address"}),
            "a bad e-mail",
        ),
        (json!({"country_code": "US"}), "a guest without an e-mail"),
    ];
    for (body, why) in cases {
        let (status, problem) = problem(app.estimate(&body).await).await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (422, Some("invalid_input")),
            "{why}"
        );
    }
    let unknown_field = app
        .estimate(&json!({"country_code": "US", "zip": "1"}))
        .await;
    assert_eq!(unknown_field.status().as_u16(), 400);
    let (status, body) = problem(app.choose_option("../../v2/orders").await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("invalid_input"))
    );
    let (status, body) = problem(app.choose_option("abc").await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("shipping_estimate_required"))
    );
    cart_body(app.estimate(&texas()).await).await;
    let before_unknown = app.sandbox_stats().await;
    let (status, body) = problem(app.choose_option("0123456789abcdef0123456789abcdef").await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("shipping_option_unknown"))
    );
    assert_eq!(app.sandbox_stats().await.since(&before_unknown).total, 0);
    let calls = app.sandbox_stats().await.since(&before);
    assert_eq!(
        calls.total, 1,
        "only the one good estimate: {:?}",
        calls.by_route
    );
}

#[tokio::test]
async fn a_session_without_a_cart_gets_cart_empty_and_another_session_never_reaches_the_checkout() {
    let app = spawn_app().await;
    let before = app.sandbox_stats().await;
    let (status, body) = problem(app.estimate(&texas()).await).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("cart_empty")));
    let (status, body) = problem(app.choose_option("abc").await).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("cart_empty")));
    assert_eq!(app.sandbox_stats().await.since(&before).total, 0);

    // Another shopper's session holds a cart with an estimate; this one reaches none of it.
    let other = client();
    let added = other
        .post(app.url("/api/cart/items"))
        .json(&json!({"line_items": [{"product_id": 104, "quantity": 1}]}))
        .send()
        .await
        .expect("add");
    assert_eq!(added.status().as_u16(), 201);
    let estimated = other
        .post(app.url("/api/cart/shipping-estimate"))
        .json(&texas())
        .send()
        .await
        .expect("estimate");
    let theirs = cart_body(estimated).await;
    let before = app.sandbox_stats().await;
    let (status, _) = problem(
        app.choose_option(&option_id(&theirs, "Express shipping"))
            .await,
    )
    .await;
    assert_eq!(status, 409);
    let (status, _) = problem(app.estimate(&texas()).await).await;
    assert_eq!(status, 409);
    assert_eq!(app.sandbox_stats().await.since(&before).total, 0);
    let mine: Value = app.get_cart().await.json().await.expect("json");
    assert_eq!(mine["cart"], Value::Null);
}

#[tokio::test]
async fn estimates_and_options_spend_the_fair_share_of_their_calls_and_refuse_other_origins() {
    // A session's share of 3: the add, an estimate (1, the snapshot is fresh), an option (1).
    let app = spawn_app_with(|settings| settings.rate_limits.session_share = share_of(3)).await;
    app.add_item(104, None, 1).await;
    let estimated = cart_body(app.estimate(&texas()).await).await;
    let standard = option_id(&estimated, "Standard shipping");
    assert_eq!(app.choose_option(&standard).await.status().as_u16(), 200);
    let before = app.sandbox_stats().await;
    let (status, body) = problem(app.estimate(&texas()).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("too_many_requests"))
    );
    let (status, _) = problem(app.choose_option(&standard).await).await;
    assert_eq!(status, 429);
    let foreign = app
        .api_client
        .put(app.url("/api/cart/note"))
        .header("Origin", "https://evil.example")
        .json(&json!({"message": "hi"}))
        .send()
        .await
        .expect("request");
    assert_eq!(foreign.status().as_u16(), 403);
    assert_eq!(app.sandbox_stats().await.since(&before).total, 0);
}
