//! Fair shares of the store's API quota, written as the attacks they stop: one address opening
//! fresh sessions to add, guessing recovery tokens (API and page), guessing passwords. Each is
//! held to its share of the store's window (the sandbox's 150 requests per 30 s), counted from
//! the sandbox's stats, while another address is still served.

use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::helpers::{
    configured_rate_limits, cookieless_client, one_line, share_of, spawn_app_with, TestApp,
    SANDBOX_QUOTA,
};

const ATTACKER: &str = "198.51.100.66";
const SHOPPER: &str = "203.0.113.7";

/// The app behind one trusted proxy (so a test can name the client's address), with the fair
/// shares `config/` sets.
async fn spawn_app_with_configured_shares(customise: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_with(|settings| {
        settings.rate_limits = configured_rate_limits();
        settings.rate_limits.trusted_proxy_hops = 1;
        customise(settings);
    })
    .await
}

type Settings = checkout_bff::configuration::Settings;

/// The calls one share of the sandbox's quota allows.
fn calls_of(share: f64) -> usize {
    (f64::from(SANDBOX_QUOTA) * share + 1e-9).floor() as usize
}

/// A first add from a client without cookies (a fresh session every time) at `address`.
async fn fresh_add(app: &TestApp, address: &str) -> reqwest::Response {
    cookieless_client()
        .post(app.url("/api/cart/items"))
        .header("X-Forwarded-For", address)
        .json(&one_line(104, None, 1))
        .send()
        .await
        .expect("add")
}

/// Asserts a 429 in the error contract, with a Retry-After within the store's window.
async fn assert_share_spent(response: reqwest::Response, what: &str) {
    assert_eq!(response.status().as_u16(), 429, "{what}");
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(
        (1..=30).contains(&retry_after),
        "{what}: Retry-After {retry_after}"
    );
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json",
        "{what}"
    );
    let problem: Value = response.json().await.expect("problem");
    assert_eq!(problem["code"], "too_many_requests", "{what}");
    assert_eq!(problem["status"], 429, "{what}");
}

#[tokio::test]
async fn one_address_making_fresh_sessions_spends_at_most_half_of_the_window() {
    // Arrange
    let app = spawn_app_with_configured_shares(|_| {}).await;
    let share = calls_of(configured_rate_limits().address_share);
    assert_eq!(share, 75, "half of the store's 150");
    let before = app.sandbox_stats().await;

    // Act: 100 first adds, each in a session of its own.
    let mut statuses = Vec::new();
    let mut refused = None;
    for _ in 0..100 {
        let response = fresh_add(&app, ATTACKER).await;
        statuses.push(response.status().as_u16());
        if response.status().as_u16() == 429 && refused.is_none() {
            refused = Some(response);
        }
    }
    let spent = app.sandbox_stats().await.since(&before);
    let shopper = fresh_add(&app, SHOPPER).await;

    // Assert
    assert_eq!(statuses[..share], vec![201; share][..], "{statuses:?}");
    assert_eq!(
        statuses[share..],
        vec![429; 100 - share][..],
        "{statuses:?}"
    );
    assert_share_spent(refused.expect("a refusal"), "over the address's share").await;
    assert_eq!(spent.calls("POST /v3/carts"), share as u64, "{spent:?}");
    assert_eq!(spent.total, share as u64, "nothing but the admitted carts");
    assert_eq!(
        app.session_count().await,
        share as i64 + 1,
        "the admitted adds' and the other address's: a refused add stores no session"
    );
    assert_eq!(shopper.status().as_u16(), 201, "another address is served");
}

#[tokio::test]
async fn refused_first_adds_with_idempotency_keys_store_nothing_either() {
    // Arrange
    let app = spawn_app_with_configured_shares(|settings| {
        settings.rate_limits.address_share = share_of(3);
    })
    .await;

    // Act
    let mut statuses = Vec::new();
    for n in 0..10 {
        let response = cookieless_client()
            .post(app.url("/api/cart/items"))
            .header("X-Forwarded-For", ATTACKER)
            .header("Idempotency-Key", format!("key-{n}"))
            .json(&one_line(104, None, 1))
            .send()
            .await
            .expect("add");
        statuses.push(response.status().as_u16());
    }

    // Assert
    assert_eq!(statuses, [201, 201, 201, 429, 429, 429, 429, 429, 429, 429]);
    assert_eq!(app.session_count().await, 3);
}

