//! What a real store does that the service once got wrong (issue 13): required headers, one
//! URL per hand-off, purchase limits answered 409, refused customer changes, the whole paged
//! catalog (and no more, whatever its pagination claims), every modifier type and its settings,
//! lines with modifiers rebuilt from what BigCommerce shows (dates as dates, whatever their
//! display; no value dropped), selections checked against the catalog. Each behaviour is the
//! sandbox's, as BigCommerce documents it.

use bc_sandbox::{DateDisplay, SandboxConfig, SeedSource};
use checkout_bff::bigcommerce::{BigCommerceClient, BigCommerceError, CorrelationId};
use checkout_bff::domain::{CartId, CustomerId};
use checkout_bff::metrics::Metrics;
use serde_json::{json, Value};

use crate::accounts::{login_with, JANE};
use crate::helpers::{cart_body, client, line_id, spawn_app, spawn_app_with_sandbox, TestApp};

async fn stats_json(app: &TestApp) -> Value {
    reqwest::get(app.sandbox_url("/stats"))
        .await
        .expect("stats")
        .json()
        .await
        .expect("stats body")
}

async fn problem(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.expect("problem"))
}

#[tokio::test]
async fn every_bigcommerce_call_names_the_service_and_checkout_sends_a_json_content_type() {
    // Arrange: the sandbox answers 415 to a bodiless redirect_urls without Content-Type.
    let app = spawn_app().await;
    app.add_item(101, None, 1).await;

    // Act
    let checkout = app.checkout().await;

    // Assert
    assert_eq!(checkout.status().as_u16(), 200);
    let stats = stats_json(&app).await;
    let agents = stats["by_user_agent"].as_object().expect("by_user_agent");
    let ours = format!("checkout-bff/{}", env!("CARGO_PKG_VERSION"));
    assert_eq!(agents.keys().collect::<Vec<_>>(), vec![&ours], "{stats}");
    assert_eq!(stats["by_status"].get("415"), None, "{stats}");
}

#[tokio::test]
async fn a_hand_off_gives_one_url_that_works_and_no_url_that_another_would_burn() {
    // Arrange: BigCommerce's three URLs of one call share one single-use token.
    let app = spawn_app().await;
    app.add_item(101, None, 1).await;

    for (target, page) in [
        ("checkout", "action=loadInCheckout"),
        ("embedded_checkout", "embedded=1"),
        ("cart", "action=load&"),
    ] {
        // Act
        let answer: Value = app.checkout_to(target).await.json().await.expect("json");

        // Assert: the one URL opens the page asked for; no other URL comes with it.
        assert_eq!(answer["target"], target);
        let url = answer["url"].as_str().expect("url");
        assert!(url.contains(page), "{target}: {url}");
        let named: Vec<&str> = ["checkout_url", "embedded_checkout_url", "cart_url"]
            .into_iter()
            .filter(|key| answer.get(*key).is_some())
            .collect();
        assert_eq!(named.len(), 1, "{answer}");
        assert_eq!(answer[named[0]], answer["url"]);
        let opened = client().get(url).send().await.expect("open");
        assert_eq!(opened.status().as_u16(), 200, "{target}: {url}");
    }
    assert_eq!(app.checkout_to("elsewhere").await.status().as_u16(), 400);
}

#[tokio::test]
async fn every_url_of_one_checkout_answer_can_be_opened() {
    // Arrange
    let app = spawn_app().await;
    app.add_item(101, None, 1).await;

    // Act
    let answer: Value = app.checkout().await.json().await.expect("json");

    // Assert
    let urls: Vec<String> = answer
        .as_object()
        .expect("object")
        .values()
        .filter_map(|v| v.as_str())
        .filter(|v| v.starts_with("http"))
        .map(str::to_owned)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(!urls.is_empty());
    for url in urls {
        let opened = client().get(&url).send().await.expect("open");
        assert_eq!(opened.status().as_u16(), 200, "{url}");
    }
}

