//! The note for the order (the checkout's `customer_message`) and gift certificates bought as
//! cart lines, end to end against the sandbox, read back on BigCommerce's side and on its
//! hosted checkout page, with BigCommerce calls counted.

use serde_json::{json, Value};

use crate::helpers::{cart_body, line_id, spawn_app, spawn_app_with, TestApp};
use crate::shipping::texas;

const SET_MESSAGE: &str = "PUT /v3/checkouts/{checkout_id}";
const ADD_ITEMS: &str = "POST /v3/carts/{cart_id}/items";

impl TestApp {
    async fn set_note(&self, message: &str) -> reqwest::Response {
        self.api_client
            .put(self.url("/api/cart/note"))
            .json(&json!({"message": message}))
            .send()
            .await
            .expect("request failed")
    }

    async fn buy_gift_certificate(&self, body: &Value) -> reqwest::Response {
        self.api_client
            .post(self.url("/api/cart/gift-certificates"))
            .json(body)
            .send()
            .await
            .expect("request failed")
    }

    /// The sandbox's checkout of the session's cart, read as another system would.
    async fn sandbox_checkout(&self) -> Value {
        let id = self.stored_cart_id().await;
        let response = self
            .bigcommerce_api(reqwest::Method::GET, &format!("/v3/checkouts/{id}"), None)
            .await;
        response.json::<Value>().await.expect("checkout")["data"].clone()
    }
}

fn certificate() -> Value {
    json!({"name": "A gift for Sam", "amount": 25, "theme": "birthday",
           "sender": {"name": "Jane", "email": "jane@example.com"},
           "recipient": {"name": "Sam", "email": "sam@example.com"},
           "message": "Happy birthday!"})
}