#[tokio::test]
async fn concurrent_fresh_sessions_from_one_address_never_overshoot_its_share() {
    // Arrange: a share of 10 calls; the store's answers already taught the budget its window.
    let app = spawn_app_with_configured_shares(|settings| {
        settings.rate_limits.address_share = share_of(10);
    })
    .await;
    assert_eq!(app.get("/api/products").await.status().as_u16(), 200);
    let before = app.sandbox_stats().await;

    // Act
    let statuses: Vec<u16> =
        join_all((0..30).map(|_| async { fresh_add(&app, ATTACKER).await.status().as_u16() }))
            .await;

    // Assert
    let admitted = statuses.iter().filter(|s| **s == 201).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((admitted, refused), (10, 20), "{statuses:?}");
    let spent = app.sandbox_stats().await.since(&before);
    assert_eq!(spent.calls("POST /v3/carts"), 10, "{spent:?}");
}

#[tokio::test]
async fn a_session_gets_a_smaller_share_than_its_address() {
    // Arrange
    let app = spawn_app_with_configured_shares(|_| {}).await;
    let share = calls_of(configured_rate_limits().session_share);
    assert_eq!(share, 15);
    let http = crate::helpers::client();
    let add = || async {
        http.post(app.url("/api/cart/items"))
            .header("X-Forwarded-For", SHOPPER)
            .json(&one_line(104, None, 1))
            .send()
            .await
            .expect("add")
    };
    for n in 0..share {
        assert_eq!(add().await.status().as_u16(), 201, "add {n}");
    }
    let before = app.sandbox_stats().await;

    // Act
    let over = add().await;
    let read = http
        .get(app.url("/api/cart"))
        .header("X-Forwarded-For", SHOPPER)
        .send()
        .await
        .expect("read");
    let other_session = fresh_add(&app, SHOPPER).await;

    // Assert
    assert_share_spent(over, "over the session's share").await;
    assert_eq!(read.status().as_u16(), 200, "reads spend no share");
    assert_eq!(
        other_session.status().as_u16(),
        201,
        "another session of the address"
    );
    assert_eq!(app.sandbox_stats().await.since(&before).total, 1);
}

/// A guessed recovery token: 32 hex digits, as BigCommerce's are.
fn guess(n: usize) -> String {
    format!("{n:032x}")
}

#[tokio::test]
async fn guessed_recovery_tokens_on_the_api_are_held_to_the_share() {
    // Arrange: each look-up is charged its two calls (a guess costs BigCommerce one).
    let app = spawn_app_with_configured_shares(|_| {}).await;
    let share = calls_of(configured_rate_limits().address_share);
    let look_ups = share / 2;
    let before = app.sandbox_stats().await;

    // Act
    let mut statuses = Vec::new();
    let mut refused = None;
    for n in 0..60 {
        let response = cookieless_client()
            .post(app.url("/api/cart/recover"))
            .header("X-Forwarded-For", ATTACKER)
            .json(&json!({"token": guess(n)}))
            .send()
            .await
            .expect("recover");
        statuses.push(response.status().as_u16());
        if response.status().as_u16() == 429 && refused.is_none() {
            refused = Some(response);
        }
    }
    let spent = app.sandbox_stats().await.since(&before);
    let shopper = cookieless_client()
        .post(app.url("/api/cart/recover"))
        .header("X-Forwarded-For", SHOPPER)
        .json(&json!({"token": guess(1000)}))
        .send()
        .await
        .expect("recover");

    // Assert
    assert_eq!(
        statuses[..look_ups],
        vec![404; look_ups][..],
        "{statuses:?}"
    );
    assert!(
        statuses[look_ups..].iter().all(|s| *s == 429),
        "{statuses:?}"
    );
    assert_share_spent(refused.expect("a refusal"), "guessing on the API").await;
    assert_eq!(
        spent.calls("GET /v3/abandoned-carts/{token}"),
        look_ups as u64
    );
    assert!(spent.total <= share as u64, "{spent:?}");
    assert_eq!(app.session_count().await, 0, "a guess stores no session");
    assert_eq!(
        shopper.status().as_u16(),
        404,
        "another address may still look"
    );
}

