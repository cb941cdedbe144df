//! The per-instance session cache: reads are served from memory, and every instance sees a
//! change made through any other within moments (Postgres LISTEN/NOTIFY), never a stale read
//! while the invalidation channel is down.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{
    cart_body, get_cart_as, new_session_cookie, one_line, post_items_as, spawn_app,
    spawn_app_behind_db_proxy, spawn_second_instance,
};

/// Session cache hits, from `/metrics` on the instance's admin listener.
async fn cache_hits(admin_address: &str) -> f64 {
    let text = reqwest::get(format!("{admin_address}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    text.lines()
        .find(|line| line.starts_with("session_cache_lookups_total{result=\"hit\"}"))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
        .unwrap_or(0.0)
}

/// Waits until the cache's invalidation channel is up (the listener connects at start-up).
async fn wait_for_listener(address: &str, admin_address: &str, cookie: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        let before = cache_hits(admin_address).await;
        get_cart_as(address, cookie).await;
        get_cart_as(address, cookie).await;
        if cache_hits(admin_address).await > before {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the session cache never came into use at {address}");
}

/// The item count another instance reports, polled until it equals `expected` or a second
/// passes; returns what it saw last and how long it took.
async fn item_count_seen(address: &str, cookie: &str, expected: &Value) -> (Value, Duration) {
    let started = Instant::now();
    loop {
        let cart = cart_body(get_cart_as(address, cookie).await).await;
        let count = cart["item_count"].clone();
        if &count == expected || started.elapsed() > Duration::from_secs(1) {
            return (count, started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn cart_reads_are_served_from_memory_and_reflect_the_readers_own_writes_at_once() {
    let app = spawn_app().await;
    let cookie = new_session_cookie(&app).await;
    post_items_as(&app.address, &cookie, &one_line(101, None, 1), None).await;
    wait_for_listener(&app.address, &app.admin_address, &cookie).await;

    let before = cache_hits(&app.admin_address).await;
    for _ in 0..10 {
        get_cart_as(&app.address, &cookie).await;
    }
    assert!(
        cache_hits(&app.admin_address).await >= before + 10.0,
        "reads did not use the cache"
    );

    // Read your own write: no waiting for the notification.
    post_items_as(&app.address, &cookie, &one_line(102, None, 2), None).await;
    let cart = cart_body(get_cart_as(&app.address, &cookie).await).await;
    assert_eq!(cart["item_count"], 3);
    assert_eq!(
        app.sandbox_stats().await.calls("GET /v3/carts/{cart_id}"),
        0
    );
}

#[tokio::test]
async fn a_change_through_one_instance_reaches_the_cache_of_another() {
    let app = spawn_app().await;
    let other = spawn_second_instance(&app).await;
    let cookie = new_session_cookie(&app).await;
    post_items_as(&app.address, &cookie, &one_line(101, None, 1), None).await;
    wait_for_listener(&other.address, &other.admin_address, &cookie).await;
    assert_eq!(
        cart_body(get_cart_as(&other.address, &cookie).await).await["item_count"],
        1
    );

    post_items_as(&app.address, &cookie, &one_line(103, None, 4), None).await;

    let (seen, took) = item_count_seen(&other.address, &cookie, &Value::from(5)).await;
    assert_eq!(
        seen, 5,
        "the other instance still serves the old cart after {took:?}"
    );

    // Signing out on one instance ends the session on every instance.
    reqwest::Client::new()
        .post(app.url("/api/session/logout"))
        .header("Cookie", &cookie)
        .send()
        .await
        .expect("logout");
    let started = Instant::now();
    let mut ended = false;
    while started.elapsed() < Duration::from_secs(1) {
        let response = get_cart_as(&other.address, &cookie).await;
        if cart_body(response).await.is_null() {
            ended = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(
        ended,
        "the other instance still honours a session that was ended"
    );
}

#[tokio::test]
async fn without_its_invalidation_channel_an_instance_serves_nothing_from_memory() {
    let (app, proxy) = spawn_app_behind_db_proxy(300).await;
    let cookie = new_session_cookie(&app).await;
    post_items_as(&app.address, &cookie, &one_line(101, None, 1), None).await;
    wait_for_listener(&app.address, &app.admin_address, &cookie).await;

    proxy.stop();
    tokio::time::sleep(Duration::from_millis(100)).await;

    let response = get_cart_as(&app.address, &cookie).await;
    assert_eq!(
        response.status().as_u16(),
        503,
        "a cached answer was served while changes could not be heard of"
    );
    proxy.restart();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        if get_cart_as(&app.address, &cookie).await.status().as_u16() == 200 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the service did not recover");
}
