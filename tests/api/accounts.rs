//! Shopper accounts: sign-in through BigCommerce, session rotation, whose cart it is, and
//! checking out already signed in.

use serde_json::{json, Value};

use crate::helpers::{captured_logs, client, spawn_app, TestApp};

pub(crate) const JANE: (&str, &str) = ("jane@example.com", "Sandbox123!");
pub(crate) const JOHN: (&str, &str) = ("john@example.com", "Sandbox456!");

pub(crate) async fn login_with(
    app: &TestApp,
    http: &reqwest::Client,
    (email, password): (&str, &str),
) -> reqwest::Response {
    http.post(app.url("/api/session/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("login")
}

pub(crate) async fn add_with(
    app: &TestApp,
    http: &reqwest::Client,
    product: i64,
    variant: Option<i64>,
    quantity: i64,
) -> Value {
    let mut item = json!({"product_id": product, "quantity": quantity});
    if let Some(variant) = variant {
        item["variant_id"] = variant.into();
    }
    let response = http
        .post(app.url("/api/cart/items"))
        .json(&json!({"line_items": [item]}))
        .send()
        .await
        .expect("add");
    assert_eq!(response.status().as_u16(), 201);
    response.json().await.expect("json")
}

pub(crate) fn cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| {
            v[name.len() + 1..]
                .split(';')
                .next()
                .unwrap_or("")
                .to_owned()
        })
}