#[tokio::test]
async fn guessed_recovery_links_on_the_page_are_held_to_the_same_share() {
    // Arrange
    let app = spawn_app_with_configured_shares(|_| {}).await;
    let share = calls_of(configured_rate_limits().address_share);
    let look_ups = share / 2;
    let before = app.sandbox_stats().await;
    let open = |n: usize, address: &'static str| {
        let url = app.url(&format!("/cart/recover?t={}", guess(n)));
        async move {
            cookieless_client()
                .get(url)
                .header("X-Forwarded-For", address)
                .send()
                .await
                .expect("open the link")
        }
    };

    // Act: opening a link is a GET that another site can make a browser send, guessed or not.
    let mut statuses = Vec::new();
    let mut refused = None;
    for n in 0..60 {
        let response = open(n, ATTACKER).await;
        statuses.push(response.status().as_u16());
        if response.status().as_u16() == 429 && refused.is_none() {
            refused = Some(response);
        }
    }
    let spent = app.sandbox_stats().await.since(&before);
    let api_after_page = cookieless_client()
        .post(app.url("/api/cart/recover"))
        .header("X-Forwarded-For", ATTACKER)
        .json(&json!({"token": guess(999)}))
        .send()
        .await
        .expect("recover");
    let shopper = open(1000, SHOPPER).await;

    // Assert: an unknown link goes back to the cart with a message; then the share is spent.
    assert_eq!(
        statuses[..look_ups],
        vec![303; look_ups][..],
        "{statuses:?}"
    );
    assert!(
        statuses[look_ups..].iter().all(|s| *s == 429),
        "{statuses:?}"
    );
    let refused = refused.expect("a refusal");
    assert!(refused.headers().contains_key("retry-after"));
    assert!(refused.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/html"));
    assert_eq!(
        spent.calls("GET /v3/abandoned-carts/{token}"),
        look_ups as u64
    );
    assert!(spent.total <= share as u64, "{spent:?}");
    assert_eq!(app.session_count().await, 0, "a guess stores no session");
    assert_eq!(
        api_after_page.status().as_u16(),
        429,
        "the page and the API share one budget"
    );
    assert_eq!(shopper.status().as_u16(), 303, "another address is served");
}

/// A sign-in from `address` in a fresh session; the status.
async fn sign_in_from(app: &TestApp, address: &str, email: &str, password: &str) -> u16 {
    cookieless_client()
        .post(app.url("/api/session/login"))
        .header("X-Forwarded-For", address)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("login")
        .status()
        .as_u16()
}

#[tokio::test]
async fn sign_in_attempts_from_one_address_are_held_to_its_sign_in_share() {
    // Arrange: credential stuffing, one guess per account.
    let app = spawn_app_with_configured_shares(|_| {}).await;
    let share = calls_of(configured_rate_limits().address_sign_in_share);
    assert_eq!(share, 6);
    let before = app.sandbox_stats().await;

    // Act
    let mut statuses = Vec::new();
    for n in 0..12 {
        let email = format!("user{n}@example.com");
        statuses.push(sign_in_from(&app, ATTACKER, &email, "Password1!").await);
    }
    let spent = app.sandbox_stats().await.since(&before);
    let jane = sign_in_from(&app, SHOPPER, "jane@example.com", "Sandbox123!").await;

    // Assert
    assert_eq!(statuses[..share], vec![401; share][..], "{statuses:?}");
    assert_eq!(statuses[share..], vec![429; 12 - share][..], "{statuses:?}");
    assert_eq!(
        spent.calls("POST /v3/customers/validate-credentials"),
        share as u64
    );
    assert_eq!(jane, 200, "a shopper at another address signs in");
}

#[tokio::test]
async fn failed_guesses_for_an_account_do_not_lock_its_owner_out() {
    // Arrange
    let app = spawn_app_with_configured_shares(|_| {}).await;
    let allowed = configured_rate_limits().sign_in_failures_per_address_and_email as usize;

    // Act: guesses at Jane's password until this address is held for her e-mail.
    let mut statuses = Vec::new();
    for _ in 0..allowed + 1 {
        statuses.push(sign_in_from(&app, ATTACKER, "jane@example.com", "guess").await);
    }
    let right_password_from_the_attacker =
        sign_in_from(&app, ATTACKER, "JANE@example.com", "Sandbox123!").await;
    let jane_at_home = sign_in_from(&app, SHOPPER, "jane@example.com", "Sandbox123!").await;

    // Assert
    assert_eq!(statuses[..allowed], vec![401; allowed][..], "{statuses:?}");
    assert_eq!(statuses[allowed], 429, "{statuses:?}");
    assert_eq!(
        right_password_from_the_attacker, 429,
        "the guessing address stays held, whatever the case"
    );
    assert_eq!(jane_at_home, 200, "the owner is not locked out");
}

