//! What a real store does that the service once got wrong (issue 13): required headers, one
//! URL per hand-off, purchase limits answered 409, refused customer changes, the whole paged
//! catalog (and no more, whatever its pagination claims), every modifier type. Each behaviour is the sandbox's, as BigCommerce documents it.

use bc_sandbox::SandboxConfig;
use checkout_bff::bigcommerce::{BigCommerceClient, BigCommerceError, CorrelationId};
use checkout_bff::domain::{CartId, CustomerId};
use checkout_bff::metrics::Metrics;
use serde_json::{json, Value};

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
