//! Behaviours BigCommerce documents that the client must cope with: catalog pages of 10 with
//! modifiers, one token per set of redirect URLs, required Content-Type, purchase limits as
//! 409, refused customer changes, every modifier type, custom items and gift certificates,
//! the cart's e-mail, channels, promotion banners, and stats by User-Agent; option ids checked
//! against the product, and how a date shows on a line.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{mug, start, start_with};
use bc_sandbox::{DateDisplay, SandboxConfig, SeedSource};

async fn json_of(resp: reqwest::Response) -> Value {
    resp.json().await.expect("json")
}

#[tokio::test]
async fn with_modifiers_or_options_included_the_catalog_pages_at_ten() {
    let app = start().await;
    for include in ["modifiers", "options", "variants,images,modifiers"] {
        let body = json_of(
            app.get(&format!("/v3/catalog/products?include={include}&limit=250"))
                .await,
        )
        .await;
        let p = &body["meta"]["pagination"];
        assert_eq!(
            body["data"].as_array().expect("data").len(),
            10,
            "{include}"
        );
        assert_eq!(p["total"], 25, "{include}");
        assert_eq!(p["per_page"], 10, "{include}");
        assert_eq!(p["total_pages"], 3, "{include}");
        assert_eq!(p["links"]["next"], "?page=2&limit=10", "{include}");
    }
    let last = json_of(
        app.get("/v3/catalog/products?include=modifiers&page=3")
            .await,
    )
    .await;
    assert_eq!(last["data"].as_array().expect("data").len(), 5);
    assert!(last["meta"]["pagination"]["links"].get("next").is_none());
    let plain = json_of(app.get("/v3/catalog/products?limit=250").await).await;
    assert_eq!(plain["data"].as_array().expect("data").len(), 25);
}

#[tokio::test]
async fn every_modifier_type_is_described_with_its_values_and_config() {
    let app = start().await;
    let mut types = std::collections::BTreeSet::new();
    for page in 1..=3 {
        let body = json_of(
            app.get(&format!(
                "/v3/catalog/products?include=modifiers&page={page}"
            ))
            .await,
        )
        .await;
        for product in body["data"].as_array().expect("data") {
            for m in product["modifiers"].as_array().expect("modifiers") {
                types.insert(m["type"].as_str().expect("type").to_owned());
            }
        }
    }
    let expected = [
        "checkbox",
        "date",
        "dropdown",
        "multi_line_text",
        "numbers_only_text",
        "radio_buttons",
        "rectangles",
        "swatch",
        "text",
    ];
    assert_eq!(types.into_iter().collect::<Vec<_>>(), expected);
    let gift = json_of(app.get("/v3/catalog/products/121?include=modifiers").await).await;
    let card = &gift["data"]["modifiers"][1];
    assert_eq!(card["type"], "checkbox");
    assert_eq!(
        card["option_values"][0]["value_data"]["checked_value"],
        true
    );
    assert_eq!(
        card["option_values"][1]["value_data"]["checked_value"],
        false
    );
}

#[tokio::test]
async fn the_three_redirect_urls_share_one_token_and_opening_one_spends_all() {
    let app = start().await;
    let cart = app.create_cart(json!([mug(1)])).await;
    let id = cart["id"].as_str().expect("id");
    let urls = json_of(
        app.post(&format!("/v3/carts/{id}/redirect_urls"), json!({}))
            .await,
    )
    .await;
    let token = |key: &str| {
        let url = urls["data"][key].as_str().expect("url").to_owned();
        url.split("token=").nth(1).expect("token").to_owned()
    };
    assert_eq!(token("cart_url"), token("checkout_url"));
    assert_eq!(token("cart_url"), token("embedded_checkout_url"));
    let open = |key: &str| {
        app.client
            .get(urls["data"][key].as_str().expect("url"))
            .send()
    };
    assert_eq!(open("cart_url").await.expect("sent").status(), 200);
    assert_eq!(open("checkout_url").await.expect("sent").status(), 410);
    assert_eq!(
        open("embedded_checkout_url").await.expect("sent").status(),
        410
    );
}