#[tokio::test]
async fn a_purchase_limit_answered_409_is_a_422_quantity_limit_with_bigcommerces_text() {
    // Arrange: the sandbox answers the limit with 409, as BigCommerce's guide lists it.
    let app = spawn_app().await;
    let title = "You can only purchase a maximum of 2 of the Limited Edition Print per order.";

    // Act
    let (status, added) = problem(app.add_item(140, None, 3).await).await;

    // Assert
    assert_eq!(status, 422, "{added}");
    assert_eq!(added["code"], "quantity_limit");
    assert_eq!(added["detail"], title);

    // And the same for a quantity change.
    let cart = cart_body(app.add_item(140, None, 1).await).await;
    let (status, changed) = problem(app.patch_item(&line_id(&cart, 140), 3).await).await;
    assert_eq!(status, 422, "{changed}");
    assert_eq!(changed["code"], "quantity_limit");
    assert_eq!(changed["detail"], title);
}

#[tokio::test]
async fn a_refused_customer_change_is_recognisable_by_the_caller() {
    // Arrange: the store refuses `PUT /carts/{id}` with a customer_id.
    let mut config = SandboxConfig::default();
    config.behaviours.refuse_customer_change = true;
    let app = spawn_app_with_sandbox(config, |_| {}).await;
    app.add_item(101, None, 1).await;
    let cart = CartId::new(app.stored_cart_id().await);
    let metrics = std::sync::Arc::new(Metrics::new().expect("metrics"));
    let bigcommerce =
        BigCommerceClient::new(&app.settings.bigcommerce, &app.settings.quota, metrics)
            .expect("client");
    let customer = CustomerId::parse(1).expect("customer");
    let cx = CorrelationId(uuid::Uuid::new_v4());

    // Act
    let refused = bigcommerce
        .assign_cart_to_customer(cart, customer, cx)
        .await;

    // Assert
    match refused {
        Err(BigCommerceError::CustomerChangeRefused { title }) => {
            assert_eq!(title, "A shipping address for this order is incomplete");
        }
        other => panic!(
            "expected CustomerChangeRefused, got {:?}",
            other.map(|c| c.id)
        ),
    }
}

#[tokio::test]
async fn the_product_list_is_the_whole_catalog_read_page_by_page() {
    // Arrange: 25 products; with modifiers included BigCommerce pages at 10.
    let app = spawn_app().await;

    // Act
    let body: Value = app.get("/api/products").await.json().await.expect("json");
    let again: Value = app.get("/api/products").await.json().await.expect("json");

    // Assert
    let products = body["products"].as_array().expect("products");
    assert_eq!(products.len(), 25, "{body}");
    assert_eq!(again, body);
    // Three pages, read once for both requests (the list is cached for a minute).
    let stats = app.sandbox_stats().await;
    assert_eq!(stats.calls("GET /v3/catalog/products"), 3);
}

fn one_product_page(pagination: Value) -> Value {
    json!({"rules": [{"route": "GET /v3/catalog/products", "status": 200,
        "body": {"data": [{"id": 101, "name": "Sandbox Mug", "type": "physical", "price": 12.0}],
                 "meta": {"pagination": pagination}}}]})
}

