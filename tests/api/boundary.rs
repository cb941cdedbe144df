//! The edge of the service as an attacker meets it: requests another site makes the shopper's
//! browser send, forged client addresses, and credentials that must never reach a log.

use serde_json::{json, Value};

use crate::accounts::{login_with, JANE};
use crate::helpers::{captured_logs, client, share_of, spawn_app, spawn_app_with, TestApp};
use crate::pages::{cart_page, csrf_token};

const EVIL: &str = "https://evil.example";

async fn page_token(app: &TestApp) -> String {
    csrf_token(&cart_page(app).await.2)
}

#[tokio::test]
async fn a_form_posted_from_another_site_is_refused_even_with_the_right_csrf_token() {
    let app = spawn_app().await;
    let token = page_token(&app).await;
    app.reset_sandbox().await;

    let response = app
        .api_client
        .post(app.url("/cart/items"))
        .header("Origin", EVIL)
        .form(&[("csrf_token", token.as_str()), ("product_id", "101")])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 403);
    assert!(response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html")));
    assert!(response
        .text()
        .await
        .expect("page")
        .contains("came from another site"));
    assert_eq!(
        app.sandbox_stats().await.total,
        0,
        "nothing reached BigCommerce"
    );

    // The same post from the shop's own page goes through.
    let own_origin = app.address.clone();
    let response = app
        .api_client
        .post(app.url("/cart/items"))
        .header("Origin", own_origin)
        .form(&[("csrf_token", token.as_str()), ("product_id", "101")])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(app.stored_cart_ids().await.len(), 1);
}

#[tokio::test]
async fn body_less_posts_from_a_sibling_subdomain_cannot_check_out_or_sign_out() {
    let app = spawn_app().await;
    login_with(&app, &app.api_client, JANE).await;
    app.add_item(101, None, 1).await;
    let before = app.sandbox_stats().await;

    // A sibling subdomain is "same-site": SameSite=Lax cookies ride along.
    for (path, origin) in [
        ("/api/cart/checkout", Some("https://blog.shop.example")),
        ("/api/session/logout", None),
        ("/api/cart/checkout", Some("null")),
    ] {
        let mut request = app
            .api_client
            .post(app.url(path))
            .header("Sec-Fetch-Site", "same-site");
        if let Some(origin) = origin {
            request = request.header("Origin", origin);
        }
        let response = request.send().await.expect("post");
        assert_eq!(response.status().as_u16(), 403, "{path} from {origin:?}");
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json")
        );
        let body: Value = response.json().await.expect("problem");
        assert_eq!(body["code"], "origin_refused");
    }
    assert_eq!(
        app.sandbox_stats().await.since(&before).total,
        0,
        "no redirect URLs minted"
    );
    let session: Value = app.get("/api/session").await.json().await.expect("session");
    assert!(
        session["customer"].is_object(),
        "still signed in: {session}"
    );

    // The configured storefront origin may do both.
    let storefront = app.settings.application.cors_allowed_origins[0].clone();
    let response = app
        .api_client
        .post(app.url("/api/cart/checkout"))
        .header("Origin", storefront)
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn a_page_of_the_same_host_under_plain_http_is_another_origin() {
    // Served as https; a network attacker can serve anything on the same host over http.
    let app = spawn_app_with(|settings| {
        settings.application.base_url = "https://shop.example".parse().expect("url");
    })
    .await;
    let plain = app.address.clone();
    assert!(plain.starts_with("http://"));

    let response = client()
        .post(app.url("/api/cart/items"))
        .header("Origin", plain)
        .json(&json!({"line_items": [{"product_id": 101, "quantity": 1}]}))
        .send()
        .await
        .expect("post");

    assert_eq!(response.status().as_u16(), 403);
    let body: Value = response.json().await.expect("problem");
    assert_eq!(body["code"], "origin_refused");
    assert_eq!(app.sandbox_stats().await.total, 0);
}

#[tokio::test]
async fn a_form_without_a_csrf_token_is_a_clear_403_page() {
    let app = spawn_app().await;
    cart_page(&app).await;
    let response = app
        .api_client
        .post(app.url("/cart/clear"))
        .form(&[("nothing", "here")])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 403);
    assert!(response.text().await.expect("page").contains("expired"));
}

#[tokio::test]
async fn the_webhook_receiver_takes_callbacks_without_an_origin_check() {
    let app = spawn_app().await;
    let response = client()
        .post(app.url(&app.settings.webhooks.path))
        .header("Origin", EVIL)
        .json(&json!({}))
        .send()
        .await
        .expect("post");
    assert_ne!(response.status().as_u16(), 403);
}

/// An app behind `hops` proxies, with a share of `per_ip` calls and sign-ins a window per
/// address.
async fn behind_proxies(hops: u32, forwarded: bool, per_ip: u32) -> TestApp {
    spawn_app_with(|settings| {
        settings.rate_limits.trusted_proxy_hops = hops;
        settings.rate_limits.use_forwarded_header = forwarded;
        settings.rate_limits.address_share = share_of(per_ip);
        settings.rate_limits.address_sign_in_share = share_of(per_ip);
    })
    .await
}

/// One add from a fresh session with the given forwarding headers; the status.
async fn add_from(app: &TestApp, headers: &[(&str, String)]) -> u16 {
    let mut request = client()
        .post(app.url("/api/cart/items"))
        .json(&json!({"line_items": [{"product_id": 101, "quantity": 1}]}));
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    request.send().await.expect("add").status().as_u16()
}