#[tokio::test]
async fn writes_without_a_json_content_type_get_415() {
    let app = start().await;
    let cart = app.create_cart(json!([mug(1)])).await;
    let id = cart["id"].as_str().expect("id");
    let bare = |method: Method, path: String| {
        app.client
            .request(method, app.api(&path))
            .header("X-Auth-Token", "sandbox-token")
            .send()
    };
    for (method, path) in [
        (Method::POST, format!("/v3/carts/{id}/redirect_urls")),
        (Method::POST, "/v3/carts".to_owned()),
        (Method::PUT, format!("/v3/carts/{id}")),
    ] {
        let resp = bare(method.clone(), path.clone()).await.expect("sent");
        assert_eq!(resp.status(), 415, "{method} {path}");
    }
    // Reads and deletes need none.
    assert_eq!(
        bare(Method::GET, format!("/v3/carts/{id}"))
            .await
            .expect("sent")
            .status(),
        200
    );
    let resp = app
        .client
        .post(app.api(&format!("/v3/carts/{id}/redirect_urls")))
        .header("X-Auth-Token", "sandbox-token")
        .header("Content-Type", "application/json; charset=utf-8")
        .body("{}")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 201);
}

#[tokio::test]
async fn the_purchase_limit_status_is_409_by_default_and_422_when_configured() {
    for (status, expected) in [(None, 409), (Some(422), 422)] {
        let mut config = SandboxConfig::default();
        if let Some(status) = status {
            config.behaviours.purchase_limit_status = status;
        }
        let app = start_with(config).await;
        let resp = app
            .post(
                "/v3/carts",
                json!({"line_items": [{"product_id": 140, "quantity": 3}]}),
            )
            .await;
        assert_eq!(resp.status(), expected);
        assert_eq!(
            json_of(resp).await["title"],
            "You can only purchase a maximum of 2 of the Limited Edition Print per order."
        );
    }
}

#[tokio::test]
async fn a_refused_customer_change_is_a_422_that_changes_nothing() {
    let mut config = SandboxConfig::default();
    config.behaviours.refuse_customer_change = true;
    let app = start_with(config).await;
    let cart = app.create_cart(json!([mug(1)])).await;
    let id = cart["id"].as_str().expect("id");
    let resp = app
        .put(&format!("/v3/carts/{id}"), json!({"customer_id": 1}))
        .await;
    assert_eq!(resp.status(), 422);
    assert_eq!(
        json_of(resp).await["title"],
        "A shipping address for this order is incomplete"
    );
    let now = json_of(app.get(&format!("/v3/carts/{id}")).await).await;
    assert_eq!(now["data"]["customer_id"], 0);
    assert_eq!(now["data"]["version"], 1);
    // Off by default.
    let app = start().await;
    let cart = app.create_cart(json!([mug(1)])).await;
    let id = cart["id"].as_str().expect("id");
    let resp = app
        .put(&format!("/v3/carts/{id}"), json!({"customer_id": 1}))
        .await;
    assert_eq!(resp.status(), 200);
    // The cart's e-mail is its customer's.
    assert_eq!(json_of(resp).await["data"]["email"], "jane@example.com");
}

