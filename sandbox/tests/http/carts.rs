//! Carts and line items: statuses, shapes, versions, merge policy, includes.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{mug, notebook, start, start_with};
use bc_sandbox::{DuplicateAddPolicy, SandboxConfig, ZeroQuantityPolicy};

#[tokio::test]
async fn creating_a_cart_returns_201_with_bigcommerce_fields_and_no_options() {
    let app = start().await;
    let resp = app
        .post(
            "/v3/carts",
            json!({"customer_id": 0, "channel_id": 1, "currency": {"code": "USD"},
                   "locale": "en-US", "unknown_field": true,
                   "line_items": [{"product_id": 110, "variant_id": 1105, "quantity": 2}]}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    for h in [
        "X-Rate-Limit-Time-Window-Ms",
        "X-Rate-Limit-Time-Reset-Ms",
        "X-Rate-Limit-Requests-Quota",
        "X-Rate-Limit-Requests-Left",
    ] {
        assert!(resp.headers().contains_key(h), "{h} present");
    }
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["meta"], json!({}));
    let cart = &body["data"];
    assert!(uuid::Uuid::parse_str(cart["id"].as_str().expect("id")).is_ok());
    assert_eq!(cart["version"], 1);
    assert_eq!(cart["email"], "");
    assert_eq!(cart["locale"], "en-US");
    assert_eq!(cart["currency"]["code"], "USD");
    assert_eq!(cart["tax_included"], false);
    assert_eq!(cart["base_amount"], 54.0);
    assert_eq!(cart["cart_amount"], 54.0);
    assert_eq!(cart["discount_amount"], 0);
    assert_eq!(cart["coupons"], json!([]));
    assert_eq!(cart["discounts"], json!([]));
    let created = cart["created_time"].as_str().expect("time");
    assert!(
        created.ends_with("+00:00") && created.len() == 25,
        "{created}"
    );
    let items = &cart["line_items"];
    for key in [
        "physical_items",
        "digital_items",
        "gift_certificates",
        "custom_items",
    ] {
        assert!(items[key].is_array(), "{key}");
    }
    let item = &items["physical_items"][0];
    for key in [
        "id",
        "parent_id",
        "variant_id",
        "product_id",
        "sku",
        "name",
        "url",
        "image_url",
        "quantity",
        "taxable",
        "discounts",
        "coupons",
        "discount_amount",
        "coupon_amount",
        "original_price",
        "list_price",
        "sale_price",
        "extended_list_price",
        "extended_sale_price",
        "is_require_shipping",
        "is_mutable",
    ] {
        assert!(item.get(key).is_some(), "line item has {key}");
    }
    assert!(
        item.get("options").is_none(),
        "no options without the include"
    );
    assert_eq!(item["sku"], "TEE-L-BLK");
    assert_eq!(item["list_price"], 27.0);
    assert_eq!(item["extended_sale_price"], 54.0);
}

#[tokio::test]
async fn includes_add_options_and_redirect_urls() {
    let app = start().await;
    let resp = app
        .post(
            "/v3/carts?include=redirect_urls,line_items.physical_items.options,line_items.digital_items.options",
            json!({"line_items": [
                {"product_id": 110, "quantity": 1,
                 "option_selections": [{"option_id": 201, "option_value": 302},
                                       {"option_id": 202, "option_value": 312}]},
                {"product_id": 120, "quantity": 1,
                 "option_selections": [{"option_id": 401, "option_value": "Hi Ada"}]},
                {"product_id": 130, "quantity": 1}]}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let cart: Value = resp.json::<Value>().await.expect("json")["data"].clone();
    let physical = cart["line_items"]["physical_items"]
        .as_array()
        .expect("array");
    assert_eq!(
        physical[0]["variant_id"], 1104,
        "variant picked from option values"
    );
    assert_eq!(
        physical[0]["options"][0],
        json!({"name": "Size", "nameId": 201, "value": "M", "valueId": 302})
    );
    assert_eq!(physical[1]["options"][0]["value"], "Hi Ada");
    let digital = &cart["line_items"]["digital_items"][0];
    assert_eq!(digital["product_id"], 130);
    assert!(digital.get("download_page_url").is_some());
    assert!(digital.get("is_require_shipping").is_none());
    assert!(digital["options"].is_array());
    let urls = &cart["redirect_urls"];
    assert!(urls["checkout_url"]
        .as_str()
        .expect("url")
        .contains("action=loadInCheckout"));
}

#[tokio::test]
async fn get_put_and_delete_a_cart() {
    let app = start().await;
    let cart = app.create_cart(json!([mug(1)])).await;
    let id = cart["id"].as_str().expect("id");

    let got = app.get(&format!("/v3/carts/{id}")).await;
    assert_eq!(got.status(), 200);

    let put = app
        .put(&format!("/v3/carts/{id}"), json!({"customer_id": 1}))
        .await;
    assert_eq!(put.status(), 200);
    let updated: Value = put.json().await.expect("json");
    assert_eq!(updated["data"]["customer_id"], 1);
    assert_eq!(updated["data"]["version"], 2);

    let del = app.delete(&format!("/v3/carts/{id}")).await;
    assert_eq!(del.status(), 204);
    assert!(del.bytes().await.expect("body").is_empty());

    let gone = app.get(&format!("/v3/carts/{id}")).await;
    assert_eq!(gone.status(), 404);
    let body: Value = gone.json().await.expect("json");
    assert_eq!(
        body,
        json!({"status": 404, "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"})
    );
    let not_uuid = app.get("/v3/carts/100").await;
    assert_eq!(not_uuid.status(), 404);
}

#[tokio::test]
async fn items_are_added_merged_updated_and_removed() {
    let app = start().await;
    let cart = app.create_cart(json!([notebook(1)])).await;
    let id = cart["id"].as_str().expect("id");
    let item_id = cart["line_items"]["physical_items"][0]["id"]
        .as_str()
        .expect("item")
        .to_owned();

    let add = app
        .post(
            &format!("/v3/carts/{id}/items"),
            json!({"line_items": [notebook(2), {"product_id": 103, "quantity": 1}]}),
        )
        .await;
    assert_eq!(add.status(), 201);
    let cart: Value = add.json::<Value>().await.expect("json")["data"].clone();
    let lines = cart["line_items"]["physical_items"]
        .as_array()
        .expect("lines");
    assert_eq!(lines.len(), 2, "the notebook merged into its line");
    assert_eq!(lines[0]["quantity"], 3);
    assert_eq!(cart["version"], 2);

    let put = app
        .put(
            &format!("/v3/carts/{id}/items/{item_id}"),
            json!({"line_item": {"quantity": 5, "product_id": 104}, "version": 2}),
        )
        .await;
    assert_eq!(put.status(), 200);
    let cart: Value = put.json::<Value>().await.expect("json")["data"].clone();
    assert_eq!(cart["line_items"]["physical_items"][0]["quantity"], 5);
    assert_eq!(
        cart["line_items"]["physical_items"][0]["extended_list_price"],
        49.95
    );

    let del = app.delete(&format!("/v3/carts/{id}/items/{item_id}")).await;
    assert_eq!(del.status(), 200);
    let cart: Value = del.json::<Value>().await.expect("json")["data"].clone();
    let last = cart["line_items"]["physical_items"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let del = app.delete(&format!("/v3/carts/{id}/items/{last}")).await;
    assert_eq!(del.status(), 204);
    assert!(del.bytes().await.expect("body").is_empty());
    assert_eq!(app.get(&format!("/v3/carts/{id}")).await.status(), 404);
}

#[tokio::test]
async fn a_stale_version_gets_409_with_the_documented_title() {
    let app = start().await;
    let cart = app.create_cart(json!([mug(1)])).await;
    let id = cart["id"].as_str().expect("id");
    let resp = app
        .post(
            &format!("/v3/carts/{id}/items"),
            json!({"line_items": [mug(1)], "version": 7}),
        )
        .await;
    assert_eq!(resp.status(), 409);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["title"], "The request cannot be processed due to a possible conflict. Please review the changes and try again.");
}

#[tokio::test]
async fn quantity_zero_removes_the_line_by_default_and_can_be_refused() {
    let app = start().await;
    let cart = app.create_cart(json!([mug(1)])).await;
    let (id, item) = (
        cart["id"].as_str().expect("id"),
        cart["line_items"]["physical_items"][0]["id"]
            .as_str()
            .expect("item"),
    );
    let resp = app
        .put(
            &format!("/v3/carts/{id}/items/{item}"),
            json!({"line_item": {"quantity": 0, "product_id": 101}}),
        )
        .await;
    assert_eq!(resp.status(), 204, "last line removed, cart deleted");

    let strict = start_with(SandboxConfig {
        behaviours: bc_sandbox::Behaviours {
            zero_quantity: ZeroQuantityPolicy::Reject,
            ..Default::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let cart = strict.create_cart(json!([mug(1)])).await;
    let (id, item) = (
        cart["id"].as_str().expect("id"),
        cart["line_items"]["physical_items"][0]["id"]
            .as_str()
            .expect("item"),
    );
    let resp = strict
        .put(
            &format!("/v3/carts/{id}/items/{item}"),
            json!({"line_item": {"quantity": 0, "product_id": 101}}),
        )
        .await;
    assert_eq!(resp.status(), 422);
}

#[tokio::test]
async fn duplicate_adds_can_make_new_lines() {
    let app = start_with(SandboxConfig {
        behaviours: bc_sandbox::Behaviours {
            duplicate_add: DuplicateAddPolicy::NewLine,
            ..Default::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let cart = app.create_cart(json!([notebook(1), notebook(1)])).await;
    assert_eq!(
        cart["line_items"]["physical_items"]
            .as_array()
            .expect("lines")
            .len(),
        2
    );
}

#[tokio::test]
async fn changing_a_missing_cart_is_500_or_404_as_configured() {
    let app = start().await;
    let missing = uuid::Uuid::new_v4();
    let resp = app
        .post(
            &format!("/v3/carts/{missing}/items"),
            json!({"line_items": [mug(1)]}),
        )
        .await;
    assert_eq!(resp.status(), 500);
    assert_eq!(
        app.delete(&format!("/v3/carts/{missing}")).await.status(),
        500
    );

    let app404 = start_with(SandboxConfig {
        behaviours: bc_sandbox::Behaviours {
            missing_cart_write_status: 404,
            ..Default::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let resp = app404
        .put(&format!("/v3/carts/{missing}"), json!({"customer_id": 1}))
        .await;
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn redirect_urls_are_201_with_three_single_use_urls() {
    let app = start().await;
    let cart = app.create_cart(json!([mug(1)])).await;
    let id = cart["id"].as_str().expect("id");
    let resp = app
        .call(
            Method::POST,
            &format!("/v3/carts/{id}/redirect_urls"),
            Some(json!({"query_params": {"utm": "x y"}})),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let data: Value = resp.json::<Value>().await.expect("json")["data"].clone();
    let base = app.sandbox.base_url();
    let cart_url = data["cart_url"].as_str().expect("url");
    assert!(
        cart_url.starts_with(&format!("{base}/cart.php?action=load&id={id}&token=")),
        "{cart_url}"
    );
    assert!(cart_url.ends_with("&utm=x+y"));
    let token = cart_url
        .split("token=")
        .nth(1)
        .expect("token")
        .split('&')
        .next()
        .expect("token");
    assert_eq!(token.len(), 64);
    assert!(data["embedded_checkout_url"]
        .as_str()
        .expect("url")
        .contains("embedded=1&action=loadInCheckout"));
    let missing = app
        .post(
            &format!("/v3/carts/{}/redirect_urls", uuid::Uuid::new_v4()),
            json!({}),
        )
        .await;
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn carts_expire_thirty_days_after_their_last_change() {
    let app = start().await;
    let cart = app.create_cart(json!([mug(1)])).await;
    let id = cart["id"].as_str().expect("id");
    app.control(
        Method::POST,
        "/clock",
        Some(json!({"offset_seconds": 31 * 24 * 3600})),
    )
    .await;
    assert_eq!(app.get(&format!("/v3/carts/{id}")).await.status(), 404);
}

#[tokio::test]
async fn many_concurrent_shoppers_are_served() {
    let app = std::sync::Arc::new(start().await);
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let cart = app.create_cart(json!([mug(1)])).await;
            let id = cart["id"].as_str().expect("id").to_owned();
            let add = app
                .post(
                    &format!("/v3/carts/{id}/items"),
                    json!({"line_items": [{"product_id": 104, "quantity": 2}]}),
                )
                .await;
            assert_eq!(add.status(), 201);
            let got: Value = app
                .get(&format!("/v3/carts/{id}"))
                .await
                .json()
                .await
                .expect("json");
            assert_eq!(got["data"]["version"], 2);
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    let carts: Value = app.control_json(Method::GET, "/carts", None).await;
    assert_eq!(carts.as_array().expect("carts").len(), 40);
}
