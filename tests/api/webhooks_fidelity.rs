//! Webhooks as a real store sends them: our own changes reported back cost nothing, under
//! every reading of `created_at` and whether the callback arrives before or after the next
//! read; changes made elsewhere still reach the next read; callbacks without `created_at`, or
//! with one of another shape, or that cannot be read are acknowledged; registration repairs
//! what it finds.

use std::time::{Duration, Instant};

use bc_sandbox::{SandboxConfig, WebhookCreatedAt};
use serde_json::{json, Value};

use crate::helpers::{cart_body, line_id, spawn_app, spawn_app_with_sandbox, TestApp};
use crate::webhooks::open_in_browser;

const READINGS: [WebhookCreatedAt; 3] = [
    WebhookCreatedAt::EventTime,
    WebhookCreatedAt::HookCreation,
    WebhookCreatedAt::Absent,
];

/// An app with its hooks registered, a long snapshot TTL (only callbacks can make a read
/// ask BigCommerce), callbacks carrying `created_at` as `reading` says, held back `delay`.
async fn app_with_hooks(reading: WebhookCreatedAt, delay: Duration) -> TestApp {
    let sandbox = SandboxConfig {
        webhook_created_at: reading,
        webhook_delay: delay,
        ..SandboxConfig::default()
    };
    let app = spawn_app_with_sandbox(sandbox, |settings| {
        settings.cart.snapshot_ttl_seconds = 3600;
    })
    .await;
    app.register_webhooks().await;
    app
}

