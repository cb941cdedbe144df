//! The server-rendered cart pages: CSRF, post-redirect-get with one-time messages, security
//! headers, escaping, and the abandoned-cart landing page.

use bc_sandbox::{SandboxConfig, SeedSource};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with_sandbox, TestApp};

/// The CSRF token embedded in a page's forms.
pub(crate) fn csrf_token(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("a form with a CSRF token") + marker.len();
    html[start..start + 64].to_owned()
}

pub(crate) async fn cart_page(
    app: &TestApp,
) -> (reqwest::StatusCode, reqwest::header::HeaderMap, String) {
    let response = app.get("/cart").await;
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.text().await.expect("html"))
}

pub(crate) async fn post_form(
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    app.api_client
        .post(app.url(path))
        .form(form)
        .send()
        .await
        .expect("form post")
}

#[tokio::test]
async fn the_cart_page_is_html_with_strict_security_headers() {
    let app = spawn_app().await;

    let (status, headers, html) = cart_page(&app).await;

    assert_eq!(status.as_u16(), 200);
    assert!(headers["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/html"));
    let csp = headers["content-security-policy"].to_str().expect("ascii");
    for directive in [
        "default-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(directive), "CSP lacks {directive}: {csp}");
    }
    assert!(
        !csp.contains("script-src"),
        "the pages need no script at all"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "same-origin");
    assert_eq!(headers["cache-control"], "private, no-store");
    assert!(html.contains("Your cart is empty."));
}

#[tokio::test]
async fn a_form_post_without_a_valid_csrf_token_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let (_, _, html) = cart_page(&app).await;
    let other_sessions_token = {
        let other = crate::helpers::client();
        let page = other
            .get(app.url("/cart"))
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("html");
        csrf_token(&page)
    };
    assert_ne!(other_sessions_token, csrf_token(&html));
    let cases: [(&[(&str, &str)], &str); 3] = [
        (&[("product_id", "101"), ("quantity", "1")], "no token"),
        (
            &[
                ("csrf_token", "0000"),
                ("product_id", "101"),
                ("quantity", "1"),
            ],
            "a forged token",
        ),
        (
            &[
                ("csrf_token", other_sessions_token.as_str()),
                ("product_id", "101"),
                ("quantity", "1"),
            ],
            "another session's token",
        ),
    ];
    for (form, why) in cases {
        let response = post_form(&app, "/cart/items", form).await;
        assert!(
            [400, 403].contains(&response.status().as_u16()),
            "{why}: {}",
            response.status()
        );
    }
    let stats = app.sandbox_stats().await;
    assert_eq!(
        stats.total,
        stats.calls("GET /v3/catalog/products"),
        "only the product list was read"
    );
    let cart: Value = app.get_cart().await.json().await.expect("json");
    assert_eq!(cart["cart"], Value::Null);
}

#[tokio::test]
async fn adding_through_the_form_redirects_back_with_a_message_shown_once() {
    let app = spawn_app().await;
    let (_, _, html) = cart_page(&app).await;
    let token = csrf_token(&html);

    let response = post_form(
        &app,
        "/cart/items",
        &[
            ("csrf_token", &token),
            ("product_id", "101"),
            ("variant_id", "1011"),
            ("quantity", "2"),
        ],
    )
    .await;

    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], "/cart");
    let (_, _, html) = cart_page(&app).await;
    assert!(html.contains("Added 2 × Sandbox Mug."), "{html}");
    assert!(html.contains("$24.00"));
    let (_, _, again) = cart_page(&app).await;
    assert!(
        !again.contains("Added 2 × Sandbox Mug."),
        "the message shows once"
    );
}

#[tokio::test]
async fn refusals_and_limits_are_shown_as_readable_messages() {
    let app = spawn_app().await;
    let token = csrf_token(&cart_page(&app).await.2);
    let cases = [
        (("150", "1"), "stock"),
        (("140", "5"), "maximum of 2"),
        (("101", "0"), "Choose a quantity"),
        (("abc", "1"), "Choose a quantity"),
    ];
    for ((product, quantity), expected) in cases {
        let response = post_form(
            &app,
            "/cart/items",
            &[
                ("csrf_token", &token),
                ("product_id", product),
                ("quantity", quantity),
            ],
        )
        .await;
        assert_eq!(response.status().as_u16(), 303, "{product}×{quantity}");
        let html = cart_page(&app).await.2;
        assert!(
            html.contains(expected),
            "{product}×{quantity}: no `{expected}` on the page"
        );
        assert!(html.contains("role=\"alert\""));
    }
}