/// A store (or a proxy) that ignores `page` answers the same page every time; whatever its
/// `meta.pagination` claims, a refresh stops at once and lists each product once.
#[tokio::test]
async fn catalog_paging_stops_when_the_store_repeats_a_page_whatever_its_pagination_claims() {
    let claims = [
        // `total` overstated, `current_page` never advancing, no `links.next`.
        json!({"total": 1_000_000, "count": 1, "per_page": 10, "current_page": 1,
            "total_pages": 100_000, "links": {"current": "?page=1&limit=10"}}),
        // Every sign of more pages, but the same ids again.
        json!({"total": 1_000_000, "count": 1, "per_page": 10, "total_pages": 100_000,
            "links": {"current": "?page=1&limit=10", "next": "?page=2&limit=10"}}),
        // Nothing but an overstated total.
        json!({"total": 1_000_000}),
    ];
    for pagination in claims {
        // Arrange
        let app = spawn_app().await;
        app.inject_faults(one_product_page(pagination.clone()))
            .await;

        // Act
        let body: Value = app.get("/api/products").await.json().await.expect("json");

        // Assert
        let calls = app.sandbox_stats().await.calls("GET /v3/catalog/products");
        assert!(
            calls <= 2,
            "{pagination}: {calls} catalog calls, answered {body}"
        );
        let products = body["products"].as_array().expect("products");
        assert_eq!(
            products.len(),
            1,
            "{pagination}: duplicates: {}",
            products.len()
        );
    }
}

#[tokio::test]
async fn the_product_list_describes_every_modifier_type_with_its_values() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let body: Value = app.get("/api/products").await.json().await.expect("json");

    // Assert
    let products = body["products"].as_array().expect("products");
    let product = |id: i64| {
        products
            .iter()
            .find(|p| p["id"] == id)
            .unwrap_or_else(|| panic!("product {id} listed"))
    };
    let mut types: Vec<&str> = products
        .iter()
        .flat_map(|p| p["modifiers"].as_array().expect("modifiers"))
        .map(|m| m["type"].as_str().expect("type"))
        .collect();
    types.sort_unstable();
    types.dedup();
    assert_eq!(
        types,
        [
            "checkbox",
            "date",
            "dropdown",
            "multi_line_text",
            "numbers_only_text",
            "radio_buttons",
            "rectangles",
            "swatch",
            "text"
        ]
    );
    let ribbon = &product(121)["modifiers"][0];
    assert_eq!(ribbon["option_id"], 402);
    assert_eq!(ribbon["required"], true);
    assert_eq!(
        ribbon["values"][1],
        serde_json::json!({"id": 502, "label": "Gold", "is_default": false})
    );
    let card = &product(121)["modifiers"][1];
    assert_eq!(card["values"][0]["checked"], true);
    assert_eq!(card["checkbox_label"], "Add a greeting card");
    let date = &product(122)["modifiers"][0];
    assert_eq!(date["date_earliest"], "2026-01-01");
    let size = &product(124)["modifiers"][1];
    assert_eq!(
        (size["number_min"].as_f64(), size["integers_only"].as_bool()),
        (Some(35.0), Some(true))
    );
}

#[tokio::test]
async fn every_modifier_type_can_be_added_through_the_api() {
    // Arrange
    let app = spawn_app().await;
    let line = |product: i64, selections: Value| serde_json::json!({"line_items": [{"product_id": product, "quantity": 1, "option_selections": selections}]});
    let cases = [
        (
            121,
            serde_json::json!([{"option_id": 402, "option_value": 502}, {"option_id": 403, "option_value": 504}]),
            vec!["Gold", "Yes"],
        ),
        (
            122,
            serde_json::json!([{"option_id": 404, "option_value": {"date": "2026-12-24"}}, {"option_id": 405, "option_value": "Hooray"}]),
            vec!["2026-12-24", "Hooray"],
        ),
        (
            123,
            serde_json::json!([{"option_id": 406, "option_value": 507}, {"option_id": 407, "option_value": 510}]),
            vec!["Gloss", "Oak"],
        ),
        (
            124,
            serde_json::json!([{"option_id": 408, "option_value": 512}, {"option_id": 409, "option_value": "42"}]),
            vec!["Blue", "42"],
        ),
        (
            125,
            serde_json::json!([{"option_id": 410, "option_value": "Happy\nbirthday"}]),
            vec!["Happy\nbirthday"],
        ),
        (
            133,
            serde_json::json!([{"option_id": 204, "option_value": 332}, {"option_id": 419, "option_value": "ZOE"}]),
            vec!["L/XL", "ZOE"],
        ),
    ];
    for (product, selections, shown) in cases {
        // Act
        let response = app.post_items(&line(product, selections)).await;

        // Assert
        let status = response.status().as_u16();
        let cart = cart_body(response).await;
        assert_eq!(status, 201, "{product}: {cart}");
        let line = cart["line_items"]
            .as_array()
            .expect("lines")
            .iter()
            .find(|l| l["product_id"] == product)
            .expect("the line");
        let values: Vec<&str> = line["options"]
            .as_array()
            .expect("options")
            .iter()
            .map(|o| o["value"].as_str().expect("value"))
            .collect();
        assert_eq!(values, shown, "{product}");
    }
    let (status, refused) = problem(
        app.post_items(&line(
            122,
            serde_json::json!([{"option_id": 404, "option_value": {"date": "24.12.2026"}}]),
        ))
        .await,
    )
    .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (422, Some("invalid_input"))
    );
}

