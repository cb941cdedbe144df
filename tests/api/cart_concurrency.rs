//! One session, one cart: concurrent first adds, on one instance or several sharing a
//! database, end with exactly one BigCommerce cart holding every item; and no database
//! connection is held across a BigCommerce call.

use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::helpers::{
    cart_body, get_cart_as, new_session_cookie, one_line, post_items_as, spawn_app, spawn_app_with,
    spawn_second_instance,
};

/// The quantity the `n`th concurrent add puts in the cart (1..=3, so lines merge unevenly).
fn quantity_of(n: usize) -> i64 {
    (n % 3) as i64 + 1
}

/// A product for the `n`th add: several products so that lines are both merged and new.
fn product_of(n: usize) -> i64 {
    [102, 104, 105][n % 3]
}

async fn assert_one_cart_holding(app: &crate::helpers::TestApp, expected_items: i64, cookie: &str) {
    let carts = app.sandbox_carts().await;
    assert_eq!(
        carts.len(),
        1,
        "exactly one BigCommerce cart, no orphan: {carts:?}"
    );
    assert_eq!(
        carts[0]["item_count"], expected_items,
        "the one cart holds every item of every add"
    );
    assert_eq!(
        app.stored_cart_id().await.to_string(),
        carts[0]["id"].as_str().expect("cart id"),
        "the session holds the cart that exists"
    );
    let stats = app.sandbox_stats().await;
    assert_eq!(stats.calls("POST /v3/carts"), 1, "one create: {stats:?}");
    let cart = cart_body(get_cart_as(&app.address, cookie).await).await;
    assert_eq!(
        cart["item_count"], expected_items,
        "the session's read shows every item"
    );
}

#[tokio::test]
async fn fifty_concurrent_first_adds_in_one_session_end_in_one_cart_holding_everything() {
    // Arrange
    let app = spawn_app().await;
    let cookie = new_session_cookie(&app).await;
    let expected: i64 = (0..50).map(quantity_of).sum();

    // Act
    let answers = join_all((0..50).map(|n| {
        let cookie = cookie.clone();
        let address = app.address.clone();
        async move {
            let body = one_line(product_of(n), None, quantity_of(n));
            post_items_as(&address, &cookie, &body, None)
                .await
                .status()
                .as_u16()
        }
    }))
    .await;

    // Assert
    assert!(
        answers.iter().all(|status| *status == 201),
        "every add succeeds: {answers:?}"
    );
    assert_one_cart_holding(&app, expected, &cookie).await;
    let stats = app.sandbox_stats().await;
    assert_eq!(
        stats.calls("POST /v3/carts/{cart_id}/items"),
        49,
        "every other add joins the cart with one call: {stats:?}"
    );
    assert_eq!(stats.total, 50, "one BigCommerce call per add: {stats:?}");
}

#[tokio::test]
async fn fifty_concurrent_first_adds_across_two_instances_on_one_database_end_in_one_cart() {
    // Arrange
    let app = spawn_app().await;
    let second = spawn_second_instance(&app).await;
    let cookie = new_session_cookie(&app).await;
    let expected: i64 = (0..50).map(quantity_of).sum();

    // Act: odd adds go to the second instance.
    let answers = join_all((0..50).map(|n| {
        let cookie = cookie.clone();
        let address = if n % 2 == 0 {
            app.address.clone()
        } else {
            second.url("")
        };
        async move {
            let body = one_line(product_of(n), None, quantity_of(n));
            post_items_as(&address, &cookie, &body, None)
                .await
                .status()
                .as_u16()
        }
    }))
    .await;

    // Assert
    assert!(
        answers.iter().all(|status| *status == 201),
        "every add succeeds: {answers:?}"
    );
    assert_one_cart_holding(&app, expected, &cookie).await;
    let read_there = cart_body(get_cart_as(&second.address, &cookie).await).await;
    assert_eq!(
        read_there["item_count"], expected,
        "both instances see one cart"
    );
}

#[tokio::test]
async fn concurrent_first_adds_where_the_creator_is_refused_still_end_in_one_cart() {
    // Arrange: the first few adds name a product BigCommerce refuses; whoever creates the
    // cart with them fails, and a waiting request must take over.
    let app = spawn_app().await;
    let cookie = new_session_cookie(&app).await;
    let bodies: Vec<Value> = (0..20)
        .map(|n| {
            if n < 3 {
                one_line(150, None, 1) // out of stock
            } else {
                one_line(104, None, 1)
            }
        })
        .collect();

    // Act
    let answers = join_all(bodies.iter().map(|body| {
        let cookie = cookie.clone();
        let address = app.address.clone();
        async move {
            post_items_as(&address, &cookie, body, None)
                .await
                .status()
                .as_u16()
        }
    }))
    .await;

    // Assert
    assert_eq!(
        answers.iter().filter(|status| **status == 422).count(),
        3,
        "the refused adds are refused: {answers:?}"
    );
    assert_eq!(
        answers.iter().filter(|status| **status == 201).count(),
        17,
        "the others succeed: {answers:?}"
    );
    let carts = app.sandbox_carts().await;
    assert_eq!(carts.len(), 1, "one cart: {carts:?}");
    assert_eq!(carts[0]["item_count"], 17);
}

#[tokio::test]
async fn no_database_connection_is_held_across_a_bigcommerce_call() {
    // Arrange: one database connection, a short wait for it, and BigCommerce slower than
    // that wait. If any request held the connection while waiting for BigCommerce, the
    // others could not get it in time and would fail with 503.
    let app = spawn_app_with(|settings| {
        settings.database.max_connections = 1;
        settings.database.acquire_timeout_ms = 300;
    })
    .await;
    let cookie = new_session_cookie(&app).await;
    let first = post_items_as(&app.address, &cookie, &one_line(104, None, 1), None).await;
    assert_eq!(first.status().as_u16(), 201);
    app.inject_faults(json!({"rules": [{"route": "POST /v3/carts/*/items", "latency_ms": 700}]}))
        .await;

    // Act
    let answers = join_all((0..6).map(|_| {
        let cookie = cookie.clone();
        let address = app.address.clone();
        async move {
            let response = post_items_as(&address, &cookie, &one_line(104, None, 1), None).await;
            let status = response.status().as_u16();
            let body = response.text().await.unwrap_or_default();
            (status, body)
        }
    }))
    .await;

    // Assert
    for (status, body) in &answers {
        assert_eq!(
            *status, 201,
            "a slow BigCommerce must not starve the pool: {body}"
        );
    }
    let cart = cart_body(get_cart_as(&app.address, &cookie).await).await;
    assert_eq!(cart["item_count"], 7);
}