#[tokio::test]
async fn a_right_password_does_not_count_as_a_failure() {
    // Arrange: one failure allowed per address and e-mail.
    let app = spawn_app_with_configured_shares(|settings| {
        settings.rate_limits.sign_in_failures_per_address_and_email = 1;
    })
    .await;

    // Act
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(sign_in_from(&app, SHOPPER, "jane@example.com", "Sandbox123!").await);
    }
    statuses.push(sign_in_from(&app, SHOPPER, "jane@example.com", "typo").await);
    statuses.push(sign_in_from(&app, SHOPPER, "jane@example.com", "Sandbox123!").await);

    // Assert
    assert_eq!(statuses, [200, 200, 200, 401, 429]);
}

#[tokio::test]
async fn bad_input_is_refused_without_spending_the_share() {
    // Arrange: a share of two calls.
    let app = spawn_app_with_configured_shares(|settings| {
        settings.rate_limits.address_share = share_of(2);
    })
    .await;
    let http = cookieless_client();
    let post = |path: &str, body: Value| {
        http.post(app.url(path))
            .header("X-Forwarded-For", ATTACKER)
            .json(&body)
    };

    // Act: malformed requests, each answered 4xx before anything is spent...
    let mut refused = Vec::new();
    for (path, body) in [
        ("/api/cart/items", json!({"line_items": []})),
        (
            "/api/cart/items",
            json!({"line_items": [{"product_id": 0, "quantity": 1}]}),
        ),
        (
            "/api/cart/items",
            json!({"line_items": [{"product_id": 104, "quantity": 0}]}),
        ),
        ("/api/cart/items", json!({"unknown": true})),
        ("/api/cart/recover", json!({"token": "../../v2/orders"})),
        (
            "/api/session/login",
            json!({"email": "not-an-address", "password": "x"}),
        ),
    ] {
        for _ in 0..3 {
            let status = post(path, body.clone())
                .send()
                .await
                .expect("post")
                .status();
            refused.push(status.as_u16());
        }
    }
    // ...and changes to a cart that does not exist, which call nobody.
    for _ in 0..3 {
        let patch = http
            .patch(app.url("/api/cart/items/6f9619ff-8b86-d011-b42d-00cf4fc964ff"))
            .header("X-Forwarded-For", ATTACKER)
            .json(&json!({"quantity": 2}))
            .send()
            .await
            .expect("patch");
        refused.push(patch.status().as_u16());
    }
    let adds = [
        fresh_add(&app, ATTACKER).await.status().as_u16(),
        fresh_add(&app, ATTACKER).await.status().as_u16(),
        fresh_add(&app, ATTACKER).await.status().as_u16(),
    ];

    // Assert
    assert!(
        refused.iter().all(|s| (400..500).contains(s) && *s != 429),
        "{refused:?}"
    );
    assert_eq!(adds, [201, 201, 429], "the whole share was still there");
}

#[tokio::test]
async fn the_cart_pages_forms_answer_a_spent_share_with_a_429_page() {
    // Arrange: a share of one call for the address.
    let app = spawn_app_with_configured_shares(|settings| {
        settings.rate_limits.address_share = share_of(1);
    })
    .await;
    let browser = crate::helpers::client();
    let page = |browser: &reqwest::Client| {
        let url = app.url("/cart");
        let browser = browser.clone();
        async move {
            browser
                .get(url)
                .header("X-Forwarded-For", ATTACKER)
                .send()
                .await
                .expect("page")
                .text()
                .await
                .expect("html")
        }
    };
    let add = |browser: &reqwest::Client, token: String| {
        let url = app.url("/cart/items");
        let browser = browser.clone();
        async move {
            browser
                .post(url)
                .header("X-Forwarded-For", ATTACKER)
                .form(&[
                    ("csrf_token", token.as_str()),
                    ("product_id", "104"),
                    ("quantity", "1"),
                ])
                .send()
                .await
                .expect("add")
        }
    };

    // Act
    let first = add(&browser, crate::pages::csrf_token(&page(&browser).await)).await;
    let second = add(&browser, crate::pages::csrf_token(&page(&browser).await)).await;

    // Assert
    assert_eq!(first.status().as_u16(), 303);
    assert_eq!(second.status().as_u16(), 429);
    assert!(second.headers().contains_key("retry-after"));
    let html = second.text().await.expect("html");
    assert!(html.contains("Too many requests"), "{html}");
}
