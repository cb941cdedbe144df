//! The checkout beyond coupons: consignments with their shipping options, the separate PUT
//! that selects one, taxes and totals, the customer message, what a line or customer change
//! does to consignments, gift certificates added as lines, and the hosted checkout page.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{mug, notebook, start, start_with, TestSandbox};
use bc_sandbox::{Behaviours, ConsignmentsOnLineChange, SandboxConfig};

const WITH_OPTIONS: &str = "?include=consignments.available_shipping_options";

async fn data(resp: reqwest::Response) -> Value {
    resp.json::<Value>().await.expect("json")["data"].clone()
}

fn us_address() -> Value {
    json!({"email": "jane@example.com", "country_code": "US", "state_or_province": "Texas",
           "postal_code": "78701"})
}

fn physical_ids(cart: &Value) -> Vec<String> {
    cart["line_items"]["physical_items"]
        .as_array()
        .expect("physical_items")
        .iter()
        .map(|l| l["id"].as_str().expect("id").to_owned())
        .collect()
}

/// A consignment of every physical line of `cart` to `address`.
async fn consign(app: &TestSandbox, cart: &Value, address: Value) -> reqwest::Response {
    let lines: Vec<Value> = cart["line_items"]["physical_items"]
        .as_array()
        .expect("physical")
        .iter()
        .map(|l| json!({"item_id": l["id"], "quantity": l["quantity"]}))
        .collect();
    let id = cart["id"].as_str().expect("id");
    app.post(
        &format!("/v3/checkouts/{id}/consignments{WITH_OPTIONS}"),
        json!([{"address": address, "line_items": lines}]),
    )
    .await
}

async fn select(app: &TestSandbox, checkout: &Value, description: &str) -> reqwest::Response {
    let id = checkout["id"].as_str().expect("id");
    let consignment = &checkout["consignments"][0];
    let option = consignment["available_shipping_options"]
        .as_array()
        .expect("options")
        .iter()
        .find(|o| o["description"] == description)
        .expect("option")
        .clone();
    app.put(
        &format!(
            "/v3/checkouts/{id}/consignments/{}{WITH_OPTIONS}",
            consignment["id"].as_str().expect("consignment id")
        ),
        json!({"shipping_option_id": option["id"]}),
    )
    .await
}

#[tokio::test]
async fn a_us_consignment_is_quoted_the_seeded_options_and_taxed_at_eight_percent() {
    let app = start().await;
    let cart = app.create_cart(json!([notebook(2)])).await; // $19.98

    let resp = consign(&app, &cart, us_address()).await;
    assert_eq!(resp.status(), 200);
    let checkout = data(resp).await;
    let consignment = &checkout["consignments"][0];
    assert_eq!(consignment["id"].as_str().expect("id").len(), 13);
    assert_eq!(consignment["line_item_ids"], json!(physical_ids(&cart)));
    assert_eq!(consignment["address"]["country_code"], "US");
    assert_eq!(consignment["shipping_address"]["postal_code"], "78701");
    assert!(consignment.get("selected_shipping_option").is_none());
    let options = consignment["available_shipping_options"]
        .as_array()
        .expect("options");
    let quoted: Vec<(&str, f64)> = options
        .iter()
        .map(|o| {
            (
                o["description"].as_str().expect("d"),
                o["cost"].as_f64().expect("c"),
            )
        })
        .collect();
    assert_eq!(
        quoted,
        [("Standard shipping", 5.0), ("Express shipping", 15.0)]
    );
    assert!(options
        .iter()
        .all(|o| o["id"].as_str().expect("id").len() == 32 && o["type"] == "shipping_flatrate"));
    assert_eq!(
        checkout["taxes"],
        json!([{"name": "Sales Tax", "amount": 1.6}])
    );
    assert_eq!(checkout["tax_total"], 1.6);
    assert_eq!(checkout["shipping_cost_total_ex_tax"], 0);
    assert_eq!(checkout["grand_total"], 21.58);
    assert_eq!(checkout["version"], 2);

    // Selecting is a separate PUT; shipping is then taxed too.
    let resp = select(&app, &checkout, "Express shipping").await;
    assert_eq!(resp.status(), 200);
    let checkout = data(resp).await;
    let consignment = &checkout["consignments"][0];
    assert_eq!(consignment["selected_shipping_option"]["cost"], 15);
    assert_eq!(consignment["shipping_cost_ex_tax"], 15);
    assert_eq!(checkout["shipping_cost_total_inc_tax"], 15);
    assert_eq!(checkout["tax_total"], 2.8);
    assert_eq!(checkout["grand_total"], 37.78);
    assert_eq!(checkout["cart"]["cart_amount_ex_tax"], 19.98);
    assert_eq!(checkout["cart"]["cart_amount_inc_tax"], 21.58);

    // The read without the include has no options, but the selection and totals.
    let read = data(
        app.get(&format!(
            "/v3/checkouts/{}",
            cart["id"].as_str().expect("id")
        ))
        .await,
    )
    .await;
    assert!(read["consignments"][0]
        .get("available_shipping_options")
        .is_none());
    assert_eq!(read["grand_total"], 37.78);
}