#[tokio::test]
async fn modifiers_are_validated_by_type_on_add() {
    let app = start().await;
    let line = |product: i64, selections: Value| json!({"line_items": [{"product_id": product, "quantity": 1, "option_selections": selections}]});
    let ok = [
        line(
            121,
            json!([{"option_id": 402, "option_value": 502}, {"option_id": 403, "option_value": 504}]),
        ),
        line(
            122,
            json!([{"option_id": 404, "option_value": {"day": "24", "month": "12", "year": "2026"}}]),
        ),
        line(
            122,
            json!([{"option_id": 404, "option_value": 1_798_070_400}]),
        ),
        line(
            123,
            json!([{"option_id": 406, "option_value": 507}, {"option_id": 407, "option_value": 510}]),
        ),
        line(
            124,
            json!([{"option_id": 408, "option_value": 512}, {"option_id": 409, "option_value": "42"}]),
        ),
        line(
            125,
            json!([{"option_id": 410, "option_value": "Happy\nbirthday"}]),
        ),
        line(
            133,
            json!([{"option_id": 204, "option_value": 332}, {"option_id": 419, "option_value": "AB"}]),
        ),
    ];
    for body in ok {
        let resp = app.post("/v3/carts", body.clone()).await;
        assert_eq!(resp.status(), 201, "{body}");
    }
    let refused = [
        (line(121, json!([])), "Missing line_items in request body"),
        (
            line(121, json!([{"option_id": 402, "option_value": 504}])),
            "Please choose a valid value for the Ribbon option",
        ),
        (
            line(121, json!([{"option_id": 402, "option_value": "Gold"}])),
            "Please choose a valid value for the Ribbon option",
        ),
        (
            line(
                122,
                json!([{"option_id": 404, "option_value": {"day": 31, "month": 2, "year": 2027}}]),
            ),
            "Please choose a valid date for the Delivery date option",
        ),
        (
            line(
                122,
                json!([{"option_id": 404, "option_value": {"day": 1, "month": 1, "year": 2020}}]),
            ),
            "Please choose a valid date for the Delivery date option",
        ),
        (
            line(
                124,
                json!([{"option_id": 408, "option_value": 511}, {"option_id": 409, "option_value": 42.5}]),
            ),
            "Please enter a valid number for the Shoe size option",
        ),
        (
            line(
                124,
                json!([{"option_id": 408, "option_value": 511}, {"option_id": 409, "option_value": 60}]),
            ),
            "Please enter a valid number for the Shoe size option",
        ),
        (
            line(
                128,
                json!([{"option_id": 413, "option_value": "Two\nlines"}]),
            ),
            "Please create some text for the Cover title option",
        ),
    ];
    for (body, title) in refused {
        let resp = app.post("/v3/carts", body.clone()).await;
        assert_eq!(resp.status(), 422, "{body}");
        assert_eq!(json_of(resp).await["title"], title, "{body}");
    }
    // The line shows what was chosen; an optional checkbox left out is unticked.
    let cart = json_of(
        app.post(
            "/v3/carts?include=line_items.physical_items.options",
            line(121, json!([{"option_id": 402, "option_value": 503}])),
        )
        .await,
    )
    .await;
    let options = &cart["data"]["line_items"]["physical_items"][0]["options"];
    assert_eq!(
        options[0],
        json!({"name": "Ribbon", "nameId": 402, "value": "Silver", "valueId": 503})
    );
    assert_eq!(
        options[1],
        json!({"name": "Greeting card", "nameId": 403, "value": "No", "valueId": 505})
    );
}

#[tokio::test]
async fn a_modifier_line_changes_quantity_only_with_its_option_selections() {
    let app = start().await;
    let selections = json!([{"option_id": 401, "option_value": "Ada"}]);
    let cart = app
        .create_cart(json!([{"product_id": 120, "quantity": 1, "option_selections": selections}]))
        .await;
    let id = cart["id"].as_str().expect("id");
    let item = cart["line_items"]["physical_items"][0]["id"]
        .as_str()
        .expect("item");
    let path = format!("/v3/carts/{id}/items/{item}");
    let bare = app
        .put(
            &path,
            json!({"line_item": {"product_id": 120, "variant_id": 1201, "quantity": 2}}),
        )
        .await;
    assert_eq!(bare.status(), 422);
    assert_eq!(
        json_of(bare).await["title"],
        "Please create some text for the Engraving option"
    );
    let other = app
        .put(
            &path,
            json!({"line_item": {"product_id": 120, "quantity": 2,
            "option_selections": [{"option_id": 401, "option_value": "Bob"}]}}),
        )
        .await;
    assert_eq!(other.status(), 422);
    let ok = app
        .put(&path, json!({"line_item": {"product_id": 120, "quantity": 2, "option_selections": selections}}))
        .await;
    assert_eq!(ok.status(), 200);
    assert_eq!(
        json_of(ok).await["data"]["line_items"]["physical_items"][0]["quantity"],
        2
    );
}

#[tokio::test]
async fn a_variant_id_for_a_product_with_modifiers_can_be_refused_on_update() {
    let mut config = SandboxConfig::default();
    config.behaviours.refuse_variant_id_with_modifiers = true;
    let app = start_with(config).await;
    let selections = json!([{"option_id": 401, "option_value": "Ada"}]);
    let cart = app
        .create_cart(json!([{"product_id": 120, "quantity": 1, "option_selections": selections}]))
        .await;
    let id = cart["id"].as_str().expect("id");
    let item = cart["line_items"]["physical_items"][0]["id"]
        .as_str()
        .expect("item");
    let path = format!("/v3/carts/{id}/items/{item}");
    let with_variant = app
        .put(
            &path,
            json!({"line_item": {"product_id": 120, "variant_id": 1201, "quantity": 2,
            "option_selections": selections}}),
        )
        .await;
    assert_eq!(with_variant.status(), 422);
    let without = app
        .put(&path, json!({"line_item": {"product_id": 120, "quantity": 2, "option_selections": selections}}))
        .await;
    assert_eq!(without.status(), 200);
}

