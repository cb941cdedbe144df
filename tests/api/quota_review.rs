//! The review of issue 12 ("The store's API quota as a managed budget"): each test is a break
//! the review found, a request sequence (an attacker's, or a real store's: other apps spending
//! the quota, late or early callbacks, odd headers, several instances), and asserts the rule
//! that now holds against it (README, "The store's API quota", "Fair shares", "Webhooks",
//! "Sessions"). Each test's comment describes the break it guards against.

use std::time::{Duration, Instant};

use bc_sandbox::{SandboxConfig, WebhookCreatedAt};
use futures_util::future::join_all;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::helpers::{
    cart_body, client, configured_rate_limits, cookieless_client, line_id, one_line, set_cookie,
    share_of, spawn_app, spawn_app_with, spawn_app_with_sandbox, spawn_second_instance, TestApp,
};
use crate::pages::csrf_token;

const ATTACKER: &str = "198.51.100.66";
const SHOPPER: &str = "203.0.113.7";

type Settings = checkout_bff::configuration::Settings;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// 429s the sandbox answered since its last reset.
async fn sandbox_429s(app: &TestApp) -> u64 {
    let stats: Value = reqwest::get(app.sandbox_url("/stats"))
        .await
        .expect("stats")
        .json()
        .await
        .expect("stats body");
    stats["by_status"]["429"].as_u64().unwrap_or(0)
}

/// An app with its hooks registered and a long snapshot TTL (only callbacks can make a read
/// ask BigCommerce), callbacks without `created_at` (as BigCommerce's HTTPS examples).
async fn app_with_hooks(customise: impl FnOnce(&mut Settings)) -> TestApp {
    let sandbox = SandboxConfig {
        webhook_created_at: WebhookCreatedAt::Absent,
        webhook_delay: Duration::ZERO,
        ..SandboxConfig::default()
    };
    let app = spawn_app_with_sandbox(sandbox, |settings| {
        settings.cart.snapshot_ttl_seconds = 3600;
        customise(settings);
    })
    .await;
    app.register_webhooks().await;
    app
}

