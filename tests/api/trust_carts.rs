//! Whose cart it is, tried as an attacker and as a store's faults would try it: recovery links
//! opened from another site, links forwarded to others, sign-ins BigCommerce half refuses,
//! sign-ins on a session that is someone else's, and double sign-ins.

use serde_json::{json, Value};

use crate::accounts::{add_with, lines, login_with, sandbox_carts, JANE, JOHN};
use crate::helpers::{cart_body, client, spawn_app, spawn_app_with, TestApp};
use crate::pages::csrf_token;

/// The id of the only cart in the sandbox.
async fn only_cart_id(app: &TestApp) -> String {
    let carts = sandbox_carts(app).await;
    assert_eq!(carts.len(), 1, "{carts:?}");
    carts[0]["id"].as_str().expect("id").to_owned()
}

async fn cart_of(app: &TestApp, http: &reqwest::Client) -> Value {
    cart_body(http.get(app.url("/api/cart")).send().await.expect("get")).await
}

async fn recover_as(
    app: &TestApp,
    http: &reqwest::Client,
    token: &str,
    mode: Option<&str>,
) -> reqwest::Response {
    let mut body = json!({"token": token});
    if let Some(mode) = mode {
        body["mode"] = mode.into();
    }
    http.post(app.url("/api/cart/recover"))
        .json(&body)
        .send()
        .await
        .expect("recover")
}

/// The attacker's own cart, abandoned, and the token of its e-mail link.
async fn attackers_link(app: &TestApp) -> (reqwest::Client, String) {
    let before = sandbox_carts(app).await;
    let attacker = client();
    add_with(app, &attacker, 102, None, 1).await;
    let cart = sandbox_carts(app)
        .await
        .into_iter()
        .find(|cart| !before.iter().any(|old| old["id"] == cart["id"]))
        .map(|cart| cart["id"].as_str().expect("id").to_owned())
        .expect("the attacker's cart");
    let token = app.abandon_cart(&cart).await;
    (attacker, token)
}

