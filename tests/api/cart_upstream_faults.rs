//! The BigCommerce client under faults: 429 with and without rate-limit headers, the store's
//! quota, 5xx, timeouts, broken connections, and BigCommerce's 422 refusals.

use serde_json::{json, Value};

use crate::helpers::{cart_body, line_id, spawn_app, spawn_app_with, TestApp};

async fn problem_of(response: reqwest::Response) -> (u16, Option<String>, Value) {
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|value| value.to_str().expect("ascii").to_owned());
    (status, retry_after, response.json().await.expect("problem"))
}

#[tokio::test]
async fn a_429_with_a_short_reset_is_waited_out_and_the_call_repeated_once() {
    // Arrange: the store's window resets within 300 ms.
    let app = spawn_app().await;
    app.add_item(101, None, 1).await;
    app.inject_faults(json!({
        "rate_limit": {"enforce": false, "quota": 150, "window_ms": 300},
        "rules": [{"route": "POST /v3/carts/*/items", "status": 429, "count": 1}]
    }))
    .await;
    let before = app.sandbox_stats().await;

    // Act
    let response = app.add_item(104, None, 1).await;

    // Assert
    assert_eq!(response.status().as_u16(), 201);
    assert_eq!(
        cart_body(response).await["item_count"],
        2,
        "added exactly once"
    );
    let stats = app.sandbox_stats().await.since(&before);
    assert_eq!(
        stats.calls("POST /v3/carts/{cart_id}/items"),
        2,
        "{stats:?}"
    );
    assert_eq!(stats.total, 2, "{stats:?}");
}

#[tokio::test]
async fn a_429_with_a_long_reset_answers_503_upstream_rate_limited_with_retry_after() {
    // Arrange: the store's window resets in about 20 s.
    let app = spawn_app().await;
    app.add_item(101, None, 1).await;
    app.inject_faults(json!({
        "rate_limit": {"enforce": false, "quota": 150, "window_ms": 20000},
        "rules": [{"route": "POST /v3/carts/*/items", "status": 429, "count": 1}]
    }))
    .await;
    let before = app.sandbox_stats().await;

    // Act
    let (status, retry_after, problem) = problem_of(app.add_item(104, None, 1).await).await;

    // Assert
    assert_eq!(status, 503);
    assert_eq!(problem["code"], "upstream_rate_limited");
    let retry_after: u64 = retry_after.expect("Retry-After").parse().expect("seconds");
    assert!(
        (15..=20).contains(&retry_after),
        "Retry-After {retry_after}"
    );
    assert_eq!(
        app.sandbox_stats().await.since(&before).total,
        1,
        "no hammering"
    );

    // And while the store asked us to hold off, nothing is sent at all.
    let (status, retry_after, problem) = problem_of(app.add_item(104, None, 1).await).await;
    assert_eq!(status, 503);
    assert_eq!(problem["code"], "upstream_rate_limited");
    assert!(retry_after.is_some());
    assert_eq!(
        app.sandbox_stats().await.since(&before).total,
        1,
        "held off without spending a call"
    );
}

#[tokio::test]
async fn a_429_without_rate_limit_headers_backs_off_with_jitter_and_answers_503() {
    // Arrange: BigCommerce's platform is shedding load: a bare 429.
    let app = spawn_app().await;
    app.add_item(101, None, 1).await;
    app.inject_faults(json!({"rules": [
        {"route": "POST /v3/carts/*/items", "status": 429, "with_rate_limit_headers": false, "count": 1}
    ]}))
    .await;
    let before = app.sandbox_stats().await;

    // Act
    let (status, retry_after, problem) = problem_of(app.add_item(104, None, 1).await).await;

    // Assert
    assert_eq!(status, 503);
    assert_eq!(problem["code"], "upstream_rate_limited");
    let retry_after: u64 = retry_after.expect("Retry-After").parse().expect("seconds");
    assert!(
        (2..=4).contains(&retry_after),
        "our own back-off, 2 s plus jitter: {retry_after}"
    );
    assert_eq!(app.sandbox_stats().await.since(&before).total, 1);
}

