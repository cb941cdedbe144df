//! BigCommerce webhooks: carts changed outside the service (an order placed on hosted
//! checkout, an edit on the hosted cart page) are seen at once; forged and repeated callbacks
//! change nothing more; registration is idempotent; the sweeper keeps what is alive.

use std::sync::Arc;
use std::time::{Duration, Instant};

use checkout_bff::bigcommerce::BigCommerceClient;
use checkout_bff::metrics::Metrics;
use checkout_bff::webhooks::{register_hooks, Registration};
use serde_json::{json, Value};
use url::Url;
use uuid::Uuid;

use crate::helpers::{cart_body, client, spawn_app, spawn_app_with, TestApp};

impl TestApp {
    /// The service's own webhook URL.
    pub(crate) fn webhook_url(&self) -> Url {
        Url::parse(&self.url(&self.settings.webhooks.path)).expect("webhook url")
    }

    /// Registers the service's hooks with the sandbox, as `checkout-bff webhooks register`.
    pub(crate) async fn register_webhooks(&self) -> Vec<Registration> {
        let metrics = Arc::new(Metrics::new().expect("metrics"));
        let client =
            BigCommerceClient::new(&self.settings.bigcommerce, &self.settings.quota, metrics)
                .expect("client");
        register_hooks(&client, &self.settings.webhooks, &self.webhook_url())
            .await
            .expect("register hooks")
    }

    /// Posts a callback `body`, with `secret` in the configured header when given.
    pub(crate) async fn post_webhook(
        &self,
        secret: Option<&str>,
        body: &Value,
    ) -> reqwest::Response {
        let mut request = reqwest::Client::new().post(self.webhook_url()).json(body);
        if let Some(secret) = secret {
            request = request.header(self.settings.webhooks.secret_header.as_str(), secret);
        }
        request.send().await.expect("post webhook")
    }

    pub(crate) fn webhook_secret(&self) -> String {
        use secrecy::ExposeSecret;
        self.settings.webhooks.secret.expose_secret().to_owned()
    }