impl TestApp {
    /// Waits until the sandbox has delivered `count` callbacks in all.
    async fn wait_for_all_deliveries(&self, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let log: Vec<Value> = reqwest::get(self.sandbox_url("/webhooks/deliveries"))
                .await
                .expect("delivery log")
                .json()
                .await
                .expect("delivery log body");
            let delivered = log.iter().filter(|d| d["delivered"] == true).count();
            if delivered >= count {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{delivered} of {count} delivered: {log:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Reads the cart; asserts it cost `calls` BigCommerce calls.
    async fn read_costing(&self, calls: u64, why: &str) -> Value {
        let before = self.sandbox_stats().await;
        let response = self.get_cart().await;
        assert_eq!(response.status().as_u16(), 200, "{why}");
        let cart = cart_body(response).await;
        let spent = self.sandbox_stats().await.since(&before).total;
        assert_eq!(spent, calls, "{why}");
        cart
    }
}

/// The standard journey (5 reads, 3 adds, a quantity change, a remove, a checkout). With
/// `wait`, each read comes after the callbacks of the change before it; without, before them.
/// Returns the BigCommerce calls it cost.
async fn journey(app: &TestApp, wait: bool, why: &str) -> u64 {
    // Callbacks each change causes (create: `updated`; the others: `updated` and a line's).
    let start = app.sandbox_stats().await;
    let mut expected = 0;
    let mut settle = |n: usize| {
        expected += n;
        expected
    };
    app.read_costing(0, why).await;
    let cart = cart_body(app.add_item(101, None, 1).await).await;
    let line_101 = line_id(&cart, 101);
    let total = settle(1);
    if wait {
        app.wait_for_all_deliveries(total).await;
    }
    app.read_costing(0, why).await;
    let cart = cart_body(app.add_item(102, None, 1).await).await;
    let line_102 = line_id(&cart, 102);
    let total = settle(2);
    if wait {
        app.wait_for_all_deliveries(total).await;
    }
    app.read_costing(0, why).await;
    assert_eq!(app.add_item(103, None, 1).await.status().as_u16(), 201);
    let total = settle(2);
    if wait {
        app.wait_for_all_deliveries(total).await;
    }
    app.read_costing(0, why).await;
    assert_eq!(app.patch_item(&line_101, 2).await.status().as_u16(), 200);
    let total = settle(2);
    if wait {
        app.wait_for_all_deliveries(total).await;
    }
    app.read_costing(0, why).await;
    assert_eq!(app.delete_item(&line_102).await.status().as_u16(), 200);
    let total = settle(2);
    // However late they come, the callbacks of our own changes never make a read pay.
    app.wait_for_all_deliveries(total).await;
    let cart = app.read_costing(0, why).await;
    assert_eq!(cart["item_count"], 3, "{why}");
    assert_eq!(app.checkout().await.status().as_u16(), 200, "{why}");
    app.sandbox_stats().await.since(&start).total
}

#[tokio::test]
async fn the_journey_costs_six_calls_when_callbacks_arrive_before_the_next_read() {
    for reading in READINGS {
        let app = app_with_hooks(reading, Duration::ZERO).await;
        let why = format!("created_at {reading:?}, callbacks first");
        let calls = journey(&app, true, &why).await;
        assert_eq!(calls, 6, "{why}: {:?}", app.sandbox_stats().await);
        let metrics = app.metrics().await;
        let known = metrics.value("webhook_deliveries_total", &[("result", "already_known")]);
        assert!(known >= 8.0, "{why}: {known} callbacks known as ours");
    }
}

#[tokio::test]
async fn the_journey_costs_six_calls_when_callbacks_arrive_after_the_next_read() {
    for reading in READINGS {
        let app = app_with_hooks(reading, Duration::from_millis(300)).await;
        let why = format!("created_at {reading:?}, reads first");
        let calls = journey(&app, false, &why).await;
        assert_eq!(calls, 6, "{why}: {:?}", app.sandbox_stats().await);
        let metrics = app.metrics().await;
        let known = metrics.value("webhook_deliveries_total", &[("result", "already_known")]);
        assert_eq!(known, 9.0, "{why}: every callback was an echo of ours");
    }
}

#[tokio::test]
async fn a_change_on_the_hosted_cart_page_reaches_the_next_read() {
    for reading in READINGS {
        // Arrange: a cart, its hand-off, and a read that refreshed the snapshot.
        let app = app_with_hooks(reading, Duration::ZERO).await;
        let why = format!("created_at {reading:?}");
        assert_eq!(app.add_item(101, None, 1).await.status().as_u16(), 201);
        app.wait_for_all_deliveries(1).await;
        let checkout: Value = app
            .api_client
            .post(app.url("/api/cart/checkout?target=cart"))
            .send()
            .await
            .expect("hand-off")
            .json()
            .await
            .expect("checkout body");
        app.read_costing(1, &why).await;
        let (browser, html) = open_in_browser(checkout["url"].as_str().expect("url")).await;
        let item = html
            .split("/cart.php/items/")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .expect("a quantity form on the hosted cart page")
            .to_owned();

        // Act: the shopper changes the quantity on BigCommerce's page.
        let updated = browser
            .post(format!(
                "{}/cart.php/items/{item}/update",
                app.sandbox.base_url()
            ))
            .form(&[("quantity", "3")])
            .send()
            .await
            .expect("update on the hosted cart");
        assert_eq!(updated.status().as_u16(), 303);
        app.wait_for_all_deliveries(3).await;

        // Assert
        let cart = app.read_costing(1, &why).await;
        assert_eq!(cart["line_items"][0]["quantity"], 3, "{why}");
    }
}

#[tokio::test]
async fn a_change_made_elsewhere_right_after_ours_still_reaches_the_next_read() {
    for reading in READINGS {
        // Arrange: callbacks are slow, so another app's change lands before our own echo.
        let app = app_with_hooks(reading, Duration::from_millis(300)).await;
        let why = format!("created_at {reading:?}");
        let cart = cart_body(app.add_item(101, None, 1).await).await;
        let line = line_id(&cart, 101);
        let cart_id = app.stored_cart_id().await;

        // Act: another integration changes the quantity through the API at once.
        let response = app
            .bigcommerce_api(
                reqwest::Method::PUT,
                &format!("/v3/carts/{cart_id}/items/{line}"),
                Some(json!({"line_item": {"product_id": 101, "quantity": 5}})),
            )
            .await;
        assert_eq!(response.status().as_u16(), 200, "{why}");
        // Our echo (`updated`) and theirs (`updated`, `lineItem/updated`).
        app.wait_for_all_deliveries(3).await;

        // Assert
        let cart = app.read_costing(1, &why).await;
        assert_eq!(cart["line_items"][0]["quantity"], 5, "{why}");
    }
}

#[tokio::test]
async fn a_callback_without_created_at_is_accepted_and_deduplicated_by_scope_and_hash() {
    // Arrange
    let app = app_with_hooks(WebhookCreatedAt::EventTime, Duration::ZERO).await;
    assert_eq!(app.add_item(101, None, 1).await.status().as_u16(), 201);
    let cart = app.stored_cart_id().await;
    let secret = app.webhook_secret();
    let abandoned = json!({"scope": "store/cart/abandoned", "store_id": "1000001",
        "data": {"type": "cart", "id": cart, "token": "t1"}, "hash": "h1",
        "producer": "stores/sandbox"});

    // Act: delivered, then retried.
    let first = app.post_webhook(Some(&secret), &abandoned).await;
    let retry = app.post_webhook(Some(&secret), &abandoned).await;

    // Assert
    assert_eq!(first.status().as_u16(), 200);
    assert_eq!(retry.status().as_u16(), 200);
    let metrics = app.metrics().await;
    assert_eq!(metrics.value("carts_abandoned_total", &[]), 1.0);
    let by = |result| [("scope", "store/cart/abandoned"), ("result", result)];
    assert_eq!(
        metrics.value("webhook_deliveries_total", &by("duplicate")),
        1.0
    );
}

/// `created_at` is only a hint (reference §1.8): a callback carrying it as a numeric string
/// (not the documented integer) is acted on, not dropped as malformed.
#[tokio::test]
async fn a_converted_callback_whose_created_at_is_a_numeric_string_forgets_the_cart() {
    // Arrange
    let app = spawn_app().await;
    app.add_item(101, None, 1).await;
    let cart = app.stored_cart_id().await;
    let body = json!({"scope": "store/cart/converted", "store_id": "1000001",
        "data": {"type": "cart", "id": cart, "orderId": 100},
        "hash": "5d1c0b0c0e1b7d6c1c6c3f0a2f0c9f7f2d6a1e3b", "created_at": "1561486893",
        "producer": "stores/sandbox"});

    // Act
    let response = app.post_webhook(Some(&app.webhook_secret()), &body).await;

    // Assert
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        app.stored_cart_ids().await.is_empty(),
        "the converted cart is still the session's"
    );
}

#[tokio::test]
async fn registering_again_reactivates_deactivated_hooks_and_fixes_stale_secrets() {
    // Arrange: BigCommerce deactivated one hook (after 48 hours of failed deliveries) and
    // another one's secret header no longer matches ours (the secret was rotated).
    let app = spawn_app_with_sandbox(SandboxConfig::default(), |settings| {
        settings.webhooks.coupons_in_use = true;
    })
    .await;
    let first = app.register_webhooks().await;
    assert_eq!(first.len(), 6, "couponApplied is registered too");
    let id_of = |scope: &str| {
        first
            .iter()
            .find(|r| r.hook().scope == scope)
            .map(|r| r.hook().id)
            .expect(scope)
    };
    let header = app.settings.webhooks.secret_header.clone();
    for (scope, change) in [
        ("store/cart/converted", json!({"is_active": false})),
        (
            "store/cart/updated",
            json!({"headers": {&header: "an old secret"}}),
        ),
    ] {
        let response = app
            .bigcommerce_api(
                reqwest::Method::PUT,
                &format!("/v3/hooks/{}", id_of(scope)),
                Some(change),
            )
            .await;
        assert_eq!(response.status().as_u16(), 200);
    }

    // Act
    let second = app.register_webhooks().await;

    // Assert
    let said = |scope: &str| {
        second
            .iter()
            .find(|r| r.hook().scope == scope)
            .map(|r| r.describe())
            .expect(scope)
    };
    assert_eq!(said("store/cart/converted"), "reactivated");
    assert_eq!(said("store/cart/updated"), "secret fixed");
    assert_eq!(said("store/cart/couponApplied"), "ok");
    let hooks: Value = app
        .bigcommerce_api(reqwest::Method::GET, "/v3/hooks", None)
        .await
        .json()
        .await
        .expect("hooks");
    let hooks = hooks["data"].as_array().expect("hooks").clone();
    assert_eq!(hooks.len(), 6, "repaired in place, nothing created");
    for hook in &hooks {
        assert_eq!(hook["is_active"], true, "{hook}");
        assert_eq!(hook["headers"][&header], app.webhook_secret(), "{hook}");
    }
    let stats = app.sandbox_stats().await;
    assert_eq!(
        stats.calls("PUT /v3/hooks/{hook_id}"),
        4,
        "2 by the test, 2 repairs"
    );
}