/// Waits until the sandbox has delivered (and our receiver acknowledged) `count` callbacks.
async fn wait_delivered(app: &TestApp, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log: Vec<Value> = reqwest::get(app.sandbox_url("/webhooks/deliveries"))
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

/// Reads the cart; returns it and the BigCommerce calls the read cost.
async fn read_counting(app: &TestApp) -> (Value, u64) {
    let before = app.sandbox_stats().await;
    let response = app.get_cart().await;
    assert_eq!(response.status().as_u16(), 200);
    let cart = cart_body(response).await;
    (cart, app.sandbox_stats().await.since(&before).total)
}

/// The app behind one trusted proxy (tests name the client's address in X-Forwarded-For)
/// with the fair shares `config/` sets, then `customise`.
async fn app_with_shares(customise: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_with(|settings| {
        settings.rate_limits = configured_rate_limits();
        settings.rate_limits.trusted_proxy_hops = 1;
        customise(settings);
    })
    .await
}

/// A first add from a client without cookies (a fresh session) at `address`.
async fn fresh_add_from(url: &str, address: &str) -> u16 {
    cookieless_client()
        .post(format!("{url}/api/cart/items"))
        .header("X-Forwarded-For", address)
        .json(&one_line(104, None, 1))
        .send()
        .await
        .expect("add")
        .status()
        .as_u16()
}

/// What the address's fair-share row says it spent in its current window (the row is keyed
/// by a labelled SHA-256 of the address, as `fair_shares::key` makes it).
async fn address_spent(app: &TestApp, address: &str) -> i32 {
    let mut hasher = Sha256::new();
    hasher.update(b"address");
    hasher.update([0]);
    hasher.update(address.as_bytes());
    let key = hasher.finalize().to_vec();
    sqlx::query_scalar("SELECT spent FROM fair_shares WHERE spender = $1")
        .bind(key)
        .fetch_optional(&app.db_pool)
        .await
        .expect("read fair shares")
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// 1. One budget for the store: odd headers, other apps, several instances
// ---------------------------------------------------------------------------------------------

/// BigCommerce sends a 429 without rate-limit headers when the platform itself is shedding
/// load (reference §3). Answered as the first call after the window the service knew has ended
/// (it then holds no reset time), it leaves the budget at 0 left with nothing that would ever
/// refill it: every call of every class, checkout included, is shed for good.
#[tokio::test]
async fn a_bare_429_holds_calls_off_for_a_back_off_and_then_they_go_again() {
    // Arrange: short windows, so the one the service learnt ends within the test.
    let app = spawn_app().await;
    app.inject_faults(json!({"rate_limit": {"enforce": false, "quota": 150, "window_ms": 1000}}))
        .await;
    assert_eq!(app.add_item(101, None, 1).await.status().as_u16(), 201);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    app.inject_faults(json!({"rules": [{
        "route": "POST /v3/carts/*/items", "status": 429, "count": 1,
        "with_rate_limit_headers": false
    }]}))
    .await;
    let limited = app.add_item(102, None, 1).await;
    assert_eq!(limited.status().as_u16(), 503, "the platform's 429");

    // Act: well past its back-off (2 to 4 s) and several of the store's windows.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let add = app.add_item(103, None, 1).await;
    let add_status = add.status().as_u16();
    let add_body: Value = add.json().await.unwrap_or(Value::Null);
    let checkout = app.checkout().await;
    let checkout_status = checkout.status().as_u16();
    let checkout_body: Value = checkout.json().await.unwrap_or(Value::Null);

    // Assert
    assert_eq!(add_status, 201, "cart calls go again: {add_body}");
    assert_eq!(
        checkout_status, 200,
        "checkout is served again: {checkout_body}"
    );
}

/// Each instance counts only its own calls in flight against what BigCommerce last said is
/// left, so two instances together admit twice what is left: the store is driven into 429.
#[tokio::test]
async fn instances_told_how_many_they_are_never_drive_the_store_into_429_together() {
    // Arrange: a store of 20 requests per minute, enforced; cart creation is slow enough for
    // a burst to be in flight at once. Both instances are told there are two of them
    // (`quota.instances`, as a deployment of two replicas sets it).
    let app = spawn_app_with(|settings| settings.quota.instances = 2).await;
    let second = spawn_second_instance(&app).await;
    app.inject_faults(json!({
        "rate_limit": {"enforce": true, "quota": 20, "window_ms": 60000},
        "rules": [{"route": "POST /v3/carts", "latency_ms": 300}]
    }))
    .await;
    // Each instance learns what is left from an answer of its own.
    assert_eq!(fresh_add_from(&app.address, SHOPPER).await, 201);
    assert_eq!(fresh_add_from(&second.address, SHOPPER).await, 201);

    // Act: twelve first adds at once on each instance (18 requests are left in the window).
    let burst = (0..24).map(|n| {
        let url = if n % 2 == 0 {
            app.address.clone()
        } else {
            second.address.clone()
        };
        async move { fresh_add_from(&url, SHOPPER).await }
    });
    let statuses = join_all(burst).await;

    // Assert
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 503),
        "{statuses:?}"
    );
    assert_eq!(
        sandbox_429s(&app).await,
        0,
        "the service drove the store into 429: {statuses:?}"
    );
}