    /// Waits until the sandbox has delivered `count` callbacks of `scope` to us.
    pub(crate) async fn wait_for_deliveries(&self, scope: &str, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let log: Vec<Value> = reqwest::get(self.sandbox_url("/webhooks/deliveries"))
                .await
                .expect("delivery log")
                .json()
                .await
                .expect("delivery log body");
            let delivered = log
                .iter()
                .filter(|d| d["scope"] == scope && d["delivered"] == true)
                .count();
            if delivered >= count {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{scope} delivered {delivered} of {count} times: {log:?}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The `stale` flag of `cart`'s snapshot; `None` when there is no snapshot.
    pub(crate) async fn snapshot_state(&self, cart: Uuid) -> Option<bool> {
        sqlx::query_scalar("SELECT stale FROM cart_snapshots WHERE cart_id = $1")
            .bind(cart)
            .fetch_optional(&self.db_pool)
            .await
            .expect("read snapshot")
    }

    pub(crate) async fn count_rows(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&self.db_pool)
            .await
            .expect("count rows")
    }
}

/// A store-level cart callback as BigCommerce sends it.
pub(crate) fn callback(scope: &str, cart: Uuid, hash: &str, created_at: i64) -> Value {
    json!({"scope": scope, "store_id": "1000001", "data": {"type": "cart", "id": cart},
           "hash": hash, "created_at": created_at, "producer": "stores/sandbox"})
}

/// A browser that opens `url` on the sandbox (a single-use redirect URL).
pub(crate) async fn open_in_browser(url: &str) -> (reqwest::Client, String) {
    let browser = client();
    let response = browser.get(url).send().await.expect("open hosted page");
    assert_eq!(response.status().as_u16(), 200, "hosted page refused");
    let html = response.text().await.expect("hosted page body");
    (browser, html)
}

#[tokio::test]
async fn placing_the_order_on_hosted_checkout_empties_the_cart_without_a_bigcommerce_call() {
    // Arrange
    let app = spawn_app().await;
    app.register_webhooks().await;
    assert_eq!(app.add_item(101, None, 2).await.status().as_u16(), 201);
    let cart = app.stored_cart_id().await;
    let checkout: Value = app.checkout().await.json().await.expect("checkout body");
    let (browser, _) = open_in_browser(checkout["checkout_url"].as_str().expect("url")).await;

    // Act: "Place order" on the sandbox's checkout page.
    let placed = browser
        .post(format!("{}/checkout/place-order", app.sandbox.base_url()))
        .form(&[("cart_id", cart.to_string())])
        .send()
        .await
        .expect("place order");
    assert_eq!(placed.status().as_u16(), 303);
    app.wait_for_deliveries("store/cart/converted", 1).await;
    let before = app.sandbox_stats().await;
    let response = app.get_cart().await;

    // Assert
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.expect("cart body");
    assert_eq!(body, json!({"cart": null, "warnings": []}));
    let calls = app.sandbox_stats().await.since(&before);
    assert_eq!(
        calls.total, 0,
        "BigCommerce was called: {:?}",
        calls.by_route
    );
    assert!(app.stored_cart_ids().await.is_empty());
    assert_eq!(app.snapshot_state(cart).await, None, "the snapshot is gone");
    let metrics = app.metrics().await;
    let processed = [("scope", "store/cart/converted"), ("result", "processed")];
    assert_eq!(metrics.value("webhook_deliveries_total", &processed), 1.0);
}

#[tokio::test]
async fn an_edit_on_the_hosted_cart_page_shows_on_the_next_read_despite_a_long_ttl() {
    // Arrange: a snapshot TTL long enough that only the webhook can make the read correct.
    let app = spawn_app_with(|settings| settings.cart.snapshot_ttl_seconds = 3600).await;
    app.register_webhooks().await;
    assert_eq!(app.add_item(101, None, 1).await.status().as_u16(), 201);
    // The add's own callback (creating a cart fires `created` and `updated` only) must be in
    // before the snapshot is refreshed below.
    app.wait_for_deliveries("store/cart/updated", 1).await;
    let cart = app.stored_cart_id().await;
    let checkout: Value = app
        .checkout_to("cart")
        .await
        .json()
        .await
        .expect("checkout body");
    // The hand-off marked the snapshot stale; this read refreshes it.
    let refreshed = cart_body(app.get_cart().await).await;
    assert_eq!(refreshed["line_items"][0]["quantity"], 1);
    assert_eq!(app.snapshot_state(cart).await, Some(false));
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
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.snapshot_state(cart).await != Some(true) {
        assert!(Instant::now() < deadline, "the updated webhook never came");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let cart_now = cart_body(app.get_cart().await).await;

    // Assert
    assert_eq!(cart_now["line_items"][0]["quantity"], 3);
}

#[tokio::test]
async fn a_forged_webhook_changes_nothing() {
    // Arrange
    let app = spawn_app().await;
    assert_eq!(app.add_item(101, None, 1).await.status().as_u16(), 201);
    let cart = app.stored_cart_id().await;
    let body = callback("store/cart/converted", cart, "f0", 1_761_000_000);

    // Act
    let missing = app.post_webhook(None, &body).await;
    let wrong = app.post_webhook(Some("not-the-secret"), &body).await;
    let almost = app
        .post_webhook(Some(&format!("{}x", app.webhook_secret())), &body)
        .await;

    // Assert
    for (response, case) in [(missing, "missing"), (wrong, "wrong"), (almost, "extended")] {
        assert_eq!(response.status().as_u16(), 401, "{case} secret");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let problem: Value = response.json().await.expect("problem");
        assert_eq!(problem["code"], "webhook_unauthorized", "{case} secret");
    }
    assert_eq!(app.stored_cart_id().await, cart);
    assert_eq!(app.snapshot_state(cart).await, Some(false));
    assert_eq!(app.count_rows("webhook_deliveries").await, 0);
    let rejected = app
        .metrics()
        .await
        .value("webhook_deliveries_total", &[("result", "rejected")]);
    assert_eq!(rejected, 3.0);
}

#[tokio::test]
async fn a_duplicate_delivery_is_processed_once() {
    // Arrange
    let app = spawn_app().await;
    assert_eq!(app.add_item(101, None, 1).await.status().as_u16(), 201);
    let cart = app.stored_cart_id().await;
    let secret = app.webhook_secret();
    let abandoned = callback("store/cart/abandoned", cart, "a1", 1_761_000_000);

    // Act: BigCommerce retries the same callback...
    for _ in 0..3 {
        let response = app.post_webhook(Some(&secret), &abandoned).await;
        assert_eq!(response.status().as_u16(), 200);
        assert!(response.headers().get("set-cookie").is_none());
    }
    // ...and a later abandonment of the same cart carries another token, so another hash.
    let later = callback("store/cart/abandoned", cart, "a2", 1_761_003_600);
    assert_eq!(
        app.post_webhook(Some(&secret), &later)
            .await
            .status()
            .as_u16(),
        200
    );

    // Assert
    let metrics = app.metrics().await;
    assert_eq!(metrics.value("carts_abandoned_total", &[]), 2.0);
    let by = |result| [("scope", "store/cart/abandoned"), ("result", result)];
    assert_eq!(
        metrics.value("webhook_deliveries_total", &by("processed")),
        2.0
    );
    assert_eq!(
        metrics.value("webhook_deliveries_total", &by("duplicate")),
        2.0
    );
    assert_eq!(app.count_rows("webhook_deliveries").await, 2);
    assert_eq!(
        app.stored_cart_id().await,
        cart,
        "abandoned is only counted"
    );
}

#[tokio::test]
async fn bodies_that_are_not_callbacks_are_acknowledged_and_counted_and_unknown_scopes_ignored() {
    // Arrange
    let app = spawn_app().await;
    assert_eq!(app.add_item(101, None, 1).await.status().as_u16(), 201);
    let cart = app.stored_cart_id().await;
    let secret = app.webhook_secret();
    let header = app.settings.webhooks.secret_header.clone();
    let raw = |body: Vec<u8>| {
        reqwest::Client::new()
            .post(app.webhook_url())
            .header(header.as_str(), secret.as_str())
            .body(body)
            .send()
    };

    // Act
    let not_json = raw(b"scope=store/cart/deleted".to_vec())
        .await
        .expect("post");
    let too_large = raw(vec![b' '; 20 * 1024]).await.expect("post");
    let bad_cart = app
        .post_webhook(
            Some(&secret),
            &json!({"scope": "store/cart/deleted", "hash": "x", "created_at": 1,
                    "data": {"type": "cart", "id": "../carts"}}),
        )
        .await;
    let unknown = app
        .post_webhook(
            Some(&secret),
            &json!({"scope": "store/product/updated", "hash": "p", "created_at": 1,
                    "data": {"type": "product", "id": 5}}),
        )
        .await;

    // Assert: a retry would be just as unreadable, and failed deliveries get a hook
    // deactivated, so each is acknowledged and counted.
    for (response, case) in [
        (not_json, "not JSON"),
        (too_large, "too large"),
        (bad_cart, "no cart id"),
    ] {
        assert_eq!(response.status().as_u16(), 200, "{case}");
    }
    let metrics = app.metrics().await;
    assert_eq!(
        metrics.value("webhook_deliveries_total", &[("result", "malformed")]),
        3.0
    );
    assert_eq!(unknown.status().as_u16(), 200);
    assert_eq!(app.stored_cart_id().await, cart);
    assert_eq!(app.count_rows("webhook_deliveries").await, 0);
}

#[tokio::test]
async fn registering_twice_creates_each_hook_once_repairs_ours_and_leaves_other_hooks_alone() {
    // Arrange: another system's hook, and one of ours made by hand without the secret.
    let app = spawn_app().await;
    let other =
        json!({"scope": "store/cart/updated", "destination": "https://other.example/hooks"});
    let manual = json!({"scope": "store/cart/converted", "destination": app.webhook_url()});
    for hook in [other, manual] {
        let response = app
            .bigcommerce_api(reqwest::Method::POST, "/v3/hooks", Some(hook))
            .await;
        assert_eq!(response.status().as_u16(), 200);
    }

    // Act
    let first = app.register_webhooks().await;
    let second = app.register_webhooks().await;

    // Assert
    let created = |regs: &[Registration]| {
        regs.iter()
            .filter(|r| matches!(r, Registration::Created(_)))
            .count()
    };
    assert_eq!((first.len(), created(&first)), (5, 4));
    assert_eq!((second.len(), created(&second)), (5, 0));
    let converted = first
        .iter()
        .find(|r| r.hook().scope == "store/cart/converted")
        .expect("converted hook");
    assert_eq!(
        converted.describe(),
        "secret fixed",
        "the hand-made hook is repaired"
    );
    assert!(converted.hook().carries_secret);
    assert!(second
        .iter()
        .all(|r| matches!(r, Registration::Existing(_))));
    let hooks: Value = app
        .bigcommerce_api(reqwest::Method::GET, "/v3/hooks", None)
        .await
        .json()
        .await
        .expect("hooks");
    let hooks = hooks["data"].as_array().expect("hooks").clone();
    assert_eq!(hooks.len(), 6);
    let header = &app.settings.webhooks.secret_header;
    let with_secret = hooks
        .iter()
        .filter(|hook| hook["headers"][header] == app.webhook_secret())
        .count();
    assert_eq!(with_secret, 5, "the other system's hook is left alone");
}

#[tokio::test]
async fn the_sweeper_removes_only_what_is_dead() {
    // Arrange: a live session with its cart, whose snapshot is old (referenced snapshots are
    // never orphans, whatever their age)...
    let app = spawn_app_with(|settings| {
        settings.session.sweep_interval_seconds = 1;
        settings.session.sweep_batch_size = 1;
    })
    .await;
    assert_eq!(app.add_item(101, None, 2).await.status().as_u16(), 201);
    let live_cart = app.stored_cart_id().await;
    let pool = &app.db_pool;
    let run = |sql: &'static str| async move {
        sqlx::query(sql).execute(pool).await.expect(sql);
    };
    run("ALTER TABLE cart_snapshots DISABLE TRIGGER cart_snapshots_set_updated_at").await;
    run("UPDATE cart_snapshots SET updated_at = now() - interval '2 days'").await;
    // ...an expired session, two old orphaned snapshots, one just written (it may be about to
    // be bound to a session), and webhook deliveries old and new.
    let (dead_cart, orphan, fresh_orphan) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    sqlx::query(
        "INSERT INTO sessions (id, token_hash, channel_id, cart_id, idle_expires_at, absolute_expires_at)
         VALUES ($1, $2, 1, $3, now() - interval '1 minute', now() + interval '1 day')",
    )
    .bind(Uuid::new_v4())
    .bind(vec![7u8; 32])
    .bind(dead_cart)
    .execute(pool)
    .await
    .expect("insert expired session");
    for (cart, age) in [
        (dead_cart, "2 hours"),
        (orphan, "2 hours"),
        (fresh_orphan, "0"),
    ] {
        sqlx::query(
            "INSERT INTO cart_snapshots (cart_id, body, updated_at)
             VALUES ($1, '{}', now() - $2::text::interval)",
        )
        .bind(cart)
        .bind(age)
        .execute(pool)
        .await
        .expect("insert snapshot");
    }
    run(
        "INSERT INTO webhook_deliveries (hash, scope, event_created_at, received_at)
         VALUES ('old', 'store/cart/updated', 1, now() - interval '4 days'),
                ('new', 'store/cart/updated', 2, now())",
    )
    .await;

    // Act: let the maintenance task run.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let metrics = app.metrics().await;
        let done = metrics.value("sessions_swept_total", &[]) >= 1.0
            && metrics.value("cart_snapshots_swept_total", &[]) >= 2.0
            && metrics.value("webhook_deliveries_swept_total", &[]) >= 1.0;
        if done {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the sweeper did not run: {metrics:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Assert
    assert_eq!(
        app.session_count().await,
        1,
        "only the live session is left"
    );
    assert_eq!(app.stored_cart_id().await, live_cart);
    assert_eq!(app.snapshot_state(live_cart).await, Some(false));
    assert_eq!(app.snapshot_state(dead_cart).await, None);
    assert_eq!(app.snapshot_state(orphan).await, None);
    assert!(app.snapshot_state(fresh_orphan).await.is_some());
    let kept: Vec<String> = sqlx::query_scalar("SELECT hash FROM webhook_deliveries")
        .fetch_all(pool)
        .await
        .expect("deliveries");
    assert_eq!(kept, vec!["new".to_owned()]);
    let cart = cart_body(app.get_cart().await).await;
    assert_eq!(
        cart["line_items"][0]["quantity"], 2,
        "the live cart still reads"
    );
}
