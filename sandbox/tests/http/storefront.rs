//! Hosted pages: single-use redirect URLs, the cart page forms, checkout and confirmation.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{fast_webhooks, mug, start, start_with, Receiver};
use bc_sandbox::SandboxConfig;

async fn urls(app: &crate::helpers::TestSandbox, id: &str) -> Value {
    app.post(&format!("/v3/carts/{id}/redirect_urls"), json!({}))
        .await
        .json::<Value>()
        .await
        .expect("json")["data"]
        .clone()
}

#[tokio::test]
async fn redirect_urls_work_once() {
    let app = start().await;
    let cart = app.create_cart(json!([mug(2)])).await;
    let id = cart["id"].as_str().expect("id");
    let urls = urls(&app, id).await;
    let cart_url = urls["cart_url"].as_str().expect("url");
    let first = app.client.get(cart_url).send().await.expect("sent");
    assert_eq!(first.status(), 200);
    assert!(first.headers().get("set-cookie").is_some());
    let html = first.text().await.expect("html");
    assert!(html.contains("Sandbox Mug") && html.contains("Proceed to checkout"));
    let second = app.client.get(cart_url).send().await.expect("sent");
    assert_eq!(second.status(), 410);
    assert!(second
        .text()
        .await
        .expect("html")
        .contains("already been used"));
    // A forged token is refused too.
    let forged = app
        .client
        .get(app.url(&format!(
            "/cart.php?action=load&id={id}&token={}",
            "0".repeat(64)
        )))
        .send()
        .await
        .expect("sent");
    assert_eq!(forged.status(), 404);
}

#[tokio::test]
async fn the_cart_page_changes_quantities_and_fires_webhooks() {
    let app = start_with(fast_webhooks()).await;
    let receiver = Receiver::start(vec![]).await;
    app.post(
        "/v3/hooks",
        json!({"scope": "store/cart/lineItem/*", "destination": receiver.url}),
    )
    .await;
    let cart = app
        .create_cart(json!([mug(1), {"product_id": 103, "quantity": 1}]))
        .await;
    let id = cart["id"].as_str().expect("id");
    let item = cart["line_items"]["physical_items"][0]["id"]
        .as_str()
        .expect("item")
        .to_owned();
    let other = cart["line_items"]["physical_items"][1]["id"]
        .as_str()
        .expect("item")
        .to_owned();
    let urls = urls(&app, id).await;
    app.client
        .get(urls["cart_url"].as_str().expect("url"))
        .send()
        .await
        .expect("sent");

    let update = app
        .client
        .post(app.url(&format!("/cart.php/items/{item}/update")))
        .form(&[("quantity", "4")])
        .send()
        .await
        .expect("sent");
    assert_eq!(update.status(), 303);
    let page = app
        .client
        .get(app.url("/cart.php"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(page.contains("value=\"4\""), "{page}");
    let remove = app
        .client
        .post(app.url(&format!("/cart.php/items/{other}/remove")))
        .send()
        .await
        .expect("sent");
    assert_eq!(remove.status(), 303);
    let got = receiver.wait_for(2).await;
    let mut scopes: Vec<&str> = got
        .iter()
        .map(|r| r.body["scope"].as_str().unwrap_or(""))
        .collect();
    scopes.sort();
    assert_eq!(
        scopes,
        vec!["store/cart/lineItem/deleted", "store/cart/lineItem/updated"]
    );
    let api: Value = app
        .get(&format!("/v3/carts/{id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        api["data"]["line_items"]["physical_items"][0]["quantity"],
        4
    );
    let too_many = app
        .client
        .post(app.url(&format!("/cart.php/items/{item}/update")))
        .form(&[("quantity", "1000")])
        .send()
        .await
        .expect("sent");
    assert_eq!(too_many.status(), 422);
}

#[tokio::test]
async fn placing_an_order_converts_the_cart_and_links_back_to_the_storefront() {
    let app = start_with(SandboxConfig {
        storefront_url: Some("http://127.0.0.1:8080/cart".to_owned()),
        ..fast_webhooks()
    })
    .await;
    let receiver = Receiver::start(vec![]).await;
    app.post(
        "/v3/hooks",
        json!({"scope": "store/cart/converted", "destination": receiver.url}),
    )
    .await;
    let cart = app.create_cart(json!([mug(1)])).await;
    let id = cart["id"].as_str().expect("id");
    let urls = urls(&app, id).await;
    let checkout = app
        .client
        .get(urls["checkout_url"].as_str().expect("url"))
        .send()
        .await
        .expect("sent");
    assert_eq!(checkout.status(), 200);
    let html = checkout.text().await.expect("html");
    assert!(html.contains("Place order") && html.contains("guest"));

    let placed = app
        .client
        .post(app.url("/checkout/place-order"))
        .form(&[("cart_id", id)])
        .send()
        .await
        .expect("sent");
    assert_eq!(placed.status(), 303);
    let location = placed.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let confirmation = app
        .client
        .get(app.url(&location))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(
        confirmation.contains("Continue shopping")
            && confirmation.contains("http://127.0.0.1:8080/cart")
    );
    let got = receiver.wait_for(1).await;
    assert_eq!(got[0].body["scope"], "store/cart/converted");
    assert_eq!(app.get(&format!("/v3/carts/{id}")).await.status(), 404);
    let orders: Value = app.control_json(Method::GET, "/orders", None).await;
    assert_eq!(orders[0]["cart_id"], id);
}

#[tokio::test]
async fn the_embedded_checkout_url_opens_the_embedded_page_and_without_storefront_no_link() {
    let app = start().await;
    let cart = app.create_cart(json!([mug(1)])).await;
    let id = cart["id"].as_str().expect("id");
    let urls = urls(&app, id).await;
    let page = app
        .client
        .get(urls["embedded_checkout_url"].as_str().expect("url"))
        .send()
        .await
        .expect("sent");
    assert_eq!(page.status(), 200);
    assert!(page
        .text()
        .await
        .expect("html")
        .contains("Embedded checkout"));
    let placed = app
        .client
        .post(app.url("/checkout/place-order"))
        .form(&[("cart_id", id)])
        .send()
        .await
        .expect("sent");
    let location = placed.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let confirmation = app
        .client
        .get(app.url(&location))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(!confirmation.contains("Continue shopping"));
}
