//! Shopper sessions: stored only when there is something to store (the first write), their
//! cookies, tokens kept only as hashes, expiry and sweeping, and the pre-session that lets a
//! page carry a CSRF token before any session exists.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::helpers::{
    captured_logs, client, cookieless_client, one_line, set_cookie, spawn_app, spawn_app_with,
    TestApp,
};
use crate::pages::csrf_token;

fn session_cookie_value(response: &reqwest::Response, name: &str) -> Option<String> {
    set_cookie(response, name).map(|pair| pair[name.len() + 1..].to_owned())
}

/// Every `Set-Cookie` header of a response.
fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .map(str::to_owned)
        .collect()
}

/// A first add from a client with no cookies: it stores a session and sets its cookie.
async fn first_add(app: &TestApp, http: &reqwest::Client) -> reqwest::Response {
    let response = http
        .post(app.url("/api/cart/items"))
        .json(&one_line(104, None, 1))
        .send()
        .await
        .expect("add");
    assert_eq!(response.status().as_u16(), 201);
    response
}

#[tokio::test]
async fn two_hundred_cookieless_reads_of_every_page_and_endpoint_store_no_session() {
    // Arrange
    let app = spawn_app().await;
    let paths = [
        "/api/cart",
        "/api/session",
        "/api/products",
        "/cart",
        "/login",
        "/login?redirect_to=/cart",
        "/cart/recover?t=not%20a%20token",
        "/cart/recover?t=305c6c15f6f0a3c0929770a538cf1ff7",
    ];

    // Act
    let mut statuses = std::collections::BTreeMap::new();
    for n in 0..200 {
        let path = paths[n % paths.len()];
        let response = cookieless_client()
            .get(app.url(path))
            .send()
            .await
            .expect("read");
        assert!(
            set_cookie(&response, &app.settings.session.cookie_name).is_none(),
            "{path} issued a session"
        );
        *statuses
            .entry((path, response.status().as_u16()))
            .or_insert(0) += 1;
    }

    // Assert
    for (path, status) in statuses.keys() {
        let expected = if path.starts_with("/cart/recover") {
            303 // back to the cart, with a message
        } else {
            200
        };
        assert_eq!(*status, expected, "{path}: {statuses:?}");
    }
    assert_eq!(app.session_count().await, 0, "no read stores a session");

    // A first add from such a client stores exactly one session.
    let http = client();
    http.get(app.url("/cart")).send().await.expect("page");
    let added = first_add(&app, &http).await;
    assert!(set_cookie(&added, &app.settings.session.cookie_name).is_some());
    assert_eq!(app.session_count().await, 1);
    let read: Value = http
        .get(app.url("/api/cart"))
        .send()
        .await
        .expect("read")
        .json()
        .await
        .expect("json");
    assert_eq!(
        read["cart"]["item_count"], 1,
        "the cookie names the new session"
    );
    assert_eq!(app.session_count().await, 1);
}