/// A session whose cart holds a mug; returns its line id.
async fn with_a_mug(app: &TestApp) -> String {
    line_id(&cart_body(app.add_item(101, None, 1).await).await, 101)
}

#[tokio::test]
async fn bigcommerce_5xx_and_broken_connections_answer_502_upstream_unavailable() {
    let faults = [
        (json!({"status": 500}), "500"),
        (json!({"status": 503}), "503"),
        (json!({"status": 502}), "502"),
        (
            json!({"status": 200, "drop_connection": true}),
            "a response cut off",
        ),
    ];
    for (fault, why) in faults {
        // Arrange
        let app = spawn_app().await;
        let mug = with_a_mug(&app).await;
        let operations = ["add", "change", "remove", "checkout"];
        for operation in operations {
            let route = match operation {
                "add" => "POST /v3/carts/*/items",
                "change" => "PUT /v3/carts/*/items/*",
                "remove" => "DELETE /v3/carts/*/items/*",
                _ => "POST /v3/carts/*/redirect_urls",
            };
            let mut rule = fault.clone();
            rule["route"] = route.into();
            rule["count"] = 1.into();
            app.inject_faults(json!({"rules": [rule]})).await;

            // Act
            let response = match operation {
                "add" => app.add_item(104, None, 1).await,
                "change" => app.patch_item(&mug, 2).await,
                "remove" => app.delete_item(&mug).await,
                _ => app.checkout().await,
            };

            // Assert
            let (status, _, problem) = problem_of(response).await;
            assert_eq!(status, 502, "{operation} / {why}: {problem}");
            assert_eq!(
                problem["code"], "upstream_unavailable",
                "{operation} / {why}"
            );
            app.clear_faults().await;
        }
        assert_eq!(
            app.sandbox_carts().await.len(),
            1,
            "{why}: never a second cart"
        );
        assert_eq!(
            cart_body(app.get_cart().await).await["item_count"],
            1,
            "{why}: the cart is as it was"
        );
    }
}

#[tokio::test]
async fn a_5xx_on_the_first_add_leaves_no_cart_and_the_next_add_creates_one() {
    // Arrange
    let app = spawn_app().await;
    app.inject_faults(json!({"rules": [{"route": "POST /v3/carts", "status": 500, "count": 1}]}))
        .await;

    // Act
    let failed = app.add_item(101, None, 1).await;
    let retried = app.add_item(101, None, 1).await;

    // Assert
    assert_eq!(failed.status().as_u16(), 502);
    assert_eq!(retried.status().as_u16(), 201);
    let stats = app.sandbox_stats().await;
    assert_eq!(
        stats.calls("POST /v3/carts"),
        2,
        "create is never retried blindly: {stats:?}"
    );
    assert_eq!(app.sandbox_carts().await.len(), 1);
}

#[tokio::test]
async fn reads_are_retried_once_on_a_5xx_because_repeating_them_is_safe() {
    let cases = [
        (1, 200, 2, "one failure, then the retry succeeds"),
        (2, 502, 2, "two failures: give up after one retry"),
    ];
    for (failures, expected_status, expected_calls, why) in cases {
        // Arrange: no snapshot to fall back on, so the read must ask BigCommerce.
        let app = spawn_app().await;
        app.add_item(101, None, 1).await;
        sqlx::query("DELETE FROM cart_snapshots")
            .execute(&app.db_pool)
            .await
            .expect("drop snapshots");
        app.inject_faults(json!({"rules": [
            {"route": "GET /v3/carts/*", "status": 503, "count": failures}
        ]}))
        .await;
        let before = app.sandbox_stats().await;

        // Act
        let response = app.get_cart().await;

        // Assert
        assert_eq!(response.status().as_u16(), expected_status, "{why}");
        let stats = app.sandbox_stats().await.since(&before);
        assert_eq!(
            stats.calls("GET /v3/carts/{cart_id}"),
            expected_calls,
            "{why}: {stats:?}"
        );
    }
}