#[tokio::test]
async fn changing_removing_clearing_and_checking_out_through_forms() {
    let app = spawn_app().await;
    let cart: Value = app.add_item(101, None, 1).await.json().await.expect("json");
    let line = cart["cart"]["line_items"][0]["id"]
        .as_str()
        .expect("line")
        .to_owned();
    let token = csrf_token(&cart_page(&app).await.2);

    let changed = post_form(
        &app,
        &format!("/cart/items/{line}"),
        &[("csrf_token", &token), ("quantity", "4")],
    )
    .await;
    assert_eq!(changed.status().as_u16(), 303);
    assert!(cart_page(&app).await.2.contains("Quantity changed to 4."));

    let checkout = post_form(&app, "/cart/checkout", &[("csrf_token", &token)]).await;
    assert_eq!(checkout.status().as_u16(), 303);
    let location = checkout.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        location.starts_with(&app.sandbox.base_url()) && location.contains("loadInCheckout"),
        "{location}"
    );

    let removed = post_form(
        &app,
        &format!("/cart/items/{line}/remove"),
        &[("csrf_token", &token)],
    )
    .await;
    assert_eq!(removed.status().as_u16(), 303);
    assert!(cart_page(&app).await.2.contains("Your cart is empty."));

    app.add_item(102, None, 1).await;
    let cleared = post_form(&app, "/cart/clear", &[("csrf_token", &token)]).await;
    assert_eq!(cleared.status().as_u16(), 303);
    let html = cart_page(&app).await.2;
    assert!(html.contains("Your cart is empty now."));
}

#[tokio::test]
async fn the_recovery_link_shows_the_cart_and_a_confirmed_post_restores_it() {
    let app = spawn_app().await;
    // Another shopper's abandoned cart, and the token BigCommerce would e-mail them.
    let other = crate::helpers::client();
    other
        .post(app.url("/api/cart/items"))
        .json(&json!({"line_items": [{"product_id": 101, "quantity": 3}]}))
        .send()
        .await
        .expect("add");
    let carts: Value = reqwest::get(app.sandbox_url("/carts"))
        .await
        .expect("carts")
        .json()
        .await
        .expect("json");
    let cart_id = carts["data"][0]["id"]
        .as_str()
        .or(carts[0]["id"].as_str())
        .expect("cart id")
        .to_owned();
    let abandoned = json!({"token": app.abandon_cart(&cart_id).await});
    let token = abandoned["token"].as_str().expect("token");

    let unknown = app
        .get("/cart/recover?t=00000000000000000000000000000000")
        .await;
    assert_eq!(unknown.status().as_u16(), 303);
    assert!(cart_page(&app)
        .await
        .2
        .contains("expired or is no longer valid"));
    let malformed = app.get("/cart/recover?t=../../v2/orders").await;
    assert_eq!(malformed.status().as_u16(), 303);
    assert!(cart_page(&app).await.2.contains("not valid"));

    let landing = app.get(&format!("/cart/recover?t={token}")).await;
    assert_eq!(landing.status().as_u16(), 200);
    let landing = landing.text().await.expect("html");
    assert!(landing.contains("Sandbox Mug"), "{landing}");
    assert!(landing.contains("Restore this cart"));
    assert!(
        app.stored_cart_ids().await.len() == 1,
        "opening the link bound nothing"
    );

    let confirmed = post_form(
        &app,
        "/cart/recover",
        &[
            ("csrf_token", &csrf_token(&landing)),
            ("t", token),
            ("mode", "merge"),
        ],
    )
    .await;
    assert_eq!(confirmed.status().as_u16(), 303);
    assert_eq!(confirmed.headers()["location"], "/cart");
    let html = cart_page(&app).await.2;
    assert!(html.contains("Your saved cart is here."), "{html}");
    assert!(html.contains("Items (3)"));
}

#[tokio::test]
async fn text_from_bigcommerce_is_escaped_never_rendered_as_html() {
    let seed = include_str!("../../sandbox/seed.toml").replace(
        "name = \"Sandbox Mug\"",
        "name = \"<script>alert(1)</script> Mug\"",
    );
    let config = SandboxConfig {
        seed: SeedSource::Inline(seed),
        ..SandboxConfig::default()
    };
    let app = spawn_app_with_sandbox(config, |_| {}).await;
    app.add_item(101, None, 1).await;

    let html = cart_page(&app).await.2;

    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62; Mug"));
}