#[tokio::test]
async fn the_quantity_of_a_line_with_modifiers_changes_with_its_option_selections() {
    // Arrange: BigCommerce refuses a bare variant_id for a product with modifiers.
    let app = spawn_app().await;
    let lines = [
        serde_json::json!({"product_id": 120, "quantity": 1, "option_selections": [{"option_id": 401, "option_value": "Ada"}]}),
        serde_json::json!({"product_id": 122, "quantity": 1, "option_selections": [{"option_id": 404, "option_value": {"date": "2026-12-24"}}]}),
        serde_json::json!({"product_id": 121, "quantity": 1, "option_selections": [{"option_id": 402, "option_value": 501}]}),
        serde_json::json!({"product_id": 133, "quantity": 1, "option_selections": [{"option_id": 204, "option_value": 331}, {"option_id": 419, "option_value": "AB"}]}),
        serde_json::json!({"product_id": 110, "variant_id": 1103, "quantity": 1}),
    ];
    let cart = cart_body(
        app.post_items(&serde_json::json!({"line_items": lines}))
            .await,
    )
    .await;
    let before = app.sandbox_stats().await;

    for product in [120, 122, 121, 133, 110] {
        // Act
        let response = app.patch_item(&line_id(&cart, product), 2).await;

        // Assert
        let status = response.status().as_u16();
        let changed = cart_body(response).await;
        assert_eq!(status, 200, "{product}: {changed}");
        let line = changed["line_items"]
            .as_array()
            .expect("lines")
            .iter()
            .find(|l| l["product_id"] == product)
            .expect("the line");
        assert_eq!(line["quantity"], 2, "{product}");
    }
    // One PUT each, plus one catalog refresh (three pages) for the lines with options.
    let calls = app.sandbox_stats().await.since(&before);
    assert_eq!(calls.calls("PUT /v3/carts/{cart_id}/items/{item_id}"), 5);
    assert_eq!(calls.calls("GET /v3/catalog/products"), 3);
}