/// When the window the service knew ends, it assumes the whole quota is back, as though no
/// other app had spent any of the new window, and admits a burst before any answer of the new
/// window says otherwise (only the very first call after start-up goes alone).
#[tokio::test]
async fn after_the_window_turns_one_call_learns_what_other_apps_left_before_a_burst() {
    // Arrange: 20 requests per 2 s, enforced; slow cart creation.
    let app = spawn_app().await;
    app.inject_faults(json!({
        "rate_limit": {"enforce": true, "quota": 20, "window_ms": 2000},
        "rules": [{"route": "POST /v3/carts", "latency_ms": 300}]
    }))
    .await;
    assert_eq!(fresh_add_from(&app.address, SHOPPER).await, 201);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    // The merchant's ERP opens the new window and spends 14 of its 20 requests.
    for _ in 0..14 {
        let time = app
            .bigcommerce_api(reqwest::Method::GET, "/v2/time", None)
            .await;
        assert_eq!(time.status().as_u16(), 200);
    }

    // Act: a burst of twelve first adds (6 requests are left).
    let statuses = join_all((0..12).map(|_| fresh_add_from(&app.address, SHOPPER))).await;

    // Assert
    assert_eq!(
        sandbox_429s(&app).await,
        0,
        "the service drove the store into 429: {statuses:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Fair shares: calls that are never charged, charges refunded though the calls were made
// ---------------------------------------------------------------------------------------------

/// A checkout hand-off marks the snapshot stale, so every further checkout first re-reads the
/// cart (at checkout's own priority) and then mints URLs: two calls, charged as one. One
/// session (and one address) spends about twice its share, all of it in the band that only
/// checkouts may spend.
#[tokio::test]
async fn every_call_a_checkout_makes_is_charged_so_repeated_checkouts_stay_within_the_share() {
    // Arrange: a session and an address share of 10 calls per window.
    let app = app_with_shares(|settings| {
        settings.rate_limits.session_share = share_of(10);
        settings.rate_limits.address_share = share_of(10);
    })
    .await;
    let http = client();
    let before = app.sandbox_stats().await;
    let added = http
        .post(app.url("/api/cart/items"))
        .header("X-Forwarded-For", ATTACKER)
        .json(&one_line(104, None, 1))
        .send()
        .await
        .expect("add");
    assert_eq!(added.status().as_u16(), 201);

    // Act
    let mut statuses = Vec::new();
    for _ in 0..20 {
        let response = http
            .post(app.url("/api/cart/checkout"))
            .header("X-Forwarded-For", ATTACKER)
            .send()
            .await
            .expect("checkout");
        statuses.push(response.status().as_u16());
    }

    // Assert
    let spent = app.sandbox_stats().await.since(&before);
    assert!(
        spent.total <= 10,
        "one session spent {} calls against a share of 10 ({statuses:?}): {spent:?}",
        spent.total
    );
}

/// Reads spend no share, yet a read of a snapshot past its TTL calls BigCommerce. An address
/// that opened as many carts as its share allows reads each of them once per TTL, and so
/// spends any multiple of its share of every window (and the whole refresh band: every other
/// shopper's revalidations are shed).
#[tokio::test]
async fn reads_that_revalidate_spend_the_share_and_get_the_snapshot_once_it_is_spent() {
    // Arrange: an address share of 5 calls per window; snapshots go stale after a second.
    let app = app_with_shares(|settings| {
        settings.rate_limits.address_share = share_of(5);
        settings.cart.snapshot_ttl_seconds = 1;
    })
    .await;
    let before = app.sandbox_stats().await;
    let mut browsers = Vec::new();
    for _ in 0..5 {
        let browser = client();
        let added = browser
            .post(app.url("/api/cart/items"))
            .header("X-Forwarded-For", ATTACKER)
            .json(&one_line(104, None, 1))
            .send()
            .await
            .expect("add");
        assert_eq!(added.status().as_u16(), 201);
        browsers.push(browser);
    }
    assert_eq!(
        fresh_add_from(&app.address, ATTACKER).await,
        429,
        "the share is spent"
    );

    // Act: three rounds of reading every cart once its snapshot has gone stale.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(1100)).await;
        for browser in &browsers {
            let read = browser
                .get(app.url("/api/cart"))
                .header("X-Forwarded-For", ATTACKER)
                .send()
                .await
                .expect("read");
            assert_eq!(read.status().as_u16(), 200);
        }
    }

    // Assert
    let spent = app.sandbox_stats().await.since(&before);
    assert!(
        spent.total <= 5,
        "one address spent {} calls within one window against a share of 5: {spent:?}",
        spent.total
    );
}

/// A charge is given back when the change "called nobody" (the budget shed it), judged by the
/// last error only. A quantity change of a line with a text option first reads the cart (a
/// call, in the change class), then needs the catalog (the refresh class, shed first): under
/// pressure the read is made, the catalog shed, and the whole charge refunded. Each such
/// request is a free call in the band that protects adds and recoveries.
#[tokio::test]
async fn a_change_keeps_the_charge_of_the_calls_it_made_when_a_later_one_is_shed() {
    // Arrange: 20 requests per minute; every line change re-reads the cart.
    let app = app_with_shares(|settings| {
        settings.rate_limits = crate::helpers::test_settings().rate_limits;
        settings.rate_limits.trusted_proxy_hops = 1;
        settings.cart.snapshot_ttl_seconds = 0;
    })
    .await;
    app.inject_faults(json!({"rate_limit": {"enforce": true, "quota": 20, "window_ms": 60000}}))
        .await;
    let attacker = client();
    let added = attacker
        .post(app.url("/api/cart/items"))
        .header("X-Forwarded-For", ATTACKER)
        .json(&json!({"line_items": [{"product_id": 120, "quantity": 1,
            "option_selections": [{"option_id": 401, "option_value": "Hi"}]}]}))
        .send()
        .await
        .expect("add");
    assert_eq!(added.status().as_u16(), 201);
    let line = line_id(&cart_body(added).await, 120);
    // Other shoppers bring the window down to where refreshes are shed (8 left of 20) and
    // changes are not.
    for _ in 0..11 {
        assert_eq!(fresh_add_from(&app.address, SHOPPER).await, 201);
    }
    assert_eq!(address_spent(&app, ATTACKER).await, 1);
    let before = app.sandbox_stats().await;

    // Act
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let response = attacker
            .patch(app.url(&format!("/api/cart/items/{line}")))
            .header("X-Forwarded-For", ATTACKER)
            .json(&json!({"quantity": 2}))
            .send()
            .await
            .expect("patch");
        statuses.push(response.status().as_u16());
    }

    // Assert
    let made = app.sandbox_stats().await.since(&before).total;
    assert!(made >= 1, "the changes did call BigCommerce: {statuses:?}");
    assert_eq!(
        i64::from(address_spent(&app, ATTACKER).await),
        1 + made as i64,
        "every call made for the address is charged to it ({made} calls, {statuses:?})"
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Own changes cost nothing twice, and a change elsewhere is never hidden
// ---------------------------------------------------------------------------------------------

/// A callback that marked the snapshot stale (a change made elsewhere) is undone when the
/// answer to one of our own changes, sent before that other change, arrives after its
/// callback: `save_snapshot` sets `stale = false` for an answer older than what BigCommerce
/// now holds. The other change is hidden until the TTL.
#[tokio::test]
async fn an_answer_to_a_request_sent_before_a_stale_mark_leaves_the_mark() {
    // Arrange
    let app = app_with_hooks(|_| {}).await;
    let cart = cart_body(app.add_item(101, None, 1).await).await;
    let line = line_id(&cart, 101);
    let cart_id = app.stored_cart_id().await;
    wait_delivered(&app, 1).await;
    // Our next add lands at once, but its answer takes 1.5 s to come back.
    app.inject_faults(json!({"rules": [{
        "route": "POST /v3/carts/*/items", "applied": true, "latency_ms": 1500, "count": 1
    }]}))
    .await;

    // Act: while it is on its way, another app changes the quantity of the first line.
    let elsewhere = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let response = app
            .bigcommerce_api(
                reqwest::Method::PUT,
                &format!("/v3/carts/{cart_id}/items/{line}"),
                Some(json!({"line_item": {"product_id": 101, "quantity": 5}})),
            )
            .await;
        assert_eq!(response.status().as_u16(), 200);
        // Ours (updated, lineItem/created) and theirs (updated, lineItem/updated).
        wait_delivered(&app, 5).await;
    };
    let (added, ()) = tokio::join!(app.add_item(102, None, 1), elsewhere);
    assert_eq!(added.status().as_u16(), 201);

    // Assert
    let (cart, calls) = read_counting(&app).await;
    let quantity = cart["line_items"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["product_id"] == 101)
        .map(|l| l["quantity"].clone());
    assert_eq!(
        quantity,
        Some(json!(5)),
        "the other app's change reaches the next read ({calls} calls): {cart}"
    );
}

/// An add whose answer is lost (a timeout: BigCommerce applied it) takes its expected
/// callbacks back; but its own callbacks came while it waited and were taken as echoes of a
/// change the service holds. Nothing marks the snapshot stale: the read shows a cart without
/// the line BigCommerce has, until the TTL (and the shopper adds it again).
#[tokio::test]
async fn a_change_whose_outcome_is_unknown_marks_the_snapshot_stale() {
    // Arrange
    let app = app_with_hooks(|settings| settings.bigcommerce.timeout_ms = 1000).await;
    assert_eq!(app.add_item(101, None, 1).await.status().as_u16(), 201);
    wait_delivered(&app, 1).await;
    app.inject_faults(json!({"rules": [{
        "route": "POST /v3/carts/*/items", "applied": true, "latency_ms": 2500, "count": 1
    }]}))
    .await;

    // Act
    let lost = app.add_item(102, None, 1).await;
    assert_ne!(lost.status().as_u16(), 201, "the answer was lost");
    wait_delivered(&app, 3).await;

    // Assert
    let (cart, calls) = read_counting(&app).await;
    let products: Vec<i64> = cart["line_items"]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .filter_map(|l| l["product_id"].as_i64())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        products.contains(&102),
        "the line BigCommerce holds reaches the next read ({calls} calls): {cart}"
    );
}

