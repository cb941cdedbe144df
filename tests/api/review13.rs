//! Review of issue 13 (fidelity): each test is a request sequence that breaks on main.
//! Expected outcomes are asserted; every test here FAILS on rev13 = main.

use bc_sandbox::SandboxConfig;
use serde_json::{json, Value};

use crate::accounts::{login_with, JANE};
use crate::helpers::{cart_body, client, line_id, spawn_app, spawn_app_with_sandbox};

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

/// R1: a guest line with a date modifier is re-added as text when merged into the
/// customer's cart at sign-in (cart/moving.rs `line_to_add`): BigCommerce refuses it.
#[tokio::test]
async fn review13_a_dated_guest_line_is_merged_into_the_customers_cart_at_sign_in() {
    let app = spawn_app().await;
    let laptop = client();
    login_with(&app, &laptop, JANE).await;
    let added = laptop
        .post(app.url("/api/cart/items"))
        .json(&json!({"line_items": [{"product_id": 101, "quantity": 1}]}))
        .send()
        .await
        .expect("add");
    assert_eq!(added.status().as_u16(), 201);
    let phone = client();
    let added = phone
        .post(app.url("/api/cart/items"))
        .json(&cake())
        .send()
        .await
        .expect("add");
    assert_eq!(added.status().as_u16(), 201);

    let body: Value = login_with(&app, &phone, JANE)
        .await
        .json()
        .await
        .expect("json");

    assert_eq!(body["cart_outcome"], "cart_merged", "{body}");
    assert_eq!(body["warnings"], json!([]), "{body}");
    assert_eq!(products_in(&body["cart"]), vec![101, 122], "{body}");
}

/// R1 (same cause): the reference's remedy for a refused customer change (a new cart made
/// for the customer, lines re-added) fails for any cart holding a dated line.
#[tokio::test]
async fn review13_a_refused_customer_change_rebuilds_a_cart_with_a_dated_line() {
    let mut config = SandboxConfig::default();
    config.behaviours.refuse_customer_change = true;
    let app = spawn_app_with_sandbox(config, |_| {}).await;
    assert_eq!(app.post_items(&cake()).await.status().as_u16(), 201);

    let body: Value = login_with(&app, &app.api_client, JANE)
        .await
        .json()
        .await
        .expect("json");

    assert_eq!(body["cart_outcome"], "cart_assigned", "{body}");
    assert_eq!(products_in(&body["cart"]), vec![122], "{body}");
}

/// R2: with the catalog unavailable (cold cache, BigCommerce's catalog failing or the
/// refresh class shed), a quantity change of a dated line sends the date as text and
/// BigCommerce's refusal reaches the shopper as a 422 "option_required".
#[tokio::test]
async fn review13_a_dated_line_changes_quantity_while_the_catalog_is_unavailable() {
    let app = spawn_app().await;
    let cart = cart_body(app.post_items(&cake()).await).await;
    app.inject_faults(json!({"rules": [{"route": "GET /v3/catalog/products", "status": 500}]}))
        .await;

    let response = app.patch_item(&line_id(&cart, 122), 2).await;

    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("json");
    assert!(
        status == 200 || status >= 500,
        "a quantity change the shopper cannot fix must not be a 4xx: {status} {body}"
    );
}

/// R3: an option value the service's own input rules would refuse (a tab in a text
/// modifier, typed on BigCommerce's hosted cart or by another app) is silently dropped from
/// the rebuilt `option_selections` (cart/selections.rs `.ok()?`), so BigCommerce refuses the
/// quantity change as a missing required text.
#[tokio::test]
async fn review13_a_line_whose_text_has_a_tab_changes_quantity() {
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

    let response = app.patch_item(&line_id(&cart, 120), 2).await;

    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("json");
    assert_eq!(status, 200, "{body}");
}
