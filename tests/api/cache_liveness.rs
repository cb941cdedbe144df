//! The session cache cannot go deaf: its listener proves it hears by a round trip on its own
//! connection, and while it cannot (a connection terminated by Postgres, a network gone silent,
//! a listener that cannot LISTEN at all) reads bypass the cache and go to the database, within
//! `session.cache_liveness_seconds`; once it hears again, the cache is used again.

use std::time::{Duration, Instant};

use checkout_bff::configuration::LISTENER_APPLICATION_NAME;
use serde_json::Value;

use crate::helpers::{
    admin_connect_options, cart_body, get_cart_as, new_session_cookie, one_line, post_items_as,
    spawn_app_with, DbProxy, TestApp,
};

/// The liveness window the tests run with.
const LIVENESS: Duration = Duration::from_secs(1);
/// What a loaded test machine may add to a deadline.
const SLACK: Duration = Duration::from_millis(700);

async fn lookups(app: &TestApp, result: &str) -> f64 {
    app.metrics()
        .await
        .value("session_cache_lookups_total", &[("result", result)])
}

/// Waits until reads of `cookie`'s session are answered from memory.
async fn wait_until_cached(app: &TestApp, cookie: &str, within: Duration) {
    let started = Instant::now();
    while started.elapsed() < within {
        let before = lookups(app, "hit").await;
        get_cart_as(&app.address, cookie).await;
        get_cart_as(&app.address, cookie).await;
        if lookups(app, "hit").await > before {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the session cache did not come into use within {within:?}");
}

/// A session with a cart, its reads served from memory. Returns its `Cookie` value.
async fn cached_session_with_a_cart(app: &TestApp) -> String {
    let cookie = new_session_cookie(app).await;
    let added = post_items_as(&app.address, &cookie, &one_line(101, None, 1), None).await;
    assert_eq!(added.status().as_u16(), 201);
    // The add's own notifications arrive a moment later and drop what a read caches before
    // them: let them land first.
    tokio::time::sleep(Duration::from_millis(200)).await;
    wait_until_cached(app, &cookie, Duration::from_secs(5)).await;
    cookie
}

/// Takes the cart from the oldest session straight in the database, as another instance
/// would: the only way this instance learns of it is its listener (or the database).
async fn drop_the_cart_behind_its_back(app: &TestApp) {
    sqlx::query(
        "UPDATE sessions SET cart_id = NULL \
         WHERE id = (SELECT id FROM sessions ORDER BY created_at LIMIT 1)",
    )
    .execute(&app.db_pool)
    .await
    .expect("update the session");
}

/// How long until `cookie`'s cart reads as gone (panics after `within`).
async fn until_the_cart_reads_gone(app: &TestApp, cookie: &str, within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let cart = cart_body(get_cart_as(&app.address, cookie).await).await;
        if cart == Value::Null {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "a cart the database no longer has was still served after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The application with its listener (only) reaching Postgres through a proxy.
async fn spawn_app_with_listener_behind_proxy() -> (TestApp, DbProxy) {
    let admin = admin_connect_options();
    let upstream = format!("{}:{}", admin.get_host(), admin.get_port())
        .parse()
        .expect("database address");
    let proxy = DbProxy::start(upstream).await;
    let port = proxy.port;
    let app = spawn_app_with(|settings| {
        settings.session.cache_liveness_seconds = LIVENESS.as_secs();
        settings.database.listener_port = Some(port);
        settings.database.acquire_timeout_ms = 500;
    })
    .await;
    (app, proxy)
}

#[tokio::test]
async fn a_listener_connection_terminated_by_postgres_bypasses_the_cache_until_it_is_back() {
    // Arrange
    let app = spawn_app_with(|settings| {
        settings.session.cache_liveness_seconds = LIVENESS.as_secs();
    })
    .await;
    let cookie = cached_session_with_a_cart(&app).await;
    let bypassed = lookups(&app, "bypassed").await;

    // Act: an operator (or a failover) ends the listener's connection.
    let terminated: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = $1 AND datname = current_database()",
    )
    .bind(LISTENER_APPLICATION_NAME)
    .fetch_all(&app.db_pool)
    .await
    .expect("terminate the listener");
    assert_eq!(terminated, vec![true], "exactly one listener connection");
    drop_the_cart_behind_its_back(&app).await;

    // Assert: reads go to the database at once, and see the change.
    until_the_cart_reads_gone(&app, &cookie, LIVENESS + SLACK).await;
    assert!(
        lookups(&app, "bypassed").await > bypassed,
        "reads were not sent past the cache"
    );
    // The listener connects again, and the cache is used again.
    wait_until_cached(&app, &cookie, Duration::from_secs(5)).await;
    assert_eq!(app.admin_get("/readyz").await.status().as_u16(), 200);
}

#[tokio::test]
async fn a_silent_listener_connection_bypasses_the_cache_within_the_liveness_window() {
    // Arrange
    let (app, proxy) = spawn_app_with_listener_behind_proxy().await;
    let cookie = cached_session_with_a_cart(&app).await;
    let bypassed = lookups(&app, "bypassed").await;

    // Act: the listener's network drops everything, closing nothing; a change is made that
    // only the database (and a listener that could hear) knows of.
    proxy.blackhole();
    // The proxy's connection tasks see the silence on their next turn; a change made before
    // that would still be forwarded, and heard.
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop_the_cart_behind_its_back(&app).await;

    // Assert: within the window, reads go to the database and see the change.
    let took = until_the_cart_reads_gone(&app, &cookie, LIVENESS + SLACK).await;
    assert!(
        lookups(&app, "bypassed").await > bypassed,
        "the change was seen after {took:?}, but not by bypassing the cache"
    );
    let before = lookups(&app, "hit").await;
    for _ in 0..5 {
        get_cart_as(&app.address, &cookie).await;
    }
    assert_eq!(
        lookups(&app, "hit").await,
        before,
        "the cache served reads while its listener heard nothing"
    );

    // The network comes back: a new connection proves it hears, and the cache is used again.
    proxy.heal();
    wait_until_cached(&app, &cookie, Duration::from_secs(8)).await;
}

#[tokio::test]
async fn an_instance_whose_listener_cannot_listen_says_so_at_readiness_and_serves_from_the_database(
) {
    // Arrange: the listener's address leads nowhere.
    let nowhere = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = nowhere.local_addr().expect("addr").port();
    drop(nowhere);
    let app = spawn_app_with(|settings| settings.database.listener_port = Some(port)).await;

    // Act
    let started = Instant::now();
    let response = loop {
        let response = app.admin_get("/readyz").await;
        if response.status().as_u16() == 503 || started.elapsed() > Duration::from_secs(5) {
            break response;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    // Assert
    assert_eq!(response.status().as_u16(), 503);
    let problem: Value = response.json().await.expect("problem");
    let detail = problem["detail"].as_str().expect("detail");
    assert!(
        detail.contains("cannot listen") && detail.contains("direct connection to the primary"),
        "{detail}"
    );
    let cookie = new_session_cookie(&app).await;
    let bypassed = lookups(&app, "bypassed").await;
    assert_eq!(
        get_cart_as(&app.address, &cookie).await.status().as_u16(),
        200
    );
    assert!(lookups(&app, "bypassed").await > bypassed);
    assert_eq!(lookups(&app, "hit").await, 0.0);
}

#[tokio::test]
async fn malformed_notifications_neither_stop_the_listener_nor_leave_stale_entries() {
    // Arrange
    let app = spawn_app_with(|settings| {
        settings.session.cache_liveness_seconds = LIVENESS.as_secs();
    })
    .await;
    let cookie = cached_session_with_a_cart(&app).await;

    // Act: payloads of every odd kind, multi-byte characters where the kind byte goes first.
    for payload in [
        String::new(),
        "é".into(),
        format!("s{}", "é".repeat(18)),
        "c".into(),
        "x00000000-0000-0000-0000-000000000000".into(),
        "s00000000-0000-0000-0000-0000000000001".into(),
        // 7,996 bytes: close to the 8,000 bytes Postgres allows a payload.
        "🦀".repeat(1999),
    ] {
        sqlx::query("SELECT pg_notify('bff_cache', $1)")
            .bind(&payload)
            .execute(&app.db_pool)
            .await
            .expect("notify");
    }

    // Assert: the listener still hears, so the cache comes back into use and a change made
    // behind this instance's back still reaches it.
    wait_until_cached(&app, &cookie, Duration::from_secs(5)).await;
    drop_the_cart_behind_its_back(&app).await;
    until_the_cart_reads_gone(&app, &cookie, LIVENESS + SLACK).await;
    assert_eq!(app.admin_get("/readyz").await.status().as_u16(), 200);
}
