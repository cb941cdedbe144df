//! `Idempotency-Key` on every mutation but the checkout hand-off: a retry with the same key
//! and body gets the stored answer without a second BigCommerce call, also while the first is
//! in flight; another body with the same key is refused; keys belong to one session. A
//! hand-off is minted fresh on every request, whatever its key.

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{
    cart_body, line_id, new_session_cookie, one_line, post_items_as, spawn_app, TestApp,
};

/// Sends a mutation with an Idempotency-Key through the app's cookie-keeping client.
async fn send_with_key(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<&Value>,
    key: &str,
) -> reqwest::Response {
    let mut request = app
        .api_client
        .request(method, app.url(path))
        .header("Idempotency-Key", key);
    if let Some(body) = body {
        request = request.json(body);
    }
    request.send().await.expect("request failed")
}

/// Every mutation whose answer is replayed, as (name, method, path, body, expected status), in
/// a session whose cart holds a mug (line `mug`) and a notebook (line `notebook`).
fn mutations(mug: &str, notebook: &str) -> Vec<(&'static str, Method, String, Option<Value>, u16)> {
    vec![
        (
            "add items",
            Method::POST,
            "/api/cart/items".into(),
            Some(one_line(105, None, 2)),
            201,
        ),
        (
            "change quantity",
            Method::PATCH,
            format!("/api/cart/items/{mug}"),
            Some(json!({"quantity": 4})),
            200,
        ),
        (
            "remove line",
            Method::DELETE,
            format!("/api/cart/items/{notebook}"),
            None,
            200,
        ),
        ("clear cart", Method::DELETE, "/api/cart".into(), None, 204),
    ]
}

#[tokio::test]
async fn a_retry_of_any_mutation_with_the_same_key_replays_the_answer_without_a_bigcommerce_call() {
    // Arrange
    let app = spawn_app().await;
    app.add_item(101, None, 1).await;
    let cart = cart_body(app.add_item(104, None, 1).await).await;
    let (mug, notebook) = (line_id(&cart, 101), line_id(&cart, 104));

    for (name, method, path, body, status) in mutations(&mug, &notebook) {
        let key = format!("key-{name}").replace(' ', "-");
        // Act
        let first = send_with_key(&app, method.clone(), &path, body.as_ref(), &key).await;
        let first_status = first.status().as_u16();
        let first_cache = first.headers().get("cache-control").cloned();
        let first_body = first.text().await.expect("body");
        let before = app.sandbox_stats().await;
        let retry = send_with_key(&app, method, &path, body.as_ref(), &key).await;

        // Assert
        assert_eq!(first_status, status, "{name}: {first_body}");
        assert_eq!(retry.status().as_u16(), status, "{name}: same status");
        assert_eq!(
            retry.headers().get("cache-control"),
            first_cache.as_ref(),
            "{name}: same caching"
        );
        assert_eq!(
            retry.text().await.expect("body"),
            first_body,
            "{name}: same body"
        );
        let stats = app.sandbox_stats().await.since(&before);
        assert_eq!(
            stats.total, 0,
            "{name}: no BigCommerce call on replay: {stats:?}"
        );
    }
}

#[tokio::test]
async fn a_checkout_hand_off_is_never_replayed_from_storage_even_with_an_idempotency_key() {
    // Arrange
    let app = spawn_app().await;
    app.add_item(101, None, 1).await;

    // Act: the same key twice, as a retry would send it.
    let mut urls = Vec::new();
    for _ in 0..2 {
        let response = send_with_key(&app, Method::POST, "/api/cart/checkout", None, "co-1").await;
        assert_eq!(response.status().as_u16(), 200);
        let body: Value = response.json().await.expect("json");
        urls.push(body["url"].as_str().expect("url").to_owned());
    }

    // Assert: two fresh single-use URLs, and no URL kept in the idempotency table.
    assert_ne!(urls[0], urls[1], "a retry gets a fresh hand-off");
    assert_eq!(
        app.sandbox_stats()
            .await
            .calls("POST /v3/carts/{cart_id}/redirect_urls"),
        2
    );
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM idempotency_keys")
        .fetch_one(&app.db_pool)
        .await
        .expect("count");
    assert_eq!(stored, 0, "a bearer URL is never stored");
}

#[tokio::test]
async fn concurrent_requests_with_one_key_make_one_bigcommerce_call_and_get_one_answer() {
    // Arrange: BigCommerce is slow, so every duplicate arrives while the first is in flight.
    let app = spawn_app().await;
    let cookie = new_session_cookie(&app).await;
    app.inject_faults(json!({"latency_ms": 300})).await;
    let body = one_line(104, None, 2);

    // Act
    let answers = join_all((0..10).map(|_| {
        let (address, cookie, body) = (app.address.clone(), cookie.clone(), body.clone());
        async move {
            let response = post_items_as(&address, &cookie, &body, Some("same-key")).await;
            (
                response.status().as_u16(),
                response.json::<Value>().await.expect("json"),
            )
        }
    }))
    .await;

    // Assert
    for (status, body) in &answers {
        assert_eq!(*status, 201, "{body}");
        assert_eq!(body, &answers[0].1, "every duplicate gets the first answer");
    }
    let stats = app.sandbox_stats().await;
    assert_eq!(stats.total, 1, "one BigCommerce call: {stats:?}");
    assert_eq!(app.sandbox_carts().await[0]["item_count"], 2, "added once");
}