/// Lines as (product, variant, quantity), sorted, for exact comparisons.
pub(crate) fn lines(cart: &Value) -> Vec<(i64, i64, i64)> {
    let mut lines: Vec<(i64, i64, i64)> = cart["line_items"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|line| {
            (
                line["product_id"].as_i64().unwrap_or(0),
                line["variant_id"].as_i64().unwrap_or(0),
                line["quantity"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    lines.sort();
    lines
}

pub(crate) async fn sandbox_carts(app: &TestApp) -> Vec<Value> {
    reqwest::get(app.sandbox_url("/carts"))
        .await
        .expect("carts")
        .json()
        .await
        .expect("json")
}

#[tokio::test]
async fn signing_in_rotates_the_session_and_the_old_cookie_stops_working() {
    let app = spawn_app().await;
    let name = app.settings.session.cookie_name.clone();
    let guest_cookie = crate::helpers::new_session_cookie(&app).await;
    let old = guest_cookie[name.len() + 1..].to_owned();
    let as_guest = |path: &str| {
        crate::helpers::cookieless_client()
            .get(app.url(path))
            .header("cookie", &guest_cookie)
    };
    let guest: Value = as_guest("/api/session")
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(
        guest,
        json!({"customer": null, "item_count": 0, "left_behind": null})
    );

    let response = crate::helpers::cookieless_client()
        .post(app.url("/api/session/login"))
        .header("cookie", &guest_cookie)
        .json(&json!({"email": JANE.0, "password": JANE.1}))
        .send()
        .await
        .expect("login");

    assert_eq!(response.status().as_u16(), 200);
    let new = cookie(&response, &name).expect("a new session cookie");
    assert_ne!(new, old);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["customer"]["id"], 1);
    let signed_in: Value = crate::helpers::cookieless_client()
        .get(app.url("/api/session"))
        .header("cookie", format!("{name}={new}"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(signed_in["customer"]["id"], 1);
    // The old token names nothing any more: a read with it is a guest's, and stores nothing.
    let replay = as_guest("/api/session").send().await.expect("request");
    assert!(cookie(&replay, &name).is_none(), "a read stores no session");
    let replayed: Value = replay.json().await.expect("json");
    assert_eq!(replayed["customer"], Value::Null);
    assert_eq!(app.session_count().await, 1, "only the signed-in session");
}

#[tokio::test]
async fn wrong_credentials_get_the_same_401_whichever_part_was_wrong() {
    let app = spawn_app().await;
    let cases = [
        ("jane@example.com", "wrong-password", "wrong password"),
        ("nobody@example.com", "Sandbox123!", "unknown e-mail"),
        (
            "jane@example.com",
            "Sandbox456!",
            "another customer's password",
        ),
    ];
    let mut bodies = Vec::new();
    for (email, password, why) in cases {
        let response = login_with(&app, &client(), (email, password)).await;
        assert_eq!(response.status().as_u16(), 401, "{why}");
        let mut body: Value = response.json().await.expect("json");
        assert_eq!(body["code"], "invalid_credentials", "{why}");
        body.as_object_mut().expect("object").remove("instance");
        bodies.push(body);
    }
    assert!(
        bodies.windows(2).all(|pair| pair[0] == pair[1]),
        "the answers differ: {bodies:?}"
    );
    let malformed = login_with(&app, &client(), ("not-an-address", "x")).await;
    assert_eq!(malformed.status().as_u16(), 422);
}

#[tokio::test]
async fn failed_sign_ins_are_throttled_per_address_and_email_and_attempts_per_address() {
    let app = spawn_app_with_limits(5, 100).await;
    for attempt in 0..5 {
        let response = login_with(&app, &client(), ("jane@example.com", "nope")).await;
        assert_eq!(response.status().as_u16(), 401, "attempt {attempt}");
    }
    let throttled = login_with(&app, &client(), ("JANE@example.com", "Sandbox123!")).await;
    assert_eq!(
        throttled.status().as_u16(),
        429,
        "case does not dodge the per-e-mail count"
    );
    assert!(throttled.headers().get("retry-after").is_some());
    let body: Value = throttled.json().await.expect("json");
    assert_eq!(body["code"], "too_many_requests");
    let calls = app
        .sandbox_stats()
        .await
        .calls("POST /v3/customers/validate-credentials");
    assert_eq!(calls, 5, "a throttled attempt never reaches BigCommerce");

    let app = spawn_app_with_limits(100, 3).await;
    for n in 0..3 {
        login_with(&app, &client(), (&format!("user{n}@example.com"), "x")).await;
    }
    let throttled = login_with(&app, &client(), ("other@example.com", "x")).await;
    assert_eq!(throttled.status().as_u16(), 429, "per client address");
}

/// Failed sign-ins allowed per (address, e-mail), and sign-in attempts per address a window.
async fn spawn_app_with_limits(failures_per_email: u32, per_ip: u32) -> TestApp {
    crate::helpers::spawn_app_with(|settings| {
        settings.rate_limits.sign_in_failures_per_address_and_email = failures_per_email;
        settings.rate_limits.address_sign_in_share = crate::helpers::share_of(per_ip);
    })
    .await
}

#[tokio::test]
async fn a_guest_cart_is_assigned_to_a_customer_who_has_none() {
    let app = spawn_app().await;
    add_with(&app, &app.api_client, 101, None, 2).await;

    let body: Value = login_with(&app, &app.api_client, JANE)
        .await
        .json()
        .await
        .expect("json");

    assert_eq!(body["cart_outcome"], "cart_assigned");
    assert_eq!(lines(&body["cart"]), vec![(101, 1011, 2)]);
    let carts = sandbox_carts(&app).await;
    assert_eq!(carts.len(), 1);
    assert_eq!(carts[0]["customer_id"], 1, "{carts:?}");
    let cart: Value = app.get_cart().await.json().await.expect("json");
    assert_eq!(lines(&cart["cart"]), vec![(101, 1011, 2)]);
}

#[tokio::test]
async fn a_guest_cart_is_merged_into_the_customers_cart_and_deleted() {
    let app = spawn_app().await;
    // Jane's cart, made on her laptop.
    let laptop = client();
    login_with(&app, &laptop, JANE).await;
    add_with(&app, &laptop, 101, None, 1).await;
    add_with(&app, &laptop, 110, Some(1101), 1).await;
    // On her phone, as a guest, she adds more of the same and something new.
    let phone = client();
    add_with(&app, &phone, 101, None, 2).await;
    add_with(&app, &phone, 102, None, 1).await;

    let body: Value = login_with(&app, &phone, JANE)
        .await
        .json()
        .await
        .expect("json");

    assert_eq!(body["cart_outcome"], "cart_merged");
    assert_eq!(
        lines(&body["cart"]),
        vec![(101, 1011, 3), (102, 1021, 1), (110, 1101, 1)],
        "quantities summed per product and variant"
    );
    assert_eq!(
        sandbox_carts(&app).await.len(),
        1,
        "the guest cart is deleted"
    );
    let on_laptop: Value = laptop
        .get(app.url("/api/cart"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(lines(&on_laptop["cart"]).len(), 3);
}

#[tokio::test]
async fn signing_in_on_a_second_device_restores_the_customers_cart() {
    let app = spawn_app().await;
    let laptop = client();
    login_with(&app, &laptop, JOHN).await;
    add_with(&app, &laptop, 103, None, 4).await;

    let phone = client();
    let body: Value = login_with(&app, &phone, JOHN)
        .await
        .json()
        .await
        .expect("json");

    assert_eq!(body["cart_outcome"], "cart_restored");
    assert_eq!(lines(&body["cart"]), vec![(103, 1031, 4)]);
    let on_phone: Value = phone
        .get(app.url("/api/cart"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(lines(&on_phone["cart"]), vec![(103, 1031, 4)]);
    let carts = sandbox_carts(&app).await;
    assert_eq!(carts.len(), 1);
    assert_eq!(
        carts[0]["customer_id"], 2,
        "created signed in, so it carries the customer id"
    );
}

#[tokio::test]
async fn signing_out_ends_the_session_but_the_cart_stays_with_the_customer() {
    let app = spawn_app().await;
    login_with(&app, &app.api_client, JANE).await;
    add_with(&app, &app.api_client, 104, None, 1).await;

    let response = app
        .api_client
        .post(app.url("/api/session/logout"))
        .send()
        .await
        .expect("logout");

    assert_eq!(response.status().as_u16(), 204);
    let guest: Value = app.get("/api/session").await.json().await.expect("json");
    assert_eq!(
        guest,
        json!({"customer": null, "item_count": 0, "left_behind": null})
    );
    let body: Value = login_with(&app, &app.api_client, JANE)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(body["cart_outcome"], "cart_restored");
    assert_eq!(lines(&body["cart"]), vec![(104, 1041, 1)]);
}

#[tokio::test]
async fn a_signed_in_checkout_goes_through_a_customer_login_jwt_that_the_store_accepts_once() {
    let app = spawn_app().await;
    login_with(&app, &app.api_client, JANE).await;
    add_with(&app, &app.api_client, 101, None, 1).await;

    let urls: Value = app.checkout().await.json().await.expect("json");

    let login_url = urls["checkout_url"].as_str().expect("url").to_owned();
    let prefix = format!("{}/login/token/", app.sandbox.base_url());
    assert!(login_url.starts_with(&prefix), "{login_url}");
    assert_eq!(urls["url"], urls["checkout_url"]);
    // One hand-off, one URL: the others would share its single-use token.
    assert!(urls.get("embedded_checkout_url").is_none());
    assert!(urls.get("cart_url").is_none());
    let browser = client();
    let accepted = browser.get(&login_url).send().await.expect("follow");
    assert!(
        accepted.status().is_redirection(),
        "accepted: {}",
        accepted.status()
    );
    let target = accepted.headers()["location"].to_str().expect("ascii");
    assert!(
        target.contains("action=loadInCheckout"),
        "redirect_to is the fresh checkout URL: {target}"
    );

    let replayed = client().get(&login_url).send().await.expect("replay");
    assert!(replayed.status().is_client_error(), "a used jti is refused");

    let (head, signature) = login_url.rsplit_once('.').expect("a JWT");
    let flipped = if signature.starts_with('A') { "B" } else { "A" };
    let tampered = format!("{head}.{flipped}{}", &signature[1..]);
    let refused = client().get(&tampered).send().await.expect("tampered");
    assert!(
        refused.status().is_client_error(),
        "a tampered JWT is refused"
    );
}

#[tokio::test]
async fn a_stale_customer_login_jwt_is_refused_by_the_store() {
    let app = spawn_app().await;
    login_with(&app, &app.api_client, JANE).await;
    add_with(&app, &app.api_client, 101, None, 1).await;
    app.checkout().await; // measures the clock offset, which is then cached

    // BigCommerce's clock moves on by two minutes; our cached offset is now wrong.
    reqwest::Client::new()
        .post(app.sandbox_url("/clock"))
        .json(&json!({"offset_seconds": 120}))
        .send()
        .await
        .expect("clock");
    let urls: Value = app.checkout().await.json().await.expect("json");
    let refused = client()
        .get(urls["checkout_url"].as_str().expect("url"))
        .send()
        .await
        .expect("follow");

    assert!(refused.status().is_client_error(), "{}", refused.status());
    let page = refused.text().await.expect("page");
    assert!(
        page.to_lowercase().contains("iat") || page.to_lowercase().contains("expired"),
        "{page}"
    );
}

#[tokio::test]
async fn a_customers_abandoned_cart_needs_that_customer_signed_in() {
    let app = spawn_app().await;
    let laptop = client();
    login_with(&app, &laptop, JANE).await;
    add_with(&app, &laptop, 105, None, 2).await;
    let cart_id = sandbox_carts(&app).await[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let abandoned = json!({"token": app.abandon_cart(&cart_id).await});
    let token = abandoned["token"].as_str().expect("token");

    let as_guest = app.recover(token).await;
    assert_eq!(as_guest.status().as_u16(), 403);
    let body: Value = as_guest.json().await.expect("json");
    assert_eq!(body["code"], "sign_in_required");

    login_with(&app, &app.api_client, JOHN).await;
    assert_eq!(
        app.recover(token).await.status().as_u16(),
        403,
        "another customer"
    );

    let jane = client();
    login_with(&app, &jane, JANE).await;
    let recovered = jane
        .post(app.url("/api/cart/recover"))
        .json(&json!({"token": token}))
        .send()
        .await
        .expect("recover");
    assert_eq!(recovered.status().as_u16(), 200);
}

#[tokio::test]
async fn no_password_or_email_address_reaches_the_logs() {
    let app = spawn_app().await;
    login_with(
        &app,
        &client(),
        ("leak-check@example.com", "Pa55word-leak-check"),
    )
    .await;
    login_with(&app, &app.api_client, JANE).await;
    add_with(&app, &app.api_client, 101, None, 1).await;
    app.checkout().await;

    let logs = captured_logs();
    assert!(logs.contains("/api/session/login"), "sign-ins are logged");
    for secret in [
        "Pa55word-leak-check",
        "leak-check@example.com",
        JANE.1,
        JANE.0,
    ] {
        assert!(!logs.contains(secret), "`{secret}` was logged");
    }
}