#[tokio::test]
async fn option_ids_that_are_not_the_products_are_refused_on_add_and_update() {
    let app = start().await;
    let line = |product: i64, selections: Value| json!({"line_items": [{"product_id": product, "quantity": 1, "option_selections": selections}]});
    let wrong = [
        // An option id the product does not have.
        line(
            121,
            json!([{"option_id": 402, "option_value": 502}, {"option_id": 999, "option_value": 1}]),
        ),
        // Another product's modifier.
        line(
            121,
            json!([{"option_id": 402, "option_value": 502}, {"option_id": 401, "option_value": "Ada"}]),
        ),
        // A variant picked by value ids given under each other's option ids.
        line(
            110,
            json!([{"option_id": 201, "option_value": 311}, {"option_id": 202, "option_value": 302}]),
        ),
        // A variant option's value id under a modifier's option id.
        line(
            133,
            json!([{"option_id": 419, "option_value": "AB"}, {"option_id": 204, "option_value": 501}]),
        ),
    ];
    for body in wrong {
        let resp = app.post("/v3/carts", body.clone()).await;
        assert_eq!(resp.status(), 422, "{body}");
        assert_eq!(
            json_of(resp).await["title"],
            "This product has options; variant ID is required",
            "{body}"
        );
    }
    let right = line(
        110,
        json!([{"option_id": 201, "option_value": 302}, {"option_id": 202, "option_value": 311}]),
    );
    let cart = json_of(app.post("/v3/carts", right).await).await;
    assert_eq!(
        cart["data"]["line_items"]["physical_items"][0]["variant_id"],
        1103
    );
    let id = cart["data"]["id"].as_str().expect("id");
    let item = cart["data"]["line_items"]["physical_items"][0]["id"]
        .as_str()
        .expect("item");
    let update = app
        .put(
            &format!("/v3/carts/{id}/items/{item}"),
            json!({"line_item": {"product_id": 110, "quantity": 2,
                "option_selections": [{"option_id": 999, "option_value": 302}]}}),
        )
        .await;
    assert_eq!(update.status(), 422);
}

#[tokio::test]
async fn a_date_shows_on_the_line_as_configured() {
    let body = json!([{"product_id": 122, "quantity": 1, "option_selections": [
        {"option_id": 404, "option_value": {"day": "24", "month": "12", "year": "2026"}}]}]);
    for (display, shown) in [
        (DateDisplay::Iso, "2026-12-24"),
        (DateDisplay::Formatted, "Dec 24th 2026"),
    ] {
        let mut config = SandboxConfig::default();
        config.behaviours.date_option_display = display;
        let app = start_with(config).await;
        let cart = json_of(
            app.post(
                "/v3/carts?include=line_items.physical_items.options",
                json!({"line_items": body}),
            )
            .await,
        )
        .await;
        let option = &cart["data"]["line_items"]["physical_items"][0]["options"][0];
        assert_eq!(option["value"], shown, "{display:?}");
        assert_eq!(option["valueId"], Value::Null);
    }
}