#[tokio::test]
async fn the_same_key_with_another_body_is_refused_with_idempotency_key_reused() {
    // Arrange
    let app = spawn_app().await;
    let cart = cart_body(app.add_item(101, None, 1).await).await;
    let mug = line_id(&cart, 101);
    let cases = [
        (
            "add with another quantity",
            (
                Method::POST,
                "/api/cart/items".to_owned(),
                Some(one_line(104, None, 1)),
            ),
            (
                Method::POST,
                "/api/cart/items".to_owned(),
                Some(one_line(104, None, 2)),
            ),
        ),
        (
            "change with another quantity",
            (
                Method::PATCH,
                format!("/api/cart/items/{mug}"),
                Some(json!({"quantity": 2})),
            ),
            (
                Method::PATCH,
                format!("/api/cart/items/{mug}"),
                Some(json!({"quantity": 3})),
            ),
        ),
        (
            "another endpoint",
            (
                Method::POST,
                "/api/cart/items".to_owned(),
                Some(one_line(105, None, 1)),
            ),
            (Method::DELETE, "/api/cart".to_owned(), None),
        ),
    ];
    for (n, (why, (m1, p1, b1), (m2, p2, b2))) in cases.into_iter().enumerate() {
        let key = format!("reused-{n}");
        let first = send_with_key(&app, m1, &p1, b1.as_ref(), &key).await;
        assert!(first.status().is_success(), "{why}: first use");
        let before = app.sandbox_stats().await;

        // Act
        let second = send_with_key(&app, m2, &p2, b2.as_ref(), &key).await;

        // Assert
        assert_eq!(second.status().as_u16(), 422, "{why}");
        let problem: Value = second.json().await.expect("problem");
        assert_eq!(problem["code"], "idempotency_key_reused", "{why}");
        assert_eq!(
            app.sandbox_stats().await.since(&before).total,
            0,
            "{why}: no call"
        );
    }
}

#[tokio::test]
async fn keys_are_per_session() {
    // Arrange
    let app = spawn_app().await;
    let alice = new_session_cookie(&app).await;
    let bob = new_session_cookie(&app).await;

    // Act
    let for_alice = post_items_as(&app.address, &alice, &one_line(101, None, 1), Some("k")).await;
    let for_bob = post_items_as(&app.address, &bob, &one_line(104, None, 3), Some("k")).await;

    // Assert
    assert_eq!(for_alice.status().as_u16(), 201);
    assert_eq!(
        for_bob.status().as_u16(),
        201,
        "the key is not Alice's answer for Bob"
    );
    assert_eq!(cart_body(for_bob).await["line_items"][0]["product_id"], 104);
    assert_eq!(
        app.sandbox_carts().await.len(),
        2,
        "two sessions, two carts"
    );
}

#[tokio::test]
async fn a_definite_refusal_is_replayed_but_a_transient_failure_may_be_retried() {
    // Arrange
    let app = spawn_app().await;
    app.add_item(101, None, 1).await;

    // Act + Assert: a 422 from BigCommerce is the answer for that key.
    let refused = post_items_as_app(&app, &one_line(150, None, 1), "refused").await;
    assert_eq!(refused, 422);
    let before = app.sandbox_stats().await;
    assert_eq!(
        post_items_as_app(&app, &one_line(150, None, 1), "refused").await,
        422
    );
    assert_eq!(
        app.sandbox_stats().await.since(&before).total,
        0,
        "the 422 is replayed"
    );

    // A 5xx on an add may hide an add that landed: the key is pinned and settled by a read,
    // never run again blindly (see idempotency_settle for the window).
    app.inject_faults(json!({"rules": [
        {"route": "POST /v3/carts/*/items", "status": 503, "count": 1}
    ]}))
    .await;
    assert_eq!(
        post_items_as_app(&app, &one_line(104, None, 1), "transient").await,
        502
    );
    assert_eq!(
        post_items_as_app(&app, &one_line(104, None, 1), "transient").await,
        409,
        "idempotency_outcome_pending"
    );
    // A failure that changed nothing (BigCommerce's rate limit) releases the key at once.
    app.inject_faults(json!({"rules": [
        {"route": "POST /v3/carts/*/items", "status": 429, "count": 2,
         "headers": {"X-Rate-Limit-Time-Reset-Ms": "300"}}
    ]}))
    .await;
    let limited = post_items_as_app(&app, &one_line(104, None, 1), "limited").await;
    assert_eq!(limited, 503);
    app.clear_faults().await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let before = app.sandbox_stats().await;
    assert_eq!(
        post_items_as_app(&app, &one_line(104, None, 1), "limited").await,
        201
    );
    assert_eq!(
        app.sandbox_stats()
            .await
            .since(&before)
            .calls("POST /v3/carts/{cart_id}/items"),
        1,
        "the retry really adds"
    );
    assert_eq!(cart_body(app.get_cart().await).await["item_count"], 2);
}

async fn post_items_as_app(app: &TestApp, body: &Value, key: &str) -> u16 {
    send_with_key(app, Method::POST, "/api/cart/items", Some(body), key)
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn malformed_idempotency_keys_are_refused_before_any_bigcommerce_call() {
    // Arrange
    let app = spawn_app().await;
    let long = "k".repeat(256);
    let cases = [("too long", long.as_str()), ("with a space", "a key")];
    for (why, key) in cases {
        // Act
        let response = send_with_key(
            &app,
            Method::POST,
            "/api/cart/items",
            Some(&one_line(101, None, 1)),
            key,
        )
        .await;

        // Assert
        assert_eq!(response.status().as_u16(), 422, "{why}");
        let problem: Value = response.json().await.expect("problem");
        assert_eq!(problem["code"], "invalid_input", "{why}");
    }
    assert_eq!(app.sandbox_stats().await.total, 0);
}