#[tokio::test]
async fn a_forged_x_forwarded_for_does_not_buy_a_fresh_budget() {
    let app = behind_proxies(1, false, 3).await;
    // The proxy appends the real address; whatever the client wrote stays on the left.
    let mut statuses = Vec::new();
    for n in 0..5 {
        let forged = format!("203.0.113.{n}, 198.51.100.7");
        statuses.push(add_from(&app, &[("X-Forwarded-For", forged)]).await);
    }
    assert_eq!(statuses, [201, 201, 201, 429, 429]);
    // Another shopper behind the same proxy is not affected.
    let other = add_from(&app, &[("X-Forwarded-For", "198.51.100.8".to_owned())]).await;
    assert_eq!(other, 201);
}

#[tokio::test]
async fn bytes_that_are_not_ascii_in_x_forwarded_for_do_not_hide_the_proxys_entry() {
    let app = behind_proxies(1, false, 3).await;
    // A client writes bytes no address has; the proxy appends the real address to that line.
    let add_as = |n: u8, client_address: &'static [u8]| {
        let mut line = vec![0xe9, b'-', b'0' + n, b',', b' '];
        line.extend_from_slice(client_address);
        let value = reqwest::header::HeaderValue::from_bytes(&line).expect("header bytes");
        client()
            .post(app.url("/api/cart/items"))
            .header("X-Forwarded-For", value)
            .json(&json!({"line_items": [{"product_id": 101, "quantity": 1}]}))
            .send()
    };
    let mut statuses = Vec::new();
    for n in 0..5u8 {
        let response = add_as(n, b"198.51.100.7").await.expect("add");
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [201, 201, 201, 429, 429]);
    // Counted as 198.51.100.7, not as the proxy: the next shopper behind it is served.
    let other = add_as(9, b"198.51.100.8").await.expect("add");
    assert_eq!(other.status().as_u16(), 201);
}

#[tokio::test]
async fn two_trusted_hops_take_the_second_entry_from_the_right() {
    let app = behind_proxies(2, false, 2).await;
    let mut statuses = Vec::new();
    for n in 0..3 {
        // client-forged, real client (by the CDN), CDN node (by the load balancer)
        let chain = format!("10.9.9.{n}, 198.51.100.7, 192.0.2.{n}");
        statuses.push(add_from(&app, &[("X-Forwarded-For", chain)]).await);
    }
    assert_eq!(statuses, [201, 201, 429]);
}

#[tokio::test]
async fn forwarded_is_read_only_when_configured() {
    let ignored = behind_proxies(1, false, 1).await;
    let xff = ("X-Forwarded-For", "198.51.100.7".to_owned());
    let first = add_from(
        &ignored,
        &[xff.clone(), ("Forwarded", "for=203.0.113.1".to_owned())],
    )
    .await;
    let second = add_from(
        &ignored,
        &[xff, ("Forwarded", "for=203.0.113.2".to_owned())],
    )
    .await;
    assert_eq!((first, second), (201, 429), "Forwarded changed nothing");

    let read = behind_proxies(1, true, 1).await;
    let forwarded = |client: &str| {
        (
            "Forwarded",
            format!("for=203.0.113.66;proto=https, for=\"{client}\";proto=https"),
        )
    };
    assert_eq!(add_from(&read, &[forwarded("198.51.100.7")]).await, 201);
    assert_eq!(add_from(&read, &[forwarded("198.51.100.7")]).await, 429);
    assert_eq!(
        add_from(&read, &[forwarded("[2001:db8::1]:4711")]).await,
        201
    );
}

#[tokio::test]
async fn ipv6_clients_are_limited_by_their_slash_64() {
    let app = behind_proxies(1, false, 2).await;
    let mut statuses = Vec::new();
    for host in ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3"] {
        statuses.push(add_from(&app, &[("X-Forwarded-For", host.to_owned())]).await);
    }
    assert_eq!(statuses, [201, 201, 429]);
    let neighbour = add_from(&app, &[("X-Forwarded-For", "2001:db8:1:3::1".to_owned())]).await;
    assert_eq!(neighbour, 201, "the next /64 has its own budget");
}

#[tokio::test]
async fn one_abuser_behind_the_proxy_does_not_lock_everyone_out_of_sign_in() {
    let app = behind_proxies(1, false, 3).await;
    let sign_in = |from: &'static str, password: &'static str| {
        let url = app.url("/api/session/login");
        async move {
            client()
                .post(url)
                .header("X-Forwarded-For", from)
                .json(&json!({"email": JANE.0, "password": password}))
                .send()
                .await
                .expect("login")
                .status()
                .as_u16()
        }
    };
    for _ in 0..5 {
        sign_in("6.6.6.6, 203.0.113.50", "wrong-password").await;
    }
    assert_eq!(
        sign_in("203.0.113.50", JANE.1).await,
        429,
        "the abuser is held"
    );
    assert_eq!(
        sign_in("198.51.100.7", JANE.1).await,
        200,
        "a shopper is not"
    );
}

#[tokio::test]
async fn a_recovery_token_never_reaches_the_logs_through_an_upstream_error() {
    let app = spawn_app().await;
    app.add_item(101, None, 1).await;
    let cart = app.stored_cart_id().await;
    let token = app.abandon_cart(&cart.to_string()).await;
    // BigCommerce sends its headers, then the connection breaks: the HTTP client's error
    // names the URL, which carries the token.
    app.inject_faults(json!({"rules": [{
        "route": "GET /v3/abandoned-carts/*", "status": 200, "drop_connection": true
    }]}))
    .await;
    let response = client()
        .post(app.url("/api/cart/recover"))
        .json(&json!({"token": token}))
        .send()
        .await
        .expect("recover");
    assert!(response.status().is_server_error(), "{}", response.status());
    let logs = captured_logs();
    assert!(logs.contains("abandoned"), "the failure is logged");
    assert!(!logs.contains(&token), "the recovery token was logged");
}