#[tokio::test]
async fn the_cart_page_adds_every_modifier_type_from_its_form() {
    // Arrange
    let app = spawn_app().await;
    let html = app.get("/cart").await.text().await.expect("html");
    for control in [
        "name=\"choice_402\"",
        "type=\"checkbox\" name=\"choice_403\" value=\"504\"",
        "type=\"date\" name=\"date_404\" min=\"2026-01-01\" max=\"2030-12-31\" required",
        "type=\"radio\" name=\"choice_407\" value=\"510\"",
        "<textarea id=\"modifier-125-410\" name=\"option_410\"",
        "type=\"number\" name=\"option_409\" step=\"1\" min=\"35\" max=\"48\" required",
    ] {
        assert!(html.contains(control), "{control} in the page");
    }
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("csrf") + marker.len();
    let token = html[start..start + 64].to_owned();
    let forms: [&[(&str, &str)]; 3] = [
        &[
            ("product_id", "121"),
            ("variant_id", "1211"),
            ("choice_402", "503"),
            ("choice_403", "504"),
        ],
        &[
            ("product_id", "122"),
            ("variant_id", "1221"),
            ("date_404", "2027-05-01"),
            ("option_405", ""),
        ],
        &[
            ("product_id", "124"),
            ("variant_id", "1241"),
            ("choice_408", "511"),
            ("option_409", "39"),
        ],
    ];
    for form in forms {
        let mut fields = vec![("csrf_token", token.as_str()), ("quantity", "1")];
        fields.extend_from_slice(form);

        // Act
        let response = app
            .api_client
            .post(app.url("/cart/items"))
            .form(&fields)
            .send()
            .await
            .expect("form post");

        // Assert
        assert_eq!(response.status().as_u16(), 303);
        let page = app.get("/cart").await.text().await.expect("html");
        assert!(page.contains("Added 1 ×"), "{form:?}: {page}");
    }
    let cart = cart_body(app.get_cart().await).await;
    let values: Vec<String> = cart["line_items"]
        .as_array()
        .expect("lines")
        .iter()
        .flat_map(|l| l["options"].as_array().expect("options").clone())
        .map(|o| o["value"].as_str().expect("value").to_owned())
        .collect();
    assert_eq!(values, ["Silver", "Yes", "2027-05-01", "Red", "39"]);
}

// --- Lines with modifiers, rebuilt from what BigCommerce shows --------------------------

const CAKE_WITH_DATE: &str = r#"{"line_items": [{"product_id": 122, "quantity": 1,
    "option_selections": [{"option_id": 404, "option_value": {"date": "2026-12-24"}}]}]}"#;

fn cake() -> Value {
    serde_json::from_str(CAKE_WITH_DATE).expect("json")
}

fn products_in(cart: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = cart["line_items"]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .filter_map(|l| l["product_id"].as_i64())
                .collect()
        })
        .unwrap_or_default();
    ids.sort_unstable();
    ids
}

/// BigCommerce does not document how a line shows a date: both displays the sandbox has.
const DATE_DISPLAYS: [DateDisplay; 2] = [DateDisplay::Iso, DateDisplay::Formatted];

fn sandbox_showing_dates(display: DateDisplay) -> SandboxConfig {
    let mut config = SandboxConfig::default();
    config.behaviours.date_option_display = display;
    config
}

#[tokio::test]
async fn a_dated_guest_line_is_merged_into_the_customers_cart_at_sign_in_as_a_date() {
    for display in DATE_DISPLAYS {
        // Arrange: Jane's cart on her laptop, a dated line in a guest cart on her phone.
        let app = spawn_app_with_sandbox(sandbox_showing_dates(display), |_| {}).await;
        let laptop = client();
        login_with(&app, &laptop, JANE).await;
        let added = laptop
            .post(app.url("/api/cart/items"))
            .json(&json!({"line_items": [{"product_id": 101, "quantity": 1}]}))
            .send()
            .await
            .expect("add");
        assert_eq!(added.status().as_u16(), 201, "{display:?}");
        let phone = client();
        let added = phone
            .post(app.url("/api/cart/items"))
            .json(&cake())
            .send()
            .await
            .expect("add");
        assert_eq!(added.status().as_u16(), 201, "{display:?}");

        // Act
        let body: Value = login_with(&app, &phone, JANE)
            .await
            .json()
            .await
            .expect("json");

        // Assert
        assert_eq!(body["cart_outcome"], "cart_merged", "{display:?}: {body}");
        assert_eq!(body["warnings"], json!([]), "{display:?}: {body}");
        assert_eq!(
            products_in(&body["cart"]),
            vec![101, 122],
            "{display:?}: {body}"
        );
    }
}