#[tokio::test]
async fn a_form_posted_with_the_pre_session_token_stores_the_session_and_rotates_the_token() {
    // Arrange: a browser that has never written anything opens the cart page.
    let app = spawn_app().await;
    let browser = client();
    let page = browser.get(app.url("/cart")).send().await.expect("page");
    let pre_session_name = format!("{}_pre", app.settings.session.cookie_name);
    assert!(
        set_cookie(&page, &pre_session_name).is_some(),
        "a pre-session"
    );
    let token = csrf_token(&page.text().await.expect("html"));
    assert_eq!(app.session_count().await, 0);

    // Act
    let added = browser
        .post(app.url("/cart/items"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("product_id", "104"),
            ("quantity", "2"),
        ])
        .send()
        .await
        .expect("add");

    // Assert
    assert_eq!(added.status().as_u16(), 303);
    assert!(set_cookie(&added, &app.settings.session.cookie_name).is_some());
    assert_eq!(app.session_count().await, 1);
    let html = browser
        .get(app.url("/cart"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("Added 2 ×"), "the message survived: {html}");
    assert_ne!(
        csrf_token(&html),
        token,
        "the session's own token from now on"
    );
    // A page shown before the first write (another tab) still posts.
    let again = browser
        .post(app.url("/cart/items"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("product_id", "104"),
            ("quantity", "1"),
        ])
        .send()
        .await
        .expect("add");
    assert_eq!(again.status().as_u16(), 303);
    assert_eq!(app.session_count().await, 1);
}

#[tokio::test]
async fn a_forged_or_absent_pre_session_token_is_refused_and_changes_nothing() {
    // Arrange
    let app = spawn_app().await;
    let browser = client();
    browser.get(app.url("/cart")).send().await.expect("page");
    let elsewhere = client()
        .get(app.url("/cart"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    let other_browsers_token = csrf_token(&elsewhere);
    let before = app.sandbox_stats().await;
    let forged = "0".repeat(64);
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[("product_id", "104")], "no token"),
        (
            &[("csrf_token", ""), ("product_id", "104")],
            "an empty token",
        ),
        (
            &[("csrf_token", &forged), ("product_id", "104")],
            "a forged token",
        ),
        (
            &[("csrf_token", &other_browsers_token), ("product_id", "104")],
            "another browser's token",
        ),
    ];

    for (form, why) in cases {
        // Act
        let response = browser
            .post(app.url("/cart/items"))
            .form(form)
            .send()
            .await
            .expect("post");

        // Assert
        assert_eq!(response.status().as_u16(), 403, "{why}");
        assert!(
            set_cookie(&response, &app.settings.session.cookie_name).is_none(),
            "{why}"
        );
    }
    // A client that never held a pre-session cannot post at all.
    let cookieless = cookieless_client()
        .post(app.url("/cart/items"))
        .form(&[
            ("csrf_token", other_browsers_token.as_str()),
            ("product_id", "104"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(cookieless.status().as_u16(), 403);
    assert_eq!(app.session_count().await, 0);
    assert_eq!(app.sandbox_stats().await.since(&before).total, 0);
}

#[tokio::test]
async fn a_forged_pre_session_cookie_is_no_pre_session() {
    // Arrange: a token computed for a pre-session value the service never signed.
    let app = spawn_app().await;
    let name = format!("{}_pre", app.settings.session.cookie_name);
    let forged = format!("{}.{}", "ab".repeat(32), "cd".repeat(32));
    let with_forged =
        |request: reqwest::RequestBuilder| request.header("cookie", format!("{name}={forged}"));
    let page = with_forged(cookieless_client().get(app.url("/cart")))
        .send()
        .await
        .expect("page");
    let fresh = set_cookie(&page, &name).expect("a fresh pre-session replaces it");
    assert_ne!(fresh, format!("{name}={forged}"));
    let token = csrf_token(&page.text().await.expect("html"));

    // Act: the page's token, with the forged cookie instead of the one it was issued with.
    let post = with_forged(cookieless_client().post(app.url("/cart/items")))
        .form(&[("csrf_token", token.as_str()), ("product_id", "104")])
        .send()
        .await
        .expect("post");

    // Assert
    assert_eq!(post.status().as_u16(), 403);
    assert_eq!(app.session_count().await, 0);
}

#[tokio::test]
async fn a_message_for_a_shopper_without_a_session_travels_in_a_signed_cookie() {
    // Arrange
    let app = spawn_app().await;
    let browser = client();
    let page = browser
        .get(app.url("/cart"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    let token = csrf_token(&page);

    // Act: a quantity out of range is refused with a message, before anything is stored.
    let refused = browser
        .post(app.url("/cart/items"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("product_id", "104"),
            ("quantity", "0"),
        ])
        .send()
        .await
        .expect("post");
    let shown = browser
        .get(app.url("/cart"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    let shown_again = browser
        .get(app.url("/cart"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");

    // Assert
    assert_eq!(refused.status().as_u16(), 303);
    assert!(shown.contains("Choose a quantity"), "{shown}");
    assert!(!shown_again.contains("Choose a quantity"), "shown once");
    assert_eq!(app.session_count().await, 0, "a message stores no session");
    // A message cookie the service did not sign shows nothing.
    let flash_name = format!("{}_flash", app.settings.session.cookie_name);
    let forged = format!(
        "{}.{}",
        hex::encode(br#"{"level":"error","text":"Call 555-0100 now"}"#),
        "0".repeat(64)
    );
    let page = cookieless_client()
        .get(app.url("/cart"))
        .header("cookie", format!("{flash_name}={forged}"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(!page.contains("555-0100"));
}

#[tokio::test]
async fn the_session_cookies_are_httponly_secure_samesite_lax_and_host_prefixed_by_default() {
    let app = spawn_app_with(|settings| {
        settings.session.cookie_name = "__Host-bff_session".into();
        settings.session.cookie_secure = true;
    })
    .await;

    let page = cookieless_client()
        .get(app.url("/cart"))
        .send()
        .await
        .expect("page");
    let added = first_add(&app, &cookieless_client()).await;

    let mut headers = set_cookies(&page);
    headers.extend(set_cookies(&added));
    for (prefix, what) in [
        ("__Host-bff_session_pre=", "the pre-session"),
        ("__Host-bff_session=", "the session"),
    ] {
        let header = headers
            .iter()
            .find(|header| header.starts_with(prefix))
            .unwrap_or_else(|| panic!("{what} cookie: {headers:?}"));
        for flag in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
            assert!(
                header.contains(flag),
                "{what} cookie lacks {flag}: {header}"
            );
        }
        assert!(
            !header.contains("Domain="),
            "a __Host- cookie must not set Domain: {header}"
        );
    }
    let token = session_cookie_value(&added, "__Host-bff_session").expect("token");
    assert_eq!(token.len(), 64, "256 bits, hex-encoded");
}

#[tokio::test]
async fn a_session_is_reused_while_its_cookie_is_sent() {
    let app = spawn_app().await;
    let http = client();

    let first = first_add(&app, &http).await;
    assert!(first.headers().get("set-cookie").is_some());
    let second = http.get(app.url("/api/cart")).send().await.expect("read");
    let third = first_add(&app, &http).await;

    assert!(
        second.headers().get("set-cookie").is_none() && third.headers().get("set-cookie").is_none(),
        "no new session for a known cookie"
    );
    assert_eq!(app.session_count().await, 1);
}

#[tokio::test]
async fn the_token_is_stored_only_as_its_sha256() {
    let app = spawn_app().await;
    let name = app.settings.session.cookie_name.clone();

    let response = first_add(&app, &cookieless_client()).await;
    let token = session_cookie_value(&response, &name).expect("token");

    let (stored_hash, row_text): (Vec<u8>, String) =
        sqlx::query_as("SELECT token_hash, sessions::text FROM sessions")
            .fetch_one(&app.db_pool)
            .await
            .expect("session row");
    assert_eq!(stored_hash, Sha256::digest(token.as_bytes()).to_vec());
    assert!(!row_text.contains(&token), "the raw token is in the table");
}

#[tokio::test]
async fn a_forged_or_malformed_cookie_is_a_new_session_that_is_stored_only_by_a_write() {
    let app = spawn_app().await;
    let name = app.settings.session.cookie_name.clone();
    let forged = "ab".repeat(32);
    let cases = [
        (forged.clone(), "well-formed but unknown"),
        ("not-a-token".to_owned(), "malformed"),
        ("z".repeat(4000), "oversized"),
        ("%00%ff;;;=".to_owned(), "garbage"),
    ];
    for (value, why) in cases {
        let with_cookie =
            |request: reqwest::RequestBuilder| request.header("cookie", format!("{name}={value}"));
        let read = with_cookie(cookieless_client().get(app.url("/api/cart")))
            .send()
            .await
            .expect("request");
        assert_eq!(read.status().as_u16(), 200, "{why} cookie");
        assert!(
            session_cookie_value(&read, &name).is_none(),
            "{why}: a read"
        );

        let added = with_cookie(cookieless_client().post(app.url("/api/cart/items")))
            .json(&one_line(104, None, 1))
            .send()
            .await
            .expect("add");
        assert_eq!(added.status().as_u16(), 201, "{why} cookie");
        let issued = session_cookie_value(&added, &name).expect("a new session cookie");
        assert_ne!(issued, value, "{why} cookie was kept");
        assert_eq!(issued.len(), 64, "{why} cookie");
    }
    let forged_hash = Sha256::digest(forged.as_bytes()).to_vec();
    let forged_rows: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sessions WHERE token_hash = $1")
            .bind(forged_hash)
            .fetch_one(&app.db_pool)
            .await
            .expect("count");
    assert_eq!(forged_rows, 0, "a forged token must never become a session");
    assert_eq!(app.session_count().await, 4, "one per first add");
}

#[tokio::test]
async fn an_expired_session_is_replaced_by_a_new_one_on_the_next_write() {
    let app = spawn_app().await;
    let name = app.settings.session.cookie_name.clone();
    let http = client();
    let first = first_add(&app, &http).await;
    let old = session_cookie_value(&first, &name).expect("token");

    sqlx::query("UPDATE sessions SET idle_expires_at = now() - interval '1 second'")
        .execute(&app.db_pool)
        .await
        .expect("expire");
    let read: Value = http
        .get(app.url("/api/cart"))
        .send()
        .await
        .expect("read")
        .json()
        .await
        .expect("json");
    let second = first_add(&app, &http).await;

    assert_eq!(
        read["cart"],
        Value::Null,
        "the expired session's cart is gone"
    );
    let new = session_cookie_value(&second, &name).expect("a new session cookie");
    assert_ne!(new, old);
}

#[tokio::test]
async fn sessions_are_touched_at_most_once_per_interval() {
    let app = spawn_app().await;
    app.add_item(104, None, 1).await;
    sqlx::query("UPDATE sessions SET last_seen_at = now() - interval '1 hour', idle_expires_at = now() + interval '1 minute'")
        .execute(&app.db_pool)
        .await
        .expect("age the session");

    app.get_cart().await;
    let (touched,): (bool,) = sqlx::query_as(
        "SELECT last_seen_at > now() - interval '10 seconds' AND idle_expires_at > now() + interval '1 day' FROM sessions",
    )
    .fetch_one(&app.db_pool)
    .await
    .expect("session");
    assert!(touched, "an old session was not touched");

    let (before,): (time::OffsetDateTime,) = sqlx::query_as("SELECT updated_at FROM sessions")
        .fetch_one(&app.db_pool)
        .await
        .expect("session");
    app.get_cart().await;
    let (after,): (time::OffsetDateTime,) = sqlx::query_as("SELECT updated_at FROM sessions")
        .fetch_one(&app.db_pool)
        .await
        .expect("session");
    assert_eq!(before, after, "a freshly touched session was written again");
}

#[tokio::test]
async fn the_sweeper_removes_expired_sessions_and_leaves_live_ones() {
    let app = spawn_app().await;
    // Three live sessions from three browsers...
    for _ in 0..3 {
        first_add(&app, &client()).await;
    }
    // ...and five expired ones, idle or past their absolute limit.
    sqlx::query(
        r#"INSERT INTO sessions (id, token_hash, channel_id, idle_expires_at, absolute_expires_at)
           SELECT gen_random_uuid(), sha256(i::text::bytea), 1,
                  CASE WHEN i % 2 = 0 THEN now() - interval '1 minute' ELSE now() + interval '1 day' END,
                  CASE WHEN i % 2 = 0 THEN now() + interval '1 day' ELSE now() - interval '1 minute' END
           FROM generate_series(1, 5) AS i"#,
    )
    .execute(&app.db_pool)
    .await
    .expect("insert expired sessions");
    assert_eq!(app.session_count().await, 8);

    let deleted = checkout_bff::session::sweep_expired_sessions(&app.db_pool, 2)
        .await
        .expect("sweep");

    assert_eq!(deleted, 5);
    assert_eq!(app.session_count().await, 3);
}

#[tokio::test]
async fn session_tokens_never_reach_the_logs() {
    let app = spawn_app().await;
    let name = app.settings.session.cookie_name.clone();

    let response = first_add(&app, &cookieless_client()).await;
    let token = session_cookie_value(&response, &name).expect("token");
    app.get("/cart/recover?t=secret-recovery-token").await;

    let logs = captured_logs();
    assert!(logs.contains("request completed"), "requests are logged");
    assert!(!logs.contains(&token), "a session token was logged");
    assert!(
        !logs.contains("secret-recovery-token"),
        "a query string was logged"
    );
}
