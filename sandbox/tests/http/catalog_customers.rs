//! Catalog reads, credential validation, abandoned carts and `/v2/time`.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{mug, start};

#[tokio::test]
async fn products_are_paged_with_meta_pagination() {
    let app = start().await;
    let resp = app.get("/v3/catalog/products?limit=5&page=2").await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["data"].as_array().expect("data").len(), 5);
    let p = &body["meta"]["pagination"];
    assert_eq!(p["current_page"], 2);
    assert_eq!(p["per_page"], 5);
    assert!(p["total"].as_u64().expect("total") >= 12);
    assert!(body["data"][0].get("variants").is_none());
}

#[tokio::test]
async fn a_product_with_includes_has_variants_options_and_modifiers() {
    let app = start().await;
    let body: Value = app
        .get("/v3/catalog/products/110?include=variants,options,images,primary_image")
        .await
        .json()
        .await
        .expect("json");
    let p = &body["data"];
    assert_eq!(p["type"], "physical");
    assert_eq!(p["inventory_tracking"], "variant");
    assert_eq!(p["custom_url"]["url"], "/logo-t-shirt/");
    let v = &p["variants"][0];
    for key in [
        "id",
        "product_id",
        "sku",
        "price",
        "option_values",
        "inventory_level",
        "purchasing_disabled",
    ] {
        assert!(v.get(key).is_some(), "variant has {key}");
    }
    assert_eq!(p["options"][0]["id"], 201);
    assert!(p["images"][0]["url_standard"]
        .as_str()
        .expect("url")
        .ends_with("/__sandbox/images/110.svg"));

    let bottle: Value = app
        .get("/v3/catalog/products/120?include=modifiers")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(bottle["data"]["modifiers"][0]["id"], 401);
    assert_eq!(bottle["data"]["modifiers"][0]["required"], true);
    assert_eq!(app.get("/v3/catalog/products/999").await.status(), 404);

    let svg = app
        .client
        .get(app.url("/__sandbox/images/110.svg"))
        .send()
        .await
        .expect("sent");
    assert_eq!(svg.status(), 200);
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
}

#[tokio::test]
async fn credentials_are_validated_without_an_envelope() {
    let app = start().await;
    let ok: Value = app
        .post(
            "/v3/customers/validate-credentials",
            json!({"email": "jane@example.com", "password": "Sandbox123!", "channel_id": 1}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(ok, json!({"is_valid": true, "customer_id": 1}));
    let bad: Value = app
        .post(
            "/v3/customers/validate-credentials",
            json!({"email": "jane@example.com", "password": "nope"}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(bad, json!({"is_valid": false, "customer_id": null}));
    let missing = app
        .post(
            "/v3/customers/validate-credentials",
            json!({"email": "jane@example.com"}),
        )
        .await;
    assert_eq!(missing.status(), 422);
}

#[tokio::test]
async fn abandoned_cart_tokens_resolve_to_their_cart() {
    let app = start().await;
    let cart = app.create_cart(json!([mug(1)])).await;
    let id = cart["id"].as_str().expect("id");
    let token: Value = app
        .control_json(
            Method::POST,
            "/abandoned-carts",
            Some(json!({"cart_id": id})),
        )
        .await;
    let token = token["token"].as_str().expect("token").to_owned();
    assert_eq!(token.len(), 32);
    let resp = app.get(&format!("/v3/abandoned-carts/{token}")).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.json::<Value>().await.expect("json"),
        json!({"data": {"cart_id": id}, "meta": {}})
    );
    assert_eq!(
        app.get("/v3/abandoned-carts/0123456789abcdef0123456789abcdef")
            .await
            .status(),
        404
    );
    let unknown = app
        .control(
            Method::POST,
            "/abandoned-carts",
            Some(json!({"cart_id": uuid::Uuid::new_v4().to_string()})),
        )
        .await;
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn time_follows_the_sandbox_clock() {
    let app = start().await;
    let t1: Value = app.get("/v2/time").await.json().await.expect("json");
    app.control(
        Method::POST,
        "/clock",
        Some(json!({"offset_seconds": 3600})),
    )
    .await;
    let t2: Value = app.get("/v2/time").await.json().await.expect("json");
    let delta = t2["time"].as_i64().expect("time") - t1["time"].as_i64().expect("time");
    assert!((3599..=3602).contains(&delta), "{delta}");
}

#[tokio::test]
async fn stock_set_through_the_catalog_update_is_read_back_and_limits_adds() {
    let app = start().await;
    let resp = app
        .put(
            "/v3/catalog/products/101",
            json!({"inventory_tracking": "product", "inventory_level": 3}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["data"]["inventory_level"], 3);
    assert_eq!(body["data"]["inventory_tracking"], "product");
    let read: Value = app
        .get("/v3/catalog/products/101")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(read["data"]["inventory_level"], 3);

    let refused = app.post("/v3/carts", json!({"line_items": [mug(4)]})).await;
    assert_eq!(refused.status(), 422, "4 mugs are more than the 3 in stock");
    let taken = app.post("/v3/carts", json!({"line_items": [mug(3)]})).await;
    assert_eq!(taken.status(), 201);

    let unknown = app
        .put("/v3/catalog/products/101", json!({"name": "Renamed"}))
        .await;
    assert_eq!(unknown.status(), 422, "fields the sandbox does not model");
    let negative = app
        .put("/v3/catalog/products/101", json!({"inventory_level": -1}))
        .await;
    assert_eq!(negative.status(), 422);
    let missing = app
        .put("/v3/catalog/products/9999", json!({"inventory_level": 1}))
        .await;
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn a_variants_stock_is_set_through_its_own_update() {
    let app = start().await;
    let product: Value = app
        .get("/v3/catalog/products/110?include=variants")
        .await
        .json()
        .await
        .expect("json");
    let variant = product["data"]["variants"][0]["id"].as_i64().expect("id");
    let resp = app
        .put(
            &format!("/v3/catalog/products/110/variants/{variant}"),
            json!({"inventory_level": 2}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["data"]["id"], variant);
    assert_eq!(body["data"]["inventory_level"], 2);
    let read: Value = app
        .get("/v3/catalog/products/110?include=variants")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(read["data"]["variants"][0]["inventory_level"], 2);
    let refused = app
        .post(
            "/v3/carts",
            json!({"line_items": [{"product_id": 110, "variant_id": variant, "quantity": 3}]}),
        )
        .await;
    assert_eq!(refused.status(), 422);
    let missing = app
        .put(
            "/v3/catalog/products/110/variants/1",
            json!({"inventory_level": 2}),
        )
        .await;
    assert_eq!(missing.status(), 404);
}