#[tokio::test]
async fn a_refused_customer_change_rebuilds_a_cart_holding_a_dated_line() {
    for display in DATE_DISPLAYS {
        // Arrange
        let mut config = sandbox_showing_dates(display);
        config.behaviours.refuse_customer_change = true;
        let app = spawn_app_with_sandbox(config, |_| {}).await;
        assert_eq!(app.post_items(&cake()).await.status().as_u16(), 201);

        // Act
        let body: Value = login_with(&app, &app.api_client, JANE)
            .await
            .json()
            .await
            .expect("json");

        // Assert
        assert_eq!(body["cart_outcome"], "cart_assigned", "{display:?}: {body}");
        assert_eq!(products_in(&body["cart"]), vec![122], "{display:?}: {body}");
    }
}

#[tokio::test]
async fn a_dated_line_changes_quantity_with_its_date_whatever_the_display() {
    for display in DATE_DISPLAYS {
        // Arrange
        let app = spawn_app_with_sandbox(sandbox_showing_dates(display), |_| {}).await;
        let cart = cart_body(app.post_items(&cake()).await).await;

        // Act
        let response = app.patch_item(&line_id(&cart, 122), 2).await;

        // Assert
        let status = response.status().as_u16();
        let changed = cart_body(response).await;
        assert_eq!(status, 200, "{display:?}: {changed}");
        assert_eq!(changed["line_items"][0]["quantity"], 2, "{display:?}");
    }
}

/// Without the catalog, the service cannot tell a date from text: the change is not sent
/// (BigCommerce would refuse a date sent as text, and its refusal would read as the
/// shopper's fault); the store is reported unavailable, which a retry can fix.
#[tokio::test]
async fn without_the_catalog_a_dated_lines_quantity_change_is_not_sent_and_is_not_the_shoppers_fault(
) {
    // Arrange: the catalog was never read, and BigCommerce's catalog fails.
    let app = spawn_app().await;
    let cart = cart_body(app.post_items(&cake()).await).await;
    app.inject_faults(json!({"rules": [{"route": "GET /v3/catalog/products", "status": 500}]}))
        .await;
    let before = app.sandbox_stats().await;

    // Act
    let response = app.patch_item(&line_id(&cart, 122), 2).await;

    // Assert
    let (status, body) = problem(response).await;
    assert!(status >= 500, "must not be a 4xx: {status} {body}");
    assert_eq!(body["code"], "upstream_unavailable", "{body}");
    let calls = app.sandbox_stats().await.since(&before);
    assert_eq!(calls.calls("PUT /v3/carts/{cart_id}/items/{item_id}"), 0);
}

/// A text the service's own input rules would refuse (a tab), typed on BigCommerce's hosted
/// cart or sent by another app, goes back as BigCommerce shows it: never dropped.
#[tokio::test]
async fn a_line_whose_text_breaks_the_shoppers_input_rules_changes_quantity_as_bigcommerce_shows_it(
) {
    // Arrange
    let app = spawn_app().await;
    app.add_item(101, None, 1).await;
    let cart_id = app.stored_cart_id().await;
    let added = app
        .bigcommerce_api(
            reqwest::Method::POST,
            &format!("/v3/carts/{cart_id}/items?include=line_items.physical_items.options"),
            Some(json!({"line_items": [{"product_id": 120, "quantity": 1,
                "option_selections": [{"option_id": 401, "option_value": "Ada\tL"}]}]})),
        )
        .await;
    assert_eq!(added.status().as_u16(), 201, "{:?}", added.text().await);
    sqlx::query("UPDATE cart_snapshots SET stale = true")
        .execute(&app.db_pool)
        .await
        .expect("stale");
    let cart = cart_body(app.get_cart().await).await;

    // Act
    let response = app.patch_item(&line_id(&cart, 120), 2).await;

    // Assert
    let status = response.status().as_u16();
    let changed = cart_body(response).await;
    assert_eq!(status, 200, "{changed}");
    let bottle = changed["line_items"]
        .as_array()
        .and_then(|lines| lines.iter().find(|l| l["product_id"] == 120))
        .expect("the bottle");
    assert_eq!(bottle["quantity"], 2);
    assert_eq!(bottle["options"][0]["value"], "Ada\tL");
}