#[tokio::test]
async fn custom_items_and_gift_certificates_are_lines_that_can_be_read_and_deleted() {
    let app = start().await;
    let gift = json!({"name": "Gift", "theme": "Birthday", "amount": 25, "quantity": 1,
        "sender": {"name": "Ann", "email": "ann@example.com"},
        "recipient": {"name": "Bo", "email": "bo@example.com"}, "message": "Enjoy"});
    let resp = app
        .post("/v3/carts", json!({"line_items": [],
            "custom_items": [{"sku": "SVC-1", "name": "Setup service", "quantity": 2, "list_price": 10}],
            "gift_certificates": [gift]}))
        .await;
    assert_eq!(resp.status(), 201);
    let cart = json_of(resp).await["data"].clone();
    let id = cart["id"].as_str().expect("id");
    let custom = &cart["line_items"]["custom_items"][0];
    assert_eq!(custom["name"], "Setup service");
    assert_eq!(custom["extended_list_price"], 20.0);
    let certificate = &cart["line_items"]["gift_certificates"][0];
    assert_eq!(certificate["theme"], "Birthday");
    assert_eq!(cart["cart_amount"], 45.0);
    let custom_id = custom["id"].as_str().expect("id");
    let put = app
        .put(
            &format!("/v3/carts/{id}/items/{custom_id}"),
            json!({"line_item": {"product_id": 1, "quantity": 3}}),
        )
        .await;
    assert_eq!(put.status(), 422);
    let read = json_of(app.get(&format!("/v3/carts/{id}")).await).await;
    assert_eq!(read["data"]["line_items"]["custom_items"][0]["quantity"], 2);
    assert_eq!(
        app.delete(&format!("/v3/carts/{id}/items/{custom_id}"))
            .await
            .status(),
        200
    );
    let gift_id = certificate["id"].as_str().expect("id");
    // The last line goes: the cart is deleted.
    assert_eq!(
        app.delete(&format!("/v3/carts/{id}/items/{gift_id}"))
            .await
            .status(),
        204
    );
    let bad = app
        .post("/v3/carts", json!({"gift_certificates": [{"name": "G", "theme": "Easter", "amount": 25, "quantity": 1}]}))
        .await;
    assert_eq!(bad.status(), 422);
}

#[tokio::test]
async fn credentials_are_valid_only_on_the_customers_channels() {
    let app = start().await;
    let check = |channel: Option<i64>| {
        let mut body = json!({"email": "mia@example.com", "password": "Sandbox789!"});
        if let Some(channel) = channel {
            body["channel_id"] = json!(channel);
        }
        app.post("/v3/customers/validate-credentials", body)
    };
    assert_eq!(json_of(check(None).await).await["is_valid"], false);
    assert_eq!(
        json_of(check(Some(1)).await).await,
        json!({"is_valid": false, "customer_id": null})
    );
    assert_eq!(
        json_of(check(Some(2)).await).await,
        json!({"is_valid": true, "customer_id": 3})
    );
    assert_eq!(check(Some(9)).await.status(), 422);
}

#[tokio::test]
async fn promotion_banners_are_answered_when_included() {
    let app = start().await;
    let cart = app.create_cart(json!([mug(1)])).await;
    let id = cart["id"].as_str().expect("id");
    assert!(cart.get("promotions").is_none());
    let read = json_of(
        app.get(&format!("/v3/carts/{id}?include=promotions.banners"))
            .await,
    )
    .await;
    assert!(read["data"]["promotions"]["banners"].is_array());
    let seed = format!(
        "{}\n[[banners]]\nid = \"3\"\ntype = \"applied\"\npage = [\"cartpage\"]\ntext = \"Free shipping\"\n",
        bc_sandbox::seed::EMBEDDED_SEED
    );
    let app = start_with(SandboxConfig {
        seed: SeedSource::Inline(seed),
        ..SandboxConfig::default()
    })
    .await;
    let cart = app.create_cart(json!([mug(1)])).await;
    let id = cart["id"].as_str().expect("id");
    let read = json_of(
        app.get(&format!("/v3/carts/{id}?include=promotions.banners"))
            .await,
    )
    .await;
    let banners = read["data"]["promotions"]["banners"]
        .as_array()
        .expect("banners");
    let seeded = banners
        .iter()
        .find(|b| b["id"] == "3")
        .expect("the seeded banner");
    assert_eq!(seeded["text"], "Free shipping");
    assert_eq!(seeded["type"], "applied");
}

#[tokio::test]
async fn stats_count_calls_by_user_agent() {
    let app = start().await;
    app.client
        .get(app.api("/v2/time"))
        .header("X-Auth-Token", "sandbox-token")
        .header("User-Agent", "checkout-bff/1.2.3")
        .send()
        .await
        .expect("sent");
    app.get("/v2/time").await;
    let stats = app.control_json(Method::GET, "/stats", None).await;
    assert_eq!(stats["by_user_agent"]["checkout-bff/1.2.3"], 1);
    assert_eq!(stats["by_user_agent"]["(none)"], 1);
}