#[tokio::test]
async fn a_bigcommerce_timeout_answers_504_upstream_timeout() {
    // Arrange
    let app = spawn_app_with(|settings| settings.bigcommerce.timeout_ms = 250).await;
    let mug = with_a_mug(&app).await;
    let cases = [
        ("POST /v3/carts/*/items", "add"),
        ("PUT /v3/carts/*/items/*", "change"),
        ("POST /v3/carts/*/redirect_urls", "checkout"),
    ];
    for (route, operation) in cases {
        app.inject_faults(json!({"rules": [{"route": route, "latency_ms": 600, "count": 1}]}))
            .await;
        let before = app.sandbox_stats().await;

        // Act
        let response = match operation {
            "add" => app.add_item(104, None, 1).await,
            "change" => app.patch_item(&mug, 2).await,
            _ => app.checkout().await,
        };

        // Assert
        let (status, _, problem) = problem_of(response).await;
        assert_eq!(status, 504, "{operation}: {problem}");
        assert_eq!(problem["code"], "upstream_timeout", "{operation}");
        // A change whose outcome is unknown marks the snapshot stale, so the next change
        // first reads the cart once (a read, not a repeat).
        let stats = app.sandbox_stats().await.since(&before);
        assert!(
            stats.total - stats.calls("GET /v3/carts/{cart_id}") <= 1,
            "{operation}: a change is never repeated: {stats:?}"
        );
        app.clear_faults().await;
    }
}

#[tokio::test]
async fn the_global_sandbox_latency_fault_beyond_the_timeout_answers_504() {
    // Arrange
    let app = spawn_app_with(|settings| settings.bigcommerce.timeout_ms = 200).await;
    app.inject_faults(json!({"latency_ms": 500})).await;

    // Act
    let (status, _, problem) = problem_of(app.add_item(101, None, 1).await).await;

    // Assert
    assert_eq!(status, 504);
    assert_eq!(problem["code"], "upstream_timeout");
}

#[tokio::test]
async fn bigcommerce_422s_carry_its_title_as_detail_and_an_actionable_code() {
    // Arrange
    let app = spawn_app().await;
    let cases = [
        ("The product is out of stock.", "product_unavailable"),
        ("This product cannot be purchased.", "product_unavailable"),
        (
            "You can only purchase a maximum of 2 of the Limited Edition Print per order.",
            "quantity_limit",
        ),
        (
            "Please create some text for the Engraving option",
            "option_required",
        ),
        (
            "Something BigCommerce has never said before",
            "upstream_rejected",
        ),
    ];
    for (title, code) in cases {
        app.inject_faults(json!({"rules": [{
            "route": "POST /v3/carts", "status": 422, "count": 1,
            "body": {"status": 422, "title": title, "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"}
        }]}))
        .await;

        // Act
        let (status, _, problem) = problem_of(app.add_item(101, None, 1).await).await;

        // Assert
        assert_eq!(status, 422, "{title}");
        assert_eq!(problem["code"], code, "{title}");
        assert_eq!(
            problem["detail"], title,
            "{title}: BigCommerce's title is the detail"
        );
        app.clear_faults().await;
    }
}

#[tokio::test]
async fn a_quantity_change_bigcommerce_refuses_is_a_422_quantity_limit_and_costs_one_call() {
    // Arrange
    let app = spawn_app().await;
    let cart = cart_body(app.add_item(140, None, 1).await).await;
    let print = line_id(&cart, 140);
    let before = app.sandbox_stats().await;

    // Act
    let (status, _, problem) = problem_of(app.patch_item(&print, 3).await).await;

    // Assert
    assert_eq!(status, 422);
    assert_eq!(problem["code"], "quantity_limit");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("maximum")),
        "{problem}"
    );
    assert_eq!(app.sandbox_stats().await.since(&before).total, 1);
}