#[tokio::test]
async fn a_product_whose_optional_modifiers_were_left_unset_changes_quantity_without_its_variant_id(
) {
    // Arrange: a product whose only modifier is optional; BigCommerce (strictly read) refuses
    // a variant_id for a product with modifiers.
    let seed = format!(
        "{}\n{}",
        include_str!("../../sandbox/seed.toml"),
        r#"
[[products]]
id = 134
name = "Plain Card"
sku = "CARD"
price = 3.00
slug = "plain-card"
variants = [{ id = 1341, sku = "CARD" }]
modifiers = [{ id = 420, display_name = "Message", type = "text", max_length = 40 }]
"#
    );
    let mut config = SandboxConfig {
        seed: SeedSource::Inline(seed),
        ..SandboxConfig::default()
    };
    config.behaviours.refuse_variant_id_with_modifiers = true;
    let app = spawn_app_with_sandbox(config, |_| {}).await;
    assert_eq!(app.get("/api/products").await.status().as_u16(), 200);
    let cart = cart_body(app.add_item(134, None, 1).await).await;
    assert_eq!(cart["line_items"][0]["options"], json!([]), "{cart}");

    // Act
    let response = app.patch_item(&line_id(&cart, 134), 2).await;

    // Assert
    let status = response.status().as_u16();
    let changed = cart_body(response).await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["line_items"][0]["quantity"], 2);
}

#[tokio::test]
async fn selections_the_catalog_refuses_are_refused_before_bigcommerce_is_called() {
    // Arrange: the catalog is cached.
    let app = spawn_app().await;
    assert_eq!(app.get("/api/products").await.status().as_u16(), 200);
    let line = |product: i64, selections: Value| json!({"line_items": [{"product_id": product, "quantity": 1, "option_selections": selections}]});
    let cases = [
        (
            line(
                121,
                json!([{"option_id": 402, "option_value": 502}, {"option_id": 999, "option_value": 1}]),
            ),
            "option_id 999 is not an option of product 121",
        ),
        (
            line(
                110,
                json!([{"option_id": 201, "option_value": 311}, {"option_id": 202, "option_value": 302}]),
            ),
            "option_value of option_id 201",
        ),
        (
            line(121, json!([{"option_id": 402, "option_value": 504}])),
            "option_id 402 (Ribbon)",
        ),
        (
            line(
                120,
                json!([{"option_id": 401, "option_value": "x".repeat(21)}]),
            ),
            "1 to 20 characters",
        ),
    ];
    let before = app.sandbox_stats().await;
    for (body, expected) in cases {
        // Act
        let (status, refused) = problem(app.post_items(&body).await).await;

        // Assert
        assert_eq!(
            (status, refused["code"].as_str()),
            (422, Some("invalid_input")),
            "{body}"
        );
        let detail = refused["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(expected), "{expected}: {detail}");
    }
    assert_eq!(app.sandbox_stats().await.since(&before).total, 0, "no call");
}

#[tokio::test]
async fn without_the_catalog_cached_bigcommerce_refuses_an_option_id_that_is_not_the_products() {
    let app = spawn_app().await;

    let (status, refused) = problem(
        app.post_items(&json!({"line_items": [{"product_id": 121, "quantity": 1,
            "option_selections": [{"option_id": 402, "option_value": 502},
                                  {"option_id": 999, "option_value": 1}]}]}))
            .await,
    )
    .await;

    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["code"], "option_required", "{refused}");
    assert!(app.sandbox_carts().await.is_empty(), "nothing was created");
}

// --- Modifier settings, as the catalog gives them ---------------------------------------