async fn code_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("problem");
    (status, body["code"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn the_note_reaches_the_checkout_for_one_call_and_survives_a_line_change() {
    // Arrange
    let app = spawn_app().await;
    let added = cart_body(app.add_item(104, None, 1).await).await;
    assert_eq!(added["note"], Value::Null);
    let before = app.sandbox_stats().await;

    // Act
    let response = app
        .set_note("Please leave it with the neighbour.\nThanks!")
        .await;

    // Assert
    assert_eq!(response.status().as_u16(), 200);
    let calls = app.sandbox_stats().await.since(&before);
    assert_eq!((calls.calls(SET_MESSAGE), calls.total), (1, 1));
    let cart = cart_body(response).await;
    assert_eq!(cart["note"], "Please leave it with the neighbour.\nThanks!");
    let checkout = app.sandbox_checkout().await;
    assert_eq!(
        checkout["customer_message"],
        "Please leave it with the neighbour.\nThanks!"
    );
    let before = app.sandbox_stats().await;
    assert_eq!(cart_body(app.get_cart().await).await, cart);
    assert_eq!(app.sandbox_stats().await.since(&before).total, 0);

    // A line change's answer (the Carts API's) still shows it, as the snapshot keeps it.
    let changed = cart_body(app.patch_item(&line_id(&added, 104), 2).await).await;
    assert_eq!(changed["note"], cart["note"]);
    // An empty note clears it.
    let cleared = cart_body(app.set_note("").await).await;
    assert_eq!(cleared["note"], Value::Null);
    assert_eq!(app.sandbox_checkout().await["customer_message"], "");
}

#[tokio::test]
async fn an_over_long_note_and_a_session_without_a_cart_call_nothing() {
    let app = spawn_app().await;
    let before = app.sandbox_stats().await;
    assert_eq!(
        code_of(app.set_note("hello").await).await,
        (409, "cart_empty".into())
    );
    app.add_item(104, None, 1).await;
    let before_long = app.sandbox_stats().await;
    let long = "é".repeat(2001);
    assert_eq!(
        code_of(app.set_note(&long).await).await,
        (422, "invalid_input".into())
    );
    assert_eq!(
        code_of(app.set_note("bell\u{7}").await).await,
        (422, "invalid_input".into())
    );
    assert_eq!(app.sandbox_stats().await.since(&before_long).total, 0);
    let edge = "é".repeat(2000);
    assert_eq!(app.set_note(&edge).await.status().as_u16(), 200);
    let calls = app.sandbox_stats().await.since(&before);
    assert_eq!(calls.calls(SET_MESSAGE), 1);
}

#[tokio::test]
async fn a_gift_certificate_is_a_line_of_its_own_seen_on_the_hosted_checkout_and_removable() {
    // Arrange
    let app = spawn_app().await;
    app.add_item(104, None, 1).await;
    let before = app.sandbox_stats().await;

    // Act
    let response = app.buy_gift_certificate(&certificate()).await;

    // Assert
    assert_eq!(response.status().as_u16(), 201);
    let calls = app.sandbox_stats().await.since(&before);
    assert_eq!((calls.calls(ADD_ITEMS), calls.total), (1, 1));
    let cart = cart_body(response).await;
    let line = cart["line_items"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["type"] == "gift_certificate")
        .expect("the certificate")
        .clone();
    assert_eq!(line["name"], "A gift for Sam");
    assert_eq!(line["quantity"], 1);
    assert_eq!(line["extended_sale_price"], 25.0);
    assert_eq!(cart["totals"]["grand_total"], 34.99);
    assert!(
        !cart.to_string().contains("sam@example.com"),
        "no e-mail in the cart"
    );
    let on_bigcommerce =
        &app.sandbox_checkout().await["cart"]["line_items"]["gift_certificates"][0];
    assert_eq!(on_bigcommerce["theme"], "Birthday");
    assert_eq!(on_bigcommerce["recipient"]["email"], "sam@example.com");
    assert_eq!(on_bigcommerce["message"], "Happy birthday!");

    // The shopper sees it, the note and the tax on BigCommerce's hosted checkout.
    app.set_note("Wrap it, please").await;
    cart_body(app.estimate(&texas()).await).await;
    let hand_off: Value = app.checkout().await.json().await.expect("hand-off");
    let page = reqwest::get(hand_off["url"].as_str().expect("url"))
        .await
        .expect("hosted checkout")
        .text()
        .await
        .expect("html");
    assert!(page.contains("Gift certificate: A gift for Sam"), "{page}");
    assert!(page.contains("Note from the shopper: Wrap it, please"));
    assert!(
        page.contains("Tax (Sales Tax): USD 0.80"),
        "gift certificates are not taxed"
    );

    // Its quantity cannot change; it is removed like any line.
    let id = line["id"].as_str().expect("id");
    assert_eq!(
        code_of(app.patch_item(id, 2).await).await,
        (422, "line_not_editable".into())
    );
    let removed = cart_body(app.delete_item(id).await).await;
    assert!(removed["line_items"]
        .as_array()
        .expect("lines")
        .iter()
        .all(|l| l["type"] != "gift_certificate"));
}

#[tokio::test]
async fn bad_gift_certificates_and_a_session_without_a_cart_call_nothing() {
    let app = spawn_app_with(|settings| {
        settings.cart.gift_certificate_min_amount = 5.0;
        settings.cart.gift_certificate_max_amount = 500.0;
    })
    .await;
    let before = app.sandbox_stats().await;
    let (status, code) = code_of(app.buy_gift_certificate(&certificate()).await).await;
    assert_eq!((status, code.as_str()), (409, "cart_empty"));
    app.add_item(104, None, 1).await;
    let after_add = app.sandbox_stats().await;
    let with = |field: &str, value: Value| {
        let mut body = certificate();
        body[field] = value;
        body
    };
    let cases = [
        (with("amount", json!(4.99)), "under the store's minimum"),
        (with("amount", json!(500.01)), "over the store's maximum"),
        (with("amount", json!(10.001)), "a fraction of a cent"),
        (
            with("theme", json!("easter")),
            "not one of BigCommerce's themes",
        ),
        (
            with("recipient", json!({"name": "Sam", "email": "sam"})),
            "a bad e-mail",
        ),
        (
            with("sender", json!({"name": "", "email": "jane@example.com"})),
            "no sender name",
        ),
        (
            with("message", json!("x".repeat(201))),
            "an over-long message",
        ),
        (with("name", json!("")), "no name"),
    ];
    for (body, why) in cases {
        let (status, code) = code_of(app.buy_gift_certificate(&body).await).await;
        assert_eq!((status, code.as_str()), (422, "invalid_input"), "{why}");
    }
    let unknown = with("quantity", json!(2));
    assert_eq!(
        app.buy_gift_certificate(&unknown).await.status().as_u16(),
        400
    );
    assert_eq!(app.sandbox_stats().await.since(&after_add).total, 0);
    assert_eq!(
        app.sandbox_stats().await.since(&before).total,
        1,
        "the add only"
    );
}

#[tokio::test]
async fn a_retried_gift_certificate_with_the_same_key_is_bought_once() {
    let app = spawn_app().await;
    app.add_item(104, None, 1).await;
    let send = || async {
        app.api_client
            .post(app.url("/api/cart/gift-certificates"))
            .header("Idempotency-Key", "gift-1")
            .json(&certificate())
            .send()
            .await
            .expect("request failed")
    };
    let first = send().await;
    assert_eq!(first.status().as_u16(), 201);
    let before = app.sandbox_stats().await;
    let again = send().await;
    assert_eq!(again.status().as_u16(), 201);
    assert_eq!(
        app.sandbox_stats().await.since(&before).total,
        0,
        "replayed"
    );
    let cart = cart_body(app.get_cart().await).await;
    let certificates = cart["line_items"]
        .as_array()
        .expect("lines")
        .iter()
        .filter(|l| l["type"] == "gift_certificate")
        .count();
    assert_eq!(certificates, 1);
}