#[tokio::test]
async fn signing_in_through_the_login_page_shows_who_is_signed_in_and_signing_out_ends_it() {
    let app = spawn_app().await;
    let login_page = app.get("/login").await.text().await.expect("html");
    let token = csrf_token(&login_page);

    let refused = post_form(
        &app,
        "/login",
        &[("email", "jane@example.com"), ("password", "Sandbox123!")],
    )
    .await;
    assert!(
        [400, 403].contains(&refused.status().as_u16()),
        "no CSRF token"
    );
    let wrong = post_form(
        &app,
        "/login",
        &[
            ("csrf_token", &token),
            ("email", "jane@example.com"),
            ("password", "nope"),
        ],
    )
    .await;
    assert_eq!(wrong.headers()["location"], "/login");
    assert!(app
        .get("/login")
        .await
        .text()
        .await
        .expect("html")
        .contains("is not right"));

    let signed_in = post_form(
        &app,
        "/login",
        &[
            ("csrf_token", &token),
            ("email", "jane@example.com"),
            ("password", "Sandbox123!"),
        ],
    )
    .await;
    assert_eq!(signed_in.status().as_u16(), 303);
    assert_eq!(signed_in.headers()["location"], "/cart");
    let html = cart_page(&app).await.2;
    assert!(html.contains("Signed in as jane@example.com"), "{html}");

    // The session was rotated: the old page's token is no longer valid.
    let stale = post_form(&app, "/logout", &[("csrf_token", &token)]).await;
    assert_eq!(stale.status().as_u16(), 403);
    let fresh = csrf_token(&html);
    let out = post_form(&app, "/logout", &[("csrf_token", &fresh)]).await;
    assert_eq!(out.status().as_u16(), 303);
    assert!(!cart_page(&app).await.2.contains("Signed in as"));
}

#[tokio::test]
async fn a_customers_recovery_link_asks_to_sign_in_and_finishes_after() {
    let app = spawn_app().await;
    let laptop = crate::helpers::client();
    laptop
        .post(app.url("/api/session/login"))
        .json(&json!({"email": "jane@example.com", "password": "Sandbox123!"}))
        .send()
        .await
        .expect("login");
    laptop
        .post(app.url("/api/cart/items"))
        .json(&json!({"line_items": [{"product_id": 103, "quantity": 2}]}))
        .send()
        .await
        .expect("add");
    let carts: Value = reqwest::get(app.sandbox_url("/carts"))
        .await
        .expect("carts")
        .json()
        .await
        .expect("json");
    let cart_id = carts[0]["id"].as_str().expect("cart id");
    let abandoned = json!({"token": app.abandon_cart(cart_id).await});
    let recovery = format!(
        "/cart/recover?t={}",
        abandoned["token"].as_str().expect("token")
    );

    let landing = app.get(&recovery).await;
    assert_eq!(landing.status().as_u16(), 200);
    let landing = landing.text().await.expect("html");
    assert!(landing.contains("Sign in to restore it"), "{landing}");
    let encoded: String = url::form_urlencoded::byte_serialize(recovery.as_bytes()).collect();
    let sign_in = format!("/login?redirect_to={encoded}");
    assert!(
        landing.contains(&sign_in.replace('&', "&amp;")),
        "{landing}"
    );

    let login_page = app.get(&sign_in).await.text().await.expect("html");
    let token = csrf_token(&login_page);
    let signed_in = post_form(
        &app,
        "/login",
        &[
            ("csrf_token", &token),
            ("email", "jane@example.com"),
            ("password", "Sandbox123!"),
            ("redirect_to", &recovery),
        ],
    )
    .await;
    assert_eq!(signed_in.status().as_u16(), 303);
    assert_eq!(signed_in.headers()["location"], recovery.as_str());
    let back = app.get(&recovery).await.text().await.expect("html");
    assert!(back.contains("already your cart"), "{back}");
    let html = cart_page(&app).await.2;
    assert!(html.contains("Items (2)"));
}

#[tokio::test]
async fn a_product_with_a_text_option_can_be_added_through_the_form() {
    let app = spawn_app().await;
    let html = cart_page(&app).await.2;
    assert!(
        html.contains("name=\"option_401\""),
        "the engraving field is on the page"
    );
    let token = csrf_token(&html);

    let response = post_form(
        &app,
        "/cart/items",
        &[
            ("csrf_token", &token),
            ("product_id", "120"),
            ("quantity", "1"),
            ("option_401", "Happy birthday"),
        ],
    )
    .await;

    assert_eq!(response.status().as_u16(), 303);
    let html = cart_page(&app).await.2;
    assert!(html.contains("Added 1 × Engraved Water Bottle."), "{html}");
    assert!(html.contains("Happy birthday"));
}

#[tokio::test]
async fn fields_the_add_form_does_not_know_are_ignored() {
    let app = spawn_app().await;
    let token = csrf_token(&cart_page(&app).await.2);

    let response = post_form(
        &app,
        "/cart/items",
        &[
            ("csrf_token", &token),
            ("product_id", "120"),
            ("quantity", "1"),
            ("option_401", "Happy birthday"),
            ("submit", "Add"),
            ("utm_source", "newsletter"),
            ("choice_", "1"),
        ],
    )
    .await;

    assert_eq!(response.status().as_u16(), 303);
    let html = cart_page(&app).await.2;
    assert!(html.contains("Added 1 × Engraved Water Bottle."), "{html}");
}
