use sha2::{Digest, Sha256};

use crate::helpers::{captured_logs, client, spawn_app, spawn_app_with};

fn session_cookie_value(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with(&format!("{name}=")))
        .map(|value| {
            value[name.len() + 1..]
                .split(';')
                .next()
                .unwrap_or("")
                .to_owned()
        })
}

#[tokio::test]
async fn the_session_cookie_is_httponly_secure_samesite_lax_and_host_prefixed_by_default() {
    let app = spawn_app_with(|settings| {
        settings.session.cookie_name = "__Host-bff_session".into();
        settings.session.cookie_secure = true;
    })
    .await;

    let response = app.get_cart().await;

    assert_eq!(response.status().as_u16(), 200);
    let header = response
        .headers()
        .get("set-cookie")
        .expect("a session cookie")
        .to_str()
        .expect("ascii cookie")
        .to_owned();
    assert!(header.starts_with("__Host-bff_session="), "{header}");
    for flag in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(header.contains(flag), "cookie lacks {flag}: {header}");
    }
    assert!(
        !header.contains("Domain="),
        "a __Host- cookie must not set Domain: {header}"
    );
    let token = session_cookie_value(&response, "__Host-bff_session").expect("token");
    assert_eq!(token.len(), 64, "256 bits, hex-encoded");
}

#[tokio::test]
async fn a_session_is_reused_while_its_cookie_is_sent() {
    let app = spawn_app().await;

    let first = app.get_cart().await;
    assert!(first.headers().get("set-cookie").is_some());
    let second = app.get_cart().await;

    assert!(
        second.headers().get("set-cookie").is_none(),
        "no new session for a known cookie"
    );
    assert_eq!(app.session_count().await, 1);
}

#[tokio::test]
async fn the_token_is_stored_only_as_its_sha256() {
    let app = spawn_app().await;
    let name = app.settings.session.cookie_name.clone();

    let response = app.get_cart().await;
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
async fn a_forged_or_malformed_cookie_is_replaced_by_a_new_session() {
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
        let response = reqwest::Client::new()
            .get(app.url("/api/cart"))
            .header("cookie", format!("{name}={value}"))
            .send()
            .await
            .expect("request");

        assert_eq!(response.status().as_u16(), 200, "{why} cookie");
        let issued = session_cookie_value(&response, &name).expect("a new session cookie");
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
}

#[tokio::test]
async fn an_expired_session_is_replaced_by_a_new_one() {
    let app = spawn_app().await;
    let name = app.settings.session.cookie_name.clone();
    let first = app.get_cart().await;
    let old = session_cookie_value(&first, &name).expect("token");

    sqlx::query("UPDATE sessions SET idle_expires_at = now() - interval '1 second'")
        .execute(&app.db_pool)
        .await
        .expect("expire");
    let second = app.get_cart().await;

    assert_eq!(second.status().as_u16(), 200);
    let new = session_cookie_value(&second, &name).expect("a new session cookie");
    assert_ne!(new, old);
}

#[tokio::test]
async fn sessions_are_touched_at_most_once_per_interval() {
    let app = spawn_app().await;
    app.get_cart().await;
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
        client()
            .get(app.url("/api/cart"))
            .send()
            .await
            .expect("request");
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

    let response = app.get_cart().await;
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
