//! No call twice for one answer: concurrent reads that need the same cart from BigCommerce, and
//! concurrent catalog refreshes, make one call; a failed catalog refresh keeps serving the last
//! good list and backs off, and one that fails part-way is resumed where it stopped. The sandbox answers slowly where concurrency must be real; counts
//! are the sandbox's.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::helpers::{
    cart_body, cookieless_client, get_cart_as, one_line, spawn_app, spawn_app_with, SandboxStats,
    TestApp,
};

const CART_READ: &str = "GET /v3/carts/{cart_id}";
const CATALOG_PAGE: &str = "GET /v3/catalog/products";

/// Makes every matching BigCommerce call take `latency_ms` longer.
async fn slow(app: &TestApp, route: &str, latency_ms: u64) {
    app.inject_faults(json!({"rules": [{"route": route, "latency_ms": latency_ms}]}))
        .await;
}

/// `GET /api/products`: the status and the product list.
async fn products(app: &TestApp) -> (u16, Value) {
    let response = app.get("/api/products").await;
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

/// The catalog pages one refresh reads (BigCommerce pages at 10 with modifiers included).
fn pages_of(list: &Value) -> u64 {
    let products = list["products"].as_array().expect("products").len() as u64;
    products.div_ceil(10)
}

/// Waits until the sandbox has answered `calls` calls to `route` since `before` (a refresh in
/// the background), or gives up after a few seconds.
async fn settle_calls(app: &TestApp, before: &SandboxStats, route: &str, calls: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.sandbox_stats().await.since(before).calls(route) < calls && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Long enough for a second, unwanted call to show.
    tokio::time::sleep(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn twenty_concurrent_reads_of_a_stale_cart_make_one_call() {
    // Arrange: every read wants BigCommerce (TTL 0), and BigCommerce takes its time.
    let app = spawn_app_with(|settings| settings.cart.snapshot_ttl_seconds = 0).await;
    let added = cart_body(app.add_item(101, None, 2).await).await;
    slow(&app, "GET /v3/carts/*", 800).await;
    let before = app.sandbox_stats().await;

    // Act: 20 reads in the same session at once.
    let reads = join_all((0..20).map(|_| app.get_cart())).await;

    // Assert
    let statuses: Vec<u16> = reads.iter().map(|r| r.status().as_u16()).collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let carts = join_all(reads.into_iter().map(cart_body)).await;
    assert!(carts.iter().all(|cart| *cart == carts[0]), "the same cart");
    assert_eq!(carts[0]["id"], added["id"]);
    assert_eq!(carts[0]["item_count"], 2);
    let calls = app.sandbox_stats().await.since(&before);
    assert_eq!(calls.calls(CART_READ), 1, "{calls:?}");
    assert_eq!(calls.total, 1, "{calls:?}");
}

#[tokio::test]
async fn a_read_whose_shopper_went_away_still_answers_the_reads_that_waited() {
    // Arrange
    let app = spawn_app_with(|settings| settings.cart.snapshot_ttl_seconds = 0).await;
    let cookie = shopper_with_a_cart(&app).await;
    slow(&app, "GET /v3/carts/*", 800).await;
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .expect("client");
    let before = app.sandbox_stats().await;

    // Act: the first reader gives up long before BigCommerce answers; a second joins its read.
    let leader = impatient
        .get(app.url("/api/cart"))
        .header("Cookie", &cookie)
        .send();
    let waiter = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        get_cart_as(&app.address, &cookie).await
    };
    let (leader, waiter) = tokio::join!(leader, waiter);

    // Assert
    assert!(leader.is_err(), "the first reader timed out");
    assert_eq!(waiter.status().as_u16(), 200);
    assert_eq!(cart_body(waiter).await["item_count"], 1);
    let calls = app.sandbox_stats().await.since(&before);
    assert_eq!(calls.calls(CART_READ), 1, "{calls:?}");
}

/// A session holding a cart of one line; returns its `Cookie` header value.
async fn shopper_with_a_cart(app: &TestApp) -> String {
    let response = cookieless_client()
        .post(app.url("/api/cart/items"))
        .json(&one_line(101, None, 1))
        .send()
        .await
        .expect("request failed");
    assert_eq!(response.status().as_u16(), 201);
    let set_cookie = response
        .headers()
        .get("set-cookie")
        .expect("the first add opens a session")
        .to_str()
        .expect("ascii cookie");
    set_cookie
        .split(';')
        .next()
        .expect("cookie pair")
        .trim()
        .to_owned()
}

#[tokio::test]
async fn concurrent_first_catalog_reads_make_one_refresh() {
    // Arrange: nothing cached yet, and each catalog page takes a while.
    let app = spawn_app().await;
    slow(&app, CATALOG_PAGE, 300).await;

    // Act
    let lists = join_all((0..20).map(|_| products(&app))).await;

    // Assert
    assert!(
        lists.iter().all(|(status, _)| *status == 200),
        "every list served"
    );
    assert!(
        lists.iter().all(|(_, list)| *list == lists[0].1),
        "the same list"
    );
    let pages = pages_of(&lists[0].1);
    assert!(pages >= 2, "a catalog of several pages");
    let stats = app.sandbox_stats().await;
    assert_eq!(
        stats.calls(CATALOG_PAGE),
        pages,
        "one call per catalog page"
    );
}

#[tokio::test]
async fn concurrent_reads_of_a_stale_catalog_are_served_at_once_while_one_refresh_runs() {
    // Arrange: the list is always stale (TTL 0), and refreshing it takes seconds.
    let app = spawn_app_with(|settings| settings.catalog.ttl_seconds = 0).await;
    let (_, first) = products(&app).await;
    let pages = pages_of(&first);
    slow(&app, CATALOG_PAGE, 1000).await;
    let before = app.sandbox_stats().await;

    // Act
    let started = Instant::now();
    let lists = join_all((0..20).map(|_| products(&app))).await;
    let took = started.elapsed();

    // Assert
    assert!(lists
        .iter()
        .all(|(status, list)| *status == 200 && *list == first));
    assert!(
        took < Duration::from_secs(1),
        "nobody waited for the refresh: {took:?}"
    );
    settle_calls(&app, &before, CATALOG_PAGE, pages).await;
    let calls = app.sandbox_stats().await.since(&before);
    assert_eq!(calls.calls(CATALOG_PAGE), pages, "one refresh: {calls:?}");
}

#[tokio::test]
async fn a_failing_catalog_refresh_keeps_the_last_good_list_and_backs_off() {
    // Arrange: a list was read, then BigCommerce fails every catalog read.
    let app = spawn_app_with(|settings| settings.catalog.ttl_seconds = 0).await;
    let (_, good) = products(&app).await;
    app.inject_faults(json!({"rules": [{"route": CATALOG_PAGE, "status": 500}]}))
        .await;
    let before = app.sandbox_stats().await;

    // Act: a burst of page loads over about a second, the API's and the cart page's.
    let mut answers = Vec::new();
    for _ in 0..5 {
        let wave = join_all((0..10).map(|_| products(&app))).await;
        answers.extend(wave);
        let page = app.get("/cart").await;
        assert_eq!(page.status().as_u16(), 200);
        let html = page.text().await.expect("html");
        let name = good["products"][0]["name"].as_str().expect("name");
        assert!(
            html.contains(name),
            "the cart page lists the last good products"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Assert
    assert!(
        answers
            .iter()
            .all(|(status, list)| *status == 200 && *list == good),
        "every load was served the last good list"
    );
    // A refresh is one call and one retry; after it fails the next waits a second or more,
    // so a burst of a second or so starts at most two.
    let calls = app.sandbox_stats().await.since(&before);
    assert!(
        calls.calls(CATALOG_PAGE) >= 1,
        "a refresh was tried: {calls:?}"
    );
    assert!(calls.calls(CATALOG_PAGE) <= 4, "backed off: {calls:?}");
}

#[tokio::test]
async fn without_a_list_an_outage_is_answered_at_once_after_the_first_failure() {
    // Arrange
    let app = spawn_app().await;
    app.inject_faults(json!({"rules": [{"route": CATALOG_PAGE, "status": 500}]}))
        .await;
    let (status, _) = products(&app).await;
    assert_eq!(status, 502, "nothing to serve");
    let before = app.sandbox_stats().await;

    // Act
    let started = Instant::now();
    let statuses: Vec<u16> = join_all((0..20).map(|_| products(&app)))
        .await
        .into_iter()
        .map(|(status, _)| status)
        .collect();

    // Assert
    assert!(statuses.iter().all(|s| *s == 502), "{statuses:?}");
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(
        app.sandbox_stats().await.since(&before).calls(CATALOG_PAGE),
        0,
        "backing off"
    );
}

#[tokio::test]
async fn a_failed_catalog_refresh_is_not_repeated_by_the_page_views_that_follow() {
    // Arrange
    let app = spawn_app().await;
    app.inject_faults(json!({"rules": [{"route": CATALOG_PAGE, "status": 500}]}))
        .await;

    // Act
    for _ in 0..5 {
        app.get("/cart").await;
    }

    // Assert
    let calls = app.sandbox_stats().await.calls(CATALOG_PAGE);
    assert!(calls <= 2, "{calls} catalog calls for five page views");
}

/// Scaled down: a quota of 5 a second, of which the refresh class may spend only part, and
/// a catalog of 3 pages.
#[tokio::test]
async fn a_catalog_of_more_pages_than_one_windows_refresh_share_is_read_by_resuming() {
    // Arrange
    let app = spawn_app().await;
    app.inject_faults(json!({"rate_limit": {"enforce": true, "quota": 5, "window_ms": 1000}}))
        .await;

    // Act
    let mut last = (0, Value::Null);
    for _ in 0..4 {
        last = products(&app).await;
        if last.0 == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }

    // Assert
    let calls = app.sandbox_stats().await.calls(CATALOG_PAGE);
    assert_eq!(
        last.0, 200,
        "never read the catalog; {calls} catalog calls spent"
    );
    let listed = last.1["products"].as_array().map_or(0, Vec::len);
    assert_eq!(listed, 25, "every product, once");
    assert!(
        calls <= 4,
        "pages already read are not read again: {calls} calls"
    );
}
