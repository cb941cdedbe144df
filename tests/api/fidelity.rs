//! What a real store does that the service once got wrong (issue 13): required headers, one
//! URL per hand-off, purchase limits answered 409, refused customer changes, the whole paged
//! catalog, every modifier type. Each behaviour is the sandbox's, as BigCommerce documents it.

use bc_sandbox::SandboxConfig;
use checkout_bff::bigcommerce::{BigCommerceClient, BigCommerceError, CorrelationId};
use checkout_bff::domain::{CartId, CustomerId};
use checkout_bff::metrics::Metrics;
use serde_json::Value;

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