/// A catalog of one product with every setting the forms must honour.
fn configured_product_page() -> Value {
    let modifiers = json!([
        {"id": 601, "display_name": "Any day", "type": "date", "required": false,
         "config": {"date_limited": false, "date_limit_mode": "range",
                    "date_earliest_value": "2026-01-01T00:00:00+00:00",
                    "date_latest_value": "2026-01-31T00:00:00+00:00",
                    "default_value": "2026-06-01T00:00:00+00:00"}},
        {"id": 602, "display_name": "Not before", "type": "date", "required": false,
         "config": {"date_limited": true, "date_limit_mode": "earliest",
                    "date_earliest_value": "2026-03-01T00:00:00+00:00",
                    "date_latest_value": "2026-03-31T00:00:00+00:00"}},
        {"id": 603, "display_name": "Wrap it", "type": "checkbox", "required": false,
         "config": {"checkbox_label": "Gift wrap", "checked_by_default": true},
         "option_values": [{"id": 701, "label": "Yes", "value_data": {"checked_value": true}},
                           {"id": 702, "label": "No", "value_data": {"checked_value": false}}]},
        {"id": 604, "display_name": "Dedication", "type": "multi_line_text", "required": false,
         "config": {"text_characters_limited": true, "text_min_length": 2,
                    "text_max_length": 1000, "default_value": "With love"}}
    ]);
    let product = |id: i64, name: &str, modifiers: Value| {
        json!({"id": id, "name": name, "type": "physical", "price": 10.0,
               "inventory_tracking": "none", "availability": "available",
               "variants": [{"id": id * 10, "option_values": []}], "modifiers": modifiers})
    };
    let photo = json!([{"id": 605, "display_name": "Your photo", "type": "file", "required": true,
                        "config": {"file_types_mode": "all"}}]);
    json!({"rules": [{"route": "GET /v3/catalog/products", "status": 200,
        "body": {"data": [product(901, "Keepsake Box", modifiers), product(902, "Photo Mug", photo)],
                 "meta": {"pagination": {"total": 2, "count": 2, "per_page": 10,
                     "current_page": 1, "total_pages": 1, "links": {"current": "?page=1&limit=10"}}}}}]})
}

#[tokio::test]
async fn the_forms_honour_date_limits_defaults_and_text_limits_from_the_catalog() {
    // Arrange
    let app = spawn_app().await;
    app.inject_faults(configured_product_page()).await;

    // Act
    let html = app.get("/cart").await.text().await.expect("html");

    // Assert
    for (control, why) in [
        ("type=\"date\" name=\"date_601\" value=\"2026-06-01\"", "not limited: no bounds; its default"),
        ("type=\"date\" name=\"date_602\" min=\"2026-03-01\">", "earliest only"),
        ("value=\"701\" checked>", "checked by default"),
        ("name=\"option_604\" rows=\"3\" maxlength=\"1000\" minlength=\"2\">With love</textarea>", "the modifier's own length limits and default"),
    ] {
        assert!(html.contains(control), "{why}: {control}");
    }
}

#[tokio::test]
async fn a_product_requiring_a_file_upload_is_listed_as_not_addable_with_a_reason() {
    // Arrange
    let app = spawn_app().await;
    app.inject_faults(configured_product_page()).await;

    // Act
    let body: Value = app.get("/api/products").await.json().await.expect("json");
    let html = app.get("/cart").await.text().await.expect("html");

    // Assert
    let products = body["products"].as_array().expect("products");
    let mug = products.iter().find(|p| p["id"] == 902).expect("the mug");
    assert_eq!(mug["addable"], false, "{mug}");
    let reason = mug["not_addable_reason"].as_str().expect("a reason");
    assert!(reason.contains("file upload"), "{reason}");
    let keepsake = products.iter().find(|p| p["id"] == 901).expect("the box");
    assert_eq!(keepsake["addable"], true);
    assert!(keepsake.get("not_addable_reason").is_none());
    assert!(html.contains("Photo Mug needs a file upload"), "{html}");
    assert_eq!(body["currency"]["code"], "USD");
}