/// Applying a code that is already applied changes nothing on BigCommerce and fires no
/// callback, yet the service expects its `updated`. For ten seconds a change made elsewhere
/// that fires only `updated` (another app removing the coupon, or assigning the cart) is
/// taken for that echo and never reaches a read.
#[tokio::test]
async fn reapplying_an_applied_coupon_calls_nobody_and_expects_no_echo() {
    // Arrange: a cart with SAVE10 applied, its callbacks in.
    let app = app_with_hooks(|_| {}).await;
    assert_eq!(app.add_item(101, None, 3).await.status().as_u16(), 201);
    let apply = || async {
        app.api_client
            .post(app.url("/api/cart/coupons"))
            .json(&json!({"code": "SAVE10"}))
            .send()
            .await
            .expect("apply")
    };
    assert_eq!(apply().await.status().as_u16(), 200);
    wait_delivered(&app, 2).await;
    let cart_id = app.stored_cart_id().await;

    // Act: the shopper presses "apply" again; then the merchant's promotions app takes the
    // coupon off through the API.
    assert_eq!(apply().await.status().as_u16(), 200);
    let removed = app
        .bigcommerce_api(
            reqwest::Method::DELETE,
            &format!("/v3/checkouts/{cart_id}/coupons/SAVE10"),
            None,
        )
        .await;
    assert_eq!(removed.status().as_u16(), 200);
    wait_delivered(&app, 3).await;

    // Assert
    let (cart, calls) = read_counting(&app).await;
    assert_eq!(
        cart["coupons"],
        json!([]),
        "the removal made elsewhere reaches the next read ({calls} calls)"
    );
}

