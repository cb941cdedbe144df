//! What a session may still do with a cart after handing it off: on BigCommerce's hosted
//! checkout the cart can become a customer's (the shopper signs in there), and answers can get
//! lost on the way back. Each test is the attack or fault it names.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::accounts::{add_with, lines, login_with, sandbox_carts, JOHN};
use crate::helpers::{cart_body, client, line_id, spawn_app, spawn_app_with, TestApp};

/// Jane's customer id in the sandbox's seed.
const JANE_ID: i64 = 1;

async fn add_with_key(app: &TestApp, key: &str, product: i64) -> reqwest::Response {
    app.api_client
        .post(app.url("/api/cart/items"))
        .header("Idempotency-Key", key)
        .json(&json!({"line_items": [{"product_id": product, "quantity": 1}]}))
        .send()
        .await
        .expect("add")
}

/// The cart as BigCommerce holds it: (product, quantity) of its physical lines, sorted.
async fn held_lines(app: &TestApp, cart: &str) -> Vec<(i64, i64)> {
    let held: Value = app
        .bigcommerce_api(Method::GET, &format!("/v3/carts/{cart}"), None)
        .await
        .json()
        .await
        .expect("cart");
    let mut lines: Vec<(i64, i64)> = held["data"]["line_items"]["physical_items"]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .map(|line| {
                    (
                        line["product_id"].as_i64().unwrap_or(0),
                        line["quantity"].as_i64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    lines.sort_unstable();
    lines
}

/// Jane signs in on BigCommerce's hosted checkout with the session's cart (a forwarded link):
/// the cart becomes hers on BigCommerce, behind this service's back.
async fn jane_takes_the_cart_on_the_hosted_checkout(app: &TestApp) -> String {
    let cart = app.stored_cart_id().await.to_string();
    jane_takes(app, cart).await
}

async fn jane_takes(app: &TestApp, cart: String) -> String {
    let response = app
        .bigcommerce_api(
            Method::PUT,
            &format!("/v3/carts/{cart}"),
            Some(json!({"customer_id": JANE_ID})),
        )
        .await;
    assert!(response.status().is_success(), "{}", response.status());
    cart
}

// The first add of a session, with a key, dies after BigCommerce created the cart and the
// session was bound to it, before the answer was stored: the retry settles against the
// session's cart and does not add again.
#[tokio::test]
async fn a_first_add_whose_answer_was_never_stored_is_not_applied_again() {
    let app = spawn_app().await;
    let first = add_with_key(&app, "first-add-1", 101).await;
    assert_eq!(first.status().as_u16(), 201);
    // The process dies between binding the new cart and storing the answer: the key's row
    // stays without a response (as `store_answer` failing also leaves it), and its in-flight
    // lease runs out.
    sqlx::query(
        "UPDATE idempotency_keys SET response_status = NULL, response_body = NULL,
                created_at = now() - interval '90 seconds'",
    )
    .execute(&app.db_pool)
    .await
    .expect("simulate the crash");

    let retry = add_with_key(&app, "first-add-1", 101).await;

    let status = retry.status().as_u16();
    let cart = cart_body(app.get_cart().await).await;
    assert_eq!(
        lines(&cart),
        vec![(101, 1011, 1)],
        "one add, not two (retry answered {status})"
    );
}

// An add that landed and whose line the shopper then removed (on the hosted cart, in another
// tab) does not show in the counts: the cart changed since, so the retry is told it cannot
// be settled rather than applied a second time.
#[tokio::test]
async fn a_landed_add_whose_line_was_removed_since_is_not_applied_again_by_its_retry() {
    let app = spawn_app_with(|settings| {
        settings.bigcommerce.timeout_ms = 400;
        settings.cart.idempotency_settle_seconds = 2;
    })
    .await;
    assert_eq!(app.add_item(101, None, 1).await.status().as_u16(), 201);
    let cart = app.stored_cart_id().await.to_string();
    // BigCommerce applies the add but answers after our timeout; the one read that would
    // settle it at once fails too.
    app.inject_faults(json!({"rules": [
        {"route": "POST /v3/carts/*/items", "applied": true, "latency_ms": 1200, "count": 1},
        {"route": "GET /v3/carts/*", "status": 503, "count": 2}
    ]}))
    .await;
    let first = add_with_key(&app, "lost-add-1", 104).await;
    assert!(first.status().is_server_error(), "{}", first.status());
    assert_eq!(
        held_lines(&app, &cart).await,
        vec![(101, 1), (104, 1)],
        "it landed"
    );
    // The shopper sees the notebook on the hosted cart and removes it.
    let held: Value = app
        .bigcommerce_api(Method::GET, &format!("/v3/carts/{cart}"), None)
        .await
        .json()
        .await
        .expect("cart");
    let notebook = held["data"]["line_items"]["physical_items"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|line| line["product_id"] == 104)
        .expect("the notebook")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.bigcommerce_api(
        Method::DELETE,
        &format!("/v3/carts/{cart}/items/{notebook}"),
        None,
    )
    .await;

    // The client retries with its key once the settle window has passed.
    tokio::time::sleep(Duration::from_millis(2300)).await;
    let retry = add_with_key(&app, "lost-add-1", 104).await;

    let status = retry.status().as_u16();
    assert_eq!(
        held_lines(&app, &cart).await,
        vec![(101, 1)],
        "the key's add was applied a second time (retry answered {status})"
    );
}

// An add after the hand-off reads the cart first (the snapshot is stale): Jane's cart is
// let go and the item goes into a cart of the session's own.
#[tokio::test]
async fn an_add_after_the_hand_off_does_not_reach_a_cart_a_customer_took_on_the_hosted_checkout() {
    let app = spawn_app().await;
    app.add_item(101, None, 1).await;
    assert_eq!(app.checkout().await.status().as_u16(), 200);
    let cart = jane_takes_the_cart_on_the_hosted_checkout(&app).await;

    let response = app.add_item(104, None, 1).await;

    let status = response.status().as_u16();
    assert_eq!(
        held_lines(&app, &cart).await,
        vec![(101, 1)],
        "the guest's add (answered {status}) went into Jane's cart"
    );
}

// A quantity change from a session whose snapshot is fresh cannot know the cart was taken: the
// change lands (the residual the README names, bounded by the snapshot's TTL), but the answer
// shows nothing of Jane's cart and the session lets go of it.
#[tokio::test]
async fn without_webhooks_a_change_to_a_taken_cart_reveals_nothing_and_lets_go() {
    let app = spawn_app().await;
    let added = cart_body(app.add_item(101, None, 1).await).await;
    let mug = line_id(&added, 101);
    assert_eq!(app.checkout().await.status().as_u16(), 200);
    assert_eq!(app.get_cart().await.status().as_u16(), 200);
    jane_takes_the_cart_on_the_hosted_checkout(&app).await;

    let response = app.patch_item(&mug, 5).await;

    assert_eq!(response.status().as_u16(), 404);
    let body: Value = response.json().await.expect("problem");
    assert_eq!(body["code"], "item_not_found");
    assert_eq!(cart_body(app.get_cart().await).await, Value::Null);
}

// Signing in as John on a session whose cart Jane took on the hosted checkout: Jane's cart is
// not assigned to John.
#[tokio::test]
async fn signing_in_does_not_assign_a_cart_another_customer_took_on_the_hosted_checkout() {
    let app = spawn_app().await;
    app.add_item(101, None, 1).await;
    assert_eq!(app.checkout().await.status().as_u16(), 200);
    let cart = jane_takes_the_cart_on_the_hosted_checkout(&app).await;

    let response = login_with(&app, &app.api_client, JOHN).await;

    assert_eq!(response.status().as_u16(), 200);
    let carts = sandbox_carts(&app).await;
    let janes = carts.iter().find(|held| held["id"] == cart.as_str());
    assert_eq!(
        janes.map(|held| held["customer_id"].clone()),
        Some(json!(JANE_ID)),
        "Jane's cart became John's: {carts:?}"
    );
}

// The same when John has a cart of his own: Jane's lines are not merged into it and her
// cart is not deleted.
#[tokio::test]
async fn signing_in_does_not_merge_away_a_cart_another_customer_took_on_the_hosted_checkout() {
    let app = spawn_app().await;
    let laptop = client();
    login_with(&app, &laptop, JOHN).await;
    add_with(&app, &laptop, 104, None, 1).await;
    app.add_item(101, None, 1).await;
    assert_eq!(app.checkout().await.status().as_u16(), 200);
    let guest = sandbox_carts(&app)
        .await
        .into_iter()
        .find(|held| held["customer_id"] == 0)
        .expect("the guest cart")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let cart = jane_takes(&app, guest).await;

    let response = login_with(&app, &app.api_client, JOHN).await;

    assert_eq!(response.status().as_u16(), 200);
    let carts = sandbox_carts(&app).await;
    assert!(
        carts
            .iter()
            .any(|held| held["id"] == cart.as_str() && held["customer_id"] == JANE_ID),
        "Jane's cart is gone or no longer hers: {carts:?}"
    );
    let johns = cart_body(laptop.get(app.url("/api/cart")).send().await.expect("get")).await;
    assert_eq!(
        lines(&johns),
        vec![(104, 1041, 1)],
        "Jane's line moved to John"
    );
}

// A retry of an add whose answer the client never got, sent after signing in (the cookie
// jar now holds the new session), finds its key and is not applied again.
#[tokio::test]
async fn a_retry_sent_after_signing_in_does_not_apply_the_add_again() {
    let app = spawn_app().await;
    // The add lands and its answer is stored; the client never gets it (a dropped response).
    assert_eq!(
        add_with_key(&app, "before-sign-in-1", 101)
            .await
            .status()
            .as_u16(),
        201
    );
    assert_eq!(
        login_with(&app, &app.api_client, JOHN)
            .await
            .status()
            .as_u16(),
        200
    );

    let retry = add_with_key(&app, "before-sign-in-1", 101).await;

    let status = retry.status().as_u16();
    let cart = cart_body(app.get_cart().await).await;
    assert_eq!(
        lines(&cart),
        vec![(101, 1011, 1)],
        "one add, not two (retry answered {status})"
    );
}

// A retry that only replays a stored answer costs no BigCommerce call, whatever the
// snapshot's age: the settle plan is made only by the request that runs the change.
#[tokio::test]
async fn replaying_a_stored_answer_costs_no_bigcommerce_call() {
    let app = spawn_app().await;
    assert_eq!(
        add_with_key(&app, "replay-1", 101).await.status().as_u16(),
        201
    );
    assert_eq!(app.checkout().await.status().as_u16(), 200);
    let before = app.sandbox_stats().await;

    let replay = add_with_key(&app, "replay-1", 101).await;

    assert_eq!(replay.status().as_u16(), 201);
    let spent = app.sandbox_stats().await.since(&before);
    assert_eq!(spent.total, 0, "a replay spent {:?}", spent.by_route);
}

// Checkout verifies a stale cart in checkout's own class: it is served while changes are
// shed.
#[tokio::test]
async fn checkout_keeps_its_place_while_changes_are_shed_even_with_a_stale_snapshot() {
    let app = spawn_app().await;
    app.inject_faults(json!({"rate_limit": {"enforce": true, "quota": 40, "window_ms": 60000}}))
        .await;
    let mut shed = false;
    for _ in 0..60 {
        if app.add_item(101, None, 1).await.status().as_u16() != 201 {
            shed = true;
            break;
        }
    }
    assert!(shed, "the budget never shed an add");
    // The shopper goes to the hosted checkout, comes back, and checks out again.
    assert_eq!(
        app.checkout().await.status().as_u16(),
        200,
        "first hand-off"
    );

    let again = app.checkout().await;

    let status = again.status().as_u16();
    let body = again.text().await.unwrap_or_default();
    assert_eq!(status, 200, "checkout lost its place: {body}");
}