#[tokio::test]
async fn a_recovery_link_opened_from_another_site_changes_nothing() {
    let app = spawn_app().await;
    let shopper = client();
    add_with(&app, &shopper, 101, None, 2).await;
    let own_cart = cart_of(&app, &shopper).await;
    let (_attacker, token) = attackers_link(&app).await;
    let before = app.sandbox_stats().await;

    // A page on evil.example navigates the shopper's browser to the link.
    let landing = shopper
        .get(app.url(&format!("/cart/recover?t={token}")))
        .header("Sec-Fetch-Site", "cross-site")
        .header("Referer", "https://evil.example/")
        .send()
        .await
        .expect("landing");
    assert_eq!(landing.status().as_u16(), 200);
    let html = landing.text().await.expect("html");
    assert!(html.contains("Add these items to my cart"), "{html}");
    assert!(html.contains("Use this cart instead of mine"));

    let calls = app.sandbox_stats().await.since(&before);
    assert!(
        calls.by_route.keys().all(|route| route.starts_with("GET ")),
        "the landing page only reads: {:?}",
        calls.by_route
    );
    let after = cart_of(&app, &shopper).await;
    assert_eq!(lines(&after), lines(&own_cart));
    assert_eq!(lines(&after), vec![(101, 1011, 2)]);

    // The form that confirms it cannot be posted from there either.
    let forged = shopper
        .post(app.url("/cart/recover"))
        .header("Origin", "https://evil.example")
        .form(&[
            ("csrf_token", csrf_token(&html).as_str()),
            ("t", &token),
            ("mode", "switch"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status().as_u16(), 403);
    assert_eq!(lines(&cart_of(&app, &shopper).await), vec![(101, 1011, 2)]);
}

#[tokio::test]
async fn recovering_into_a_cart_merges_by_default_and_switches_only_when_asked() {
    let app = spawn_app().await;
    let shopper = client();
    add_with(&app, &shopper, 101, None, 2).await;
    let (_attacker, token) = attackers_link(&app).await;

    let merged = recover_as(&app, &shopper, &token, None).await;
    assert_eq!(merged.status().as_u16(), 200);
    let merged: Value = merged.json().await.expect("json");
    assert_eq!(merged["warnings"], json!([]));
    assert_eq!(
        lines(&merged["cart"]),
        vec![(101, 1011, 2), (102, 1021, 1)],
        "the shopper's own lines are kept"
    );

    let fresh = client();
    add_with(&app, &fresh, 104, None, 1).await;
    let switched = recover_as(&app, &fresh, &token, Some("switch")).await;
    assert_eq!(switched.status().as_u16(), 200);
    let switched: Value = switched.json().await.expect("json");
    assert_eq!(lines(&switched["cart"]), vec![(102, 1021, 1)]);

    let refused = recover_as(&app, &fresh, &token, Some("replace-everything")).await;
    assert_eq!(refused.status().as_u16(), 400);
}

#[tokio::test]
async fn a_forwarded_recovery_link_loses_the_cart_once_its_owner_signs_in() {
    let app = spawn_app().await;
    let owner = client();
    add_with(&app, &owner, 101, None, 1).await;
    let cart = only_cart_id(&app).await;
    let token = app.abandon_cart(&cart).await;
    // The link is forwarded; the friend takes the cart on the API, another on the pages.
    let friend = client();
    assert_eq!(recover_as(&app, &friend, &token, None).await.status(), 200);
    let other = client();
    assert_eq!(
        recover_as(&app, &other, &token, Some("switch"))
            .await
            .status(),
        200
    );

    assert_eq!(login_with(&app, &owner, JANE).await.status(), 200);
    let owners = cart_of(&app, &owner).await;
    assert_eq!(lines(&owners), vec![(101, 1011, 1)]);

    for http in [&friend, &other] {
        assert_eq!(cart_of(&app, http).await, Value::Null, "read");
        let checkout = http
            .post(app.url("/api/cart/checkout"))
            .send()
            .await
            .expect("checkout");
        assert_eq!(checkout.status().as_u16(), 409, "checkout");
        let page = http.get(app.url("/cart")).send().await.expect("page");
        let html = page.text().await.expect("html");
        assert!(
            !html.contains("Sandbox Mug ×") && !html.contains("Items (1)"),
            "page"
        );
        let again = recover_as(&app, http, &token, None).await;
        assert_eq!(
            again.status().as_u16(),
            403,
            "recovery needs the customer now"
        );
    }
    // A mutation from a former holder makes a cart of its own, never touches the customer's.
    add_with(&app, &friend, 104, None, 1).await;
    let owners = cart_of(&app, &owner).await;
    assert_eq!(lines(&owners), vec![(101, 1011, 1)]);
}

#[tokio::test]
async fn a_session_that_still_names_a_customers_cart_cannot_reach_it() {
    // The rows are rewritten behind the service's back: no cache may hide it.
    let app = spawn_app_with(|settings| settings.session.cache_enabled = false).await;
    let jane = client();
    login_with(&app, &jane, JANE).await;
    add_with(&app, &jane, 101, None, 1).await;
    let cart: uuid::Uuid = only_cart_id(&app).await.parse().expect("uuid");
    // A guest session that somehow still points at it (a row written before the detach).
    let guest = client();
    add_with(&app, &guest, 104, None, 1).await;
    let guest_cart = cart_of(&app, &guest).await;
    let guest_line = guest_cart["line_items"][0]["id"]
        .as_str()
        .expect("line")
        .to_owned();
    sqlx::query("UPDATE sessions SET cart_id = $1 WHERE customer_id IS NULL")
        .bind(cart)
        .execute(&app.db_pool)
        .await
        .expect("point the guest session at Jane's cart");

    assert_eq!(cart_of(&app, &guest).await, Value::Null);
    let jane_line = cart_of(&app, &jane).await["line_items"][0]["id"]
        .as_str()
        .expect("line")
        .to_owned();
    for line in [&jane_line, &guest_line] {
        let patched = guest
            .patch(app.url(&format!("/api/cart/items/{line}")))
            .json(&json!({"quantity": 5}))
            .send()
            .await
            .expect("patch");
        assert_eq!(patched.status().as_u16(), 404);
    }
    assert_eq!(lines(&cart_of(&app, &jane).await), vec![(101, 1011, 1)]);
}

#[tokio::test]
async fn a_merge_bigcommerce_half_refuses_signs_in_and_reports_the_lines_left_behind() {
    let app = spawn_app().await;
    // Jane's saved cart already holds the most of the limited print a single order may.
    let laptop = client();
    login_with(&app, &laptop, JANE).await;
    add_with(&app, &laptop, 140, None, 2).await;

    let phone = client();
    add_with(&app, &phone, 140, None, 1).await;
    add_with(&app, &phone, 101, None, 1).await;
    let signed_in = login_with(&app, &phone, JANE).await;
    assert_eq!(signed_in.status().as_u16(), 200);
    let body: Value = signed_in.json().await.expect("json");
    assert_eq!(body["cart_outcome"], "cart_merged");
    assert_eq!(lines(&body["cart"]), vec![(101, 1011, 1), (140, 1401, 2)]);
    let warnings = body["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0]["code"], "line_not_moved");
    assert_eq!(warnings[0]["line"]["product_id"], 140);
    assert_eq!(warnings[0]["line"]["quantity"], 1);
    assert!(
        warnings[0]["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("maximum")),
        "BigCommerce's reason: {warnings:?}"
    );
    // The line that did not move is not lost: it is kept for Jane, and the guest cart goes.
    let carts = sandbox_carts(&app).await;
    assert_eq!(carts.len(), 1, "the guest cart went: {carts:?}");
    let session: Value = phone
        .get(app.url("/api/session"))
        .send()
        .await
        .expect("session")
        .json()
        .await
        .expect("json");
    assert_eq!(
        session["left_behind"]["lines"][0]["line"]["product_id"],
        140
    );
}

#[tokio::test]
async fn a_customer_change_bigcommerce_refuses_still_signs_in_with_every_line() {
    let app = spawn_app().await;
    let phone = client();
    add_with(&app, &phone, 101, None, 2).await;
    let guest_cart = only_cart_id(&app).await;
    app.inject_faults(json!({"rules": [{
        "route": "PUT /v3/carts/*", "status": 422,
        "body": {"status": 422, "title": "A shipping address for this order is incomplete",
                 "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"}
    }]}))
    .await;

    let signed_in = login_with(&app, &phone, JANE).await;
    assert_eq!(signed_in.status().as_u16(), 200);
    let body: Value = signed_in.json().await.expect("json");
    assert_eq!(body["cart_outcome"], "cart_assigned");
    assert_eq!(lines(&body["cart"]), vec![(101, 1011, 2)]);
    let carts = sandbox_carts(&app).await;
    assert_eq!(carts.len(), 1);
    assert_ne!(
        carts[0]["id"], guest_cart,
        "a new cart, made for the customer"
    );
    assert_eq!(carts[0]["customer_id"], 1);

    // When even a new cart cannot be made, the shopper keeps the guest cart and is told.
    let tablet = client();
    add_with(&app, &tablet, 104, None, 1).await;
    app.inject_faults(json!({"rules": [{"route": "POST /v3/carts", "status": 503}]}))
        .await;
    let signed_in = login_with(&app, &tablet, JOHN).await;
    assert_eq!(signed_in.status().as_u16(), 200);
    let body: Value = signed_in.json().await.expect("json");
    assert_eq!(body["warnings"][0]["code"], "cart_not_assigned");
    assert_eq!(lines(&body["cart"]), vec![(104, 1041, 1)]);
    assert_eq!(lines(&cart_of(&app, &tablet).await), vec![(104, 1041, 1)]);
}

#[tokio::test]
async fn signing_in_as_b_on_as_session_leaves_as_cart_untouched() {
    let app = spawn_app().await;
    let shared = client();
    login_with(&app, &shared, JANE).await;
    add_with(&app, &shared, 101, None, 3).await;
    let janes_cart = only_cart_id(&app).await;

    let signed_in = login_with(&app, &shared, JOHN).await;
    assert_eq!(signed_in.status().as_u16(), 200);
    let body: Value = signed_in.json().await.expect("json");
    assert_eq!(body["cart"], Value::Null, "John gets none of Jane's lines");

    let carts = sandbox_carts(&app).await;
    assert_eq!(carts.len(), 1);
    assert_eq!(carts[0]["id"], janes_cart.as_str());
    assert_eq!(carts[0]["customer_id"], 1, "still Jane's");
    let jane_elsewhere = client();
    login_with(&app, &jane_elsewhere, JANE).await;
    assert_eq!(
        lines(&cart_of(&app, &jane_elsewhere).await),
        vec![(101, 1011, 3)]
    );
}

#[tokio::test]
async fn two_sign_ins_of_one_session_at_once_merge_it_once() {
    let app = spawn_app().await;
    let laptop = client();
    login_with(&app, &laptop, JOHN).await;
    add_with(&app, &laptop, 101, None, 1).await;
    let phone = client();
    add_with(&app, &phone, 101, None, 1).await;

    let (first, second) = tokio::join!(
        login_with(&app, &phone, JOHN),
        login_with(&app, &phone, JOHN)
    );
    assert_eq!(first.status().as_u16(), 200);
    assert_eq!(second.status().as_u16(), 200);
    assert_eq!(
        lines(&cart_of(&app, &laptop).await),
        vec![(101, 1011, 2)],
        "the guest line was added once"
    );
}

#[tokio::test]
async fn a_merge_slower_than_the_sign_in_lease_is_not_joined_by_a_second_sign_in() {
    let app = spawn_app_with(|settings| settings.session.sign_in_lease_seconds = 1).await;
    let laptop = client();
    login_with(&app, &laptop, JOHN).await;
    add_with(&app, &laptop, 101, None, 1).await;
    let phone = client();
    add_with(&app, &phone, 101, None, 1).await;
    // The merge into John's cart takes well over the lease.
    app.inject_faults(
        json!({"rules": [{"route": "POST /v3/carts/*/items", "latency_ms": 2500, "count": 1}]}),
    )
    .await;

    let first = login_with(&app, &phone, JOHN);
    let second = async {
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        login_with(&app, &phone, JOHN).await
    };
    let (first, second) = tokio::join!(first, second);

    assert_eq!(first.status().as_u16(), 200);
    assert_eq!(second.status().as_u16(), 200);
    assert_eq!(
        lines(&cart_of(&app, &laptop).await),
        vec![(101, 1011, 2)],
        "the guest line was added once"
    );
}

#[tokio::test]
async fn a_cart_taken_by_a_customer_on_the_hosted_checkout_cannot_be_checked_out_or_cleared_by_a_guest(
) {
    let app = spawn_app().await;
    app.add_item(101, None, 1).await;
    assert_eq!(app.checkout().await.status().as_u16(), 200);
    // Jane signs in on BigCommerce's hosted checkout with the same cart (a forwarded link).
    let cart = app.stored_cart_id().await;
    app.bigcommerce_api(
        reqwest::Method::PUT,
        &format!("/v3/carts/{cart}"),
        Some(json!({"customer_id": 1})),
    )
    .await;
    let before = app.sandbox_stats().await;

    let checkout = app.checkout().await;
    let clear = app.clear_cart().await;

    assert_ne!(
        checkout.status().as_u16(),
        200,
        "no hand-off into Jane's cart"
    );
    assert!(clear.status().is_success());
    let stats = app.sandbox_stats().await.since(&before);
    assert_eq!(stats.calls("POST /v3/carts/{cart_id}/redirect_urls"), 0);
    assert_eq!(stats.calls("DELETE /v3/carts/{cart_id}"), 0);
    assert_eq!(
        sandbox_carts(&app).await.len(),
        1,
        "Jane's cart is still there"
    );
    assert_eq!(cart_body(app.get_cart().await).await, Value::Null);
}