// ---------------------------------------------------------------------------------------------
// 4. Sessions stored only when there is something to store; tokens rotate with the session
// ---------------------------------------------------------------------------------------------

/// A recovery with an Idempotency-Key stores the session (to keep the key) before the token is
/// even looked up: every guessed token stores a session row that lives a week, though nothing
/// was written.
#[tokio::test]
async fn a_first_write_with_an_idempotency_key_stores_nothing_until_it_writes() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let mut statuses = Vec::new();
    for n in 0..5 {
        let response = cookieless_client()
            .post(app.url("/api/cart/recover"))
            .header("Idempotency-Key", format!("guess-{n}"))
            .json(&json!({"token": format!("{n:032x}")}))
            .send()
            .await
            .expect("recover");
        statuses.push(response.status().as_u16());
    }

    // Assert
    assert_eq!(statuses, [404; 5]);
    assert_eq!(
        app.session_count().await,
        0,
        "a recovery that recovered nothing stores nothing"
    );
}

/// The pre-session's token is accepted for any stored session whose request carries the
/// pre-session cookie: it is not bound to the session, so it survives signing in (only the
/// browser is asked to drop the cookie), and a pre-session from one browser works for another
/// browser's signed-in session.
#[tokio::test]
async fn a_session_accepts_only_the_pre_session_that_stored_it_so_signing_in_ends_it() {
    // Arrange: a shopper opens the login page (a pre-session and its token) and signs in.
    let app = spawn_app().await;
    let name = app.settings.session.cookie_name.clone();
    let pre_name = format!("{name}_pre");
    let http = cookieless_client();
    let page = http
        .get(app.url("/login"))
        .send()
        .await
        .expect("login page");
    let pre_session = set_cookie(&page, &pre_name).expect("a pre-session cookie");
    let old_token = csrf_token(&page.text().await.expect("html"));
    let signed_in = http
        .post(app.url("/login"))
        .header("Cookie", &pre_session)
        .form(&[
            ("csrf_token", old_token.as_str()),
            ("email", "jane@example.com"),
            ("password", "Sandbox123!"),
        ])
        .send()
        .await
        .expect("sign in");
    assert_eq!(signed_in.status().as_u16(), 303);
    let session = set_cookie(&signed_in, &name).expect("the signed-in session");
    let added = http
        .post(app.url("/api/cart/items"))
        .header("Cookie", &session)
        .json(&one_line(104, None, 1))
        .send()
        .await
        .expect("add");
    assert_eq!(added.status().as_u16(), 201);

    // Act: a form posted with the token of the page shown before signing in.
    let cleared = http
        .post(app.url("/cart/clear"))
        .header("Cookie", format!("{session}; {pre_session}"))
        .form(&[("csrf_token", old_token.as_str())])
        .send()
        .await
        .expect("clear");

    // Assert
    assert_eq!(
        cleared.status().as_u16(),
        403,
        "the token rotated with the session"
    );
    assert_eq!(
        app.sandbox_carts().await.len(),
        1,
        "the cart is still there"
    );
}