#[tokio::test]
async fn standard_shipping_is_free_from_fifty_dollars_with_the_promotion() {
    let app = start().await;
    let cart = app
        .create_cart(json!([{"product_id": 106, "quantity": 3}]))
        .await; // $66
    let checkout = data(consign(&app, &cart, us_address()).await).await;
    let standard = &checkout["consignments"][0]["available_shipping_options"][0];
    assert_eq!(standard["cost"], 0);
    let checkout = data(select(&app, &checkout, "Standard shipping").await).await;
    assert_eq!(checkout["shipping_cost_total_ex_tax"], 0);
    assert_eq!(
        checkout["consignments"][0]["discounts"],
        json!([{"id": "1"}])
    );
    assert_eq!(checkout["grand_total"], 71.28);

    // Reported before the discount when configured so; the grand total is the same.
    let app = start_with(SandboxConfig {
        behaviours: Behaviours {
            shipping_cost_before_discounts: true,
            ..Behaviours::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let cart = app
        .create_cart(json!([{"product_id": 106, "quantity": 3}]))
        .await;
    let checkout = data(consign(&app, &cart, us_address()).await).await;
    let checkout = data(select(&app, &checkout, "Standard shipping").await).await;
    assert_eq!(checkout["shipping_cost_total_ex_tax"], 5);
    assert_eq!(
        checkout["consignments"][0]["selected_shipping_option"]["cost"],
        0
    );
    assert_eq!(checkout["grand_total"], 71.28);
}

#[tokio::test]
async fn consignment_requests_are_checked_and_refusals_change_nothing() {
    let app = start().await;
    let cart = app
        .create_cart(json!([notebook(1), {"product_id": 130, "quantity": 1}]))
        .await;
    let id = cart["id"].as_str().expect("id");
    let path = format!("/v3/checkouts/{id}/consignments");
    let notebook_line = &cart["line_items"]["physical_items"][0];
    let ebook = &cart["line_items"]["digital_items"][0];
    let line = json!([{"item_id": notebook_line["id"], "quantity": 1}]);
    let cases = [
        (
            json!({"address": us_address(), "line_items": line}),
            "not an array",
        ),
        (json!([{"line_items": line}]), "no address"),
        (
            json!([{"address": {"email": "a@b.c"}, "line_items": line}]),
            "no country",
        ),
        (
            json!([{"address": {"country_code": "US"}, "line_items": line}]),
            "no e-mail",
        ),
        (json!([{"address": us_address()}]), "no lines"),
        (
            json!([{"address": us_address(), "line_items": [{"item_id": ebook["id"], "quantity": 1}]}]),
            "digital",
        ),
        (
            json!([{"address": us_address(), "line_items": [{"item_id": notebook_line["id"], "quantity": 3}]}]),
            "not the line's quantity",
        ),
    ];
    for (body, why) in cases {
        let resp = app.post(&path, body).await;
        assert_eq!(resp.status(), 422, "{why}");
    }
    let without_type = app
        .client
        .post(app.api(&path))
        .header("X-Auth-Token", "sandbox-token")
        .body("[]")
        .send()
        .await
        .expect("sent");
    assert_eq!(without_type.status(), 415);
    let checkout = data(app.get(&format!("/v3/checkouts/{id}")).await).await;
    assert_eq!(checkout["consignments"], json!([]));
    assert_eq!(checkout["version"], 1, "nothing changed");

    // The option goes in a PUT of its own; an unknown one or consignment is refused.
    let checkout = data(consign(&app, &cart, us_address()).await).await;
    let consignment = checkout["consignments"][0]["id"]
        .as_str()
        .expect("cid")
        .to_owned();
    let put = |body: Value, cid: String| {
        let app = &app;
        async move {
            app.put(&format!("/v3/checkouts/{id}/consignments/{cid}"), body)
                .await
        }
    };
    let both = json!({"address": us_address(), "shipping_option_id": "x"});
    assert_eq!(put(both, consignment.clone()).await.status(), 422);
    assert_eq!(
        put(json!({"shipping_option_id": "nope"}), consignment.clone())
            .await
            .status(),
        422
    );
    assert_eq!(put(json!({}), consignment.clone()).await.status(), 422);
    let missing = put(
        json!({"shipping_option_id": "x"}),
        "0000000000000".to_owned(),
    )
    .await;
    assert_eq!(missing.status(), 404);
    let body: Value = missing.json().await.expect("json");
    assert_eq!(body["errors"][0]["title"], "Consignment not found");
    let gone = app
        .post(
            &format!("/v3/checkouts/{}/consignments", uuid::Uuid::new_v4()),
            json!([{"address": us_address(), "line_items": line}]),
        )
        .await;
    assert_eq!(gone.status(), 404);
}

#[tokio::test]
async fn a_new_address_requotes_and_a_delete_removes_the_consignment() {
    let app = start().await;
    let cart = app.create_cart(json!([notebook(1)])).await;
    let id = cart["id"].as_str().expect("id");
    let checkout = data(consign(&app, &cart, us_address()).await).await;
    let chosen = data(select(&app, &checkout, "Standard shipping").await).await;
    let cid = chosen["consignments"][0]["id"]
        .as_str()
        .expect("cid")
        .to_owned();
    let old_ids = checkout["consignments"][0]["available_shipping_options"].clone();

    let canada = json!({"email": "jane@example.com", "country_code": "ca"});
    let moved = data(
        app.put(
            &format!("/v3/checkouts/{id}/consignments/{cid}{WITH_OPTIONS}"),
            json!({"address": canada}),
        )
        .await,
    )
    .await;
    let consignment = &moved["consignments"][0];
    assert!(
        consignment.get("selected_shipping_option").is_none(),
        "a new address clears the selection"
    );
    assert_eq!(
        consignment["available_shipping_options"][0]["description"],
        "International shipping"
    );
    assert_ne!(consignment["available_shipping_options"], old_ids);
    assert_eq!(moved["taxes"][0]["name"], "GST");

    // A second POST with the same lines replaces the consignment (the lines move).
    let again = data(consign(&app, &cart, us_address()).await).await;
    assert_eq!(again["consignments"].as_array().expect("c").len(), 1);
    assert_ne!(again["consignments"][0]["id"], cid.as_str());

    let new_id = again["consignments"][0]["id"].as_str().expect("cid");
    let resp = app
        .delete(&format!("/v3/checkouts/{id}/consignments/{new_id}"))
        .await;
    assert_eq!(resp.status(), 200);
    let checkout = data(resp).await;
    assert_eq!(checkout["consignments"], json!([]));
    assert_eq!(checkout["taxes"], json!([]));
    assert_eq!(checkout["grand_total"], 9.99);
}

#[tokio::test]
async fn a_line_change_requotes_by_default_and_a_customer_change_drops_shipping() {
    let app = start().await;
    let cart = app.create_cart(json!([notebook(1), mug(1)])).await;
    let id = cart["id"].as_str().expect("id");
    let checkout = data(consign(&app, &cart, us_address()).await).await;
    data(select(&app, &checkout, "Express shipping").await).await;

    let mug_line = cart["line_items"]["physical_items"][1]["id"]
        .as_str()
        .expect("mug");
    let resp = app
        .delete(&format!("/v3/carts/{id}/items/{mug_line}"))
        .await;
    assert_eq!(resp.status(), 200);
    let after = data(app.get(&format!("/v3/checkouts/{id}{WITH_OPTIONS}")).await).await;
    let consignment = &after["consignments"][0];
    assert_eq!(
        consignment["line_item_ids"].as_array().expect("ids").len(),
        1
    );
    assert!(consignment.get("selected_shipping_option").is_none());
    assert_eq!(after["shipping_cost_total_ex_tax"], 0);
    assert_eq!(after["tax_total"], 0.8, "still taxed: the address stays");

    // Configured to keep the selection, the lines follow and the choice stays.
    let app = start_with(SandboxConfig {
        behaviours: Behaviours {
            consignments_on_line_change: ConsignmentsOnLineChange::Keep,
            ..Behaviours::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let cart = app.create_cart(json!([notebook(1)])).await;
    let id = cart["id"].as_str().expect("id");
    let checkout = data(consign(&app, &cart, us_address()).await).await;
    data(select(&app, &checkout, "Express shipping").await).await;
    let line = cart["line_items"]["physical_items"][0]["id"]
        .as_str()
        .expect("line");
    app.put(
        &format!("/v3/carts/{id}/items/{line}"),
        json!({"line_item": {"product_id": 104, "quantity": 2}}),
    )
    .await;
    let after = data(app.get(&format!("/v3/checkouts/{id}")).await).await;
    assert_eq!(after["shipping_cost_total_ex_tax"], 15);

    // A customer change removes shipping calculations (`PUT /carts/{id}` notes).
    let resp = app
        .put(&format!("/v3/carts/{id}"), json!({"customer_id": 1}))
        .await;
    assert_eq!(resp.status(), 200);
    let after = data(app.get(&format!("/v3/checkouts/{id}")).await).await;
    assert_eq!(after["consignments"], json!([]));
}

#[tokio::test]
async fn the_customer_message_is_required_at_most_2000_characters_and_shown_at_checkout() {
    let app = start().await;
    let cart = app.create_cart(json!([notebook(1)])).await;
    let id = cart["id"].as_str().expect("id");
    let path = format!("/v3/checkouts/{id}");
    assert_eq!(app.put(&path, json!({})).await.status(), 422);
    let long = "x".repeat(2001);
    assert_eq!(
        app.put(&path, json!({"customer_message": long}))
            .await
            .status(),
        422
    );
    let resp = app
        .put(&path, json!({"customer_message": "Leave it <at> the door"}))
        .await;
    assert_eq!(resp.status(), 200);
    let checkout = data(resp).await;
    assert_eq!(checkout["customer_message"], "Leave it <at> the door");
    assert_eq!(checkout["version"], 2);
    let edge = "é".repeat(2000);
    assert_eq!(
        app.put(&path, json!({"customer_message": edge}))
            .await
            .status(),
        200
    );
    app.put(&path, json!({"customer_message": "Ring twice & wait"}))
        .await;

    // Gift certificates go in through the add-items call, as BigCommerce documents.
    let certificate = json!({"name": "Birthday gift", "theme": "Birthday", "amount": 25,
        "quantity": 1, "sender": {"name": "Jane", "email": "jane@example.com"},
        "recipient": {"name": "Sam", "email": "sam@example.com"}, "message": "Enjoy"});
    let resp = app
        .post(
            &format!("/v3/carts/{id}/items"),
            json!({"gift_certificates": [certificate]}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let added = data(resp).await;
    assert_eq!(added["line_items"]["gift_certificates"][0]["amount"], 25.0);
    consign(&app, &cart, us_address()).await;
    let taxed = data(app.get(&path).await).await;
    assert_eq!(taxed["tax_total"], 0.8, "a gift certificate is not taxed");
    assert_eq!(taxed["grand_total"], 35.79);

    let urls = data(
        app.post(&format!("/v3/carts/{id}/redirect_urls"), json!({}))
            .await,
    )
    .await;
    let page = app
        .client
        .get(urls["checkout_url"].as_str().expect("url"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(page.contains("Ring twice &amp; wait"), "{page}");
    assert!(page.contains("Gift certificate: Birthday gift"));
    assert!(page.contains("Tax (Sales Tax): USD 0.80"));
    assert!(page.contains("no shipping option chosen yet"));
    assert!(page.contains("Total: USD 35.79"));
    let stats = app.control_json(Method::GET, "/stats", None).await;
    assert_eq!(stats["by_route"]["PUT /v3/checkouts/{checkout_id}"], 5);
}
