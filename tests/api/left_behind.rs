//! Lines a sign-in could not merge are not lost: the signed-in session keeps them where the
//! shopper sees them (`GET /api/session`, the cart page), moves them again once BigCommerce
//! takes them, or discards them. A line whose move BigCommerce applied but never confirmed is
//! counted as moved, never added twice.

use serde_json::{json, Value};

use crate::accounts::{add_with, lines, login_with, sandbox_carts, JANE, JOHN};
use crate::helpers::{cart_body, client, spawn_app, TestApp};
use crate::pages::csrf_token;

/// The print (product 140) may be bought at most twice per order.
const PRINT: i64 = 140;

/// Jane's saved cart holds as many prints as an order may; her phone, a guest, holds one each
/// of `guest` (product ids, in this order; the print among them). Returns the phone.
async fn half_refused_phone(app: &TestApp, guest: &[i64]) -> reqwest::Client {
    let laptop = client();
    assert_eq!(login_with(app, &laptop, JANE).await.status().as_u16(), 200);
    add_with(app, &laptop, PRINT, None, 2).await;
    let phone = client();
    for product in guest {
        add_with(app, &phone, *product, None, 1).await;
    }
    phone
}

/// The warnings of an answer as (product, code), in order.
fn warned(body: &Value) -> Vec<(i64, String)> {
    body["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|warning| {
            (
                warning["line"]["product_id"].as_i64().unwrap_or(0),
                warning["code"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn owned(expected: &[(i64, &str)]) -> Vec<(i64, String)> {
    expected
        .iter()
        .map(|(product, code)| (*product, (*code).to_owned()))
        .collect()
}

async fn session_of(app: &TestApp, http: &reqwest::Client) -> Value {
    let response = http.get(app.url("/api/session")).send().await.expect("get");
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.expect("json")
}

async fn cart_of(app: &TestApp, http: &reqwest::Client) -> Value {
    cart_body(http.get(app.url("/api/cart")).send().await.expect("get")).await
}

async fn act(app: &TestApp, http: &reqwest::Client, action: &str) -> reqwest::Response {
    http.post(app.url("/api/cart/left-behind"))
        .json(&json!({ "action": action }))
        .send()
        .await
        .expect("left-behind")
}

/// The lines left behind as (product, quantity), in order.
fn left_behind(session: &Value) -> Vec<(i64, i64)> {
    session["left_behind"]["lines"]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .map(|left| {
                    (
                        left["line"]["product_id"].as_i64().unwrap_or(0),
                        left["line"]["quantity"].as_i64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Lifts the print's purchase limit, as a merchant would in the control panel.
async fn lift_print_limit(app: &TestApp) {
    let response = reqwest::Client::new()
        .post(app.sandbox_url(&format!("/products/{PRINT}")))
        .json(&json!({"order_quantity_maximum": 0}))
        .send()
        .await
        .expect("change the product");
    assert!(response.status().is_success(), "{}", response.status());
}

#[tokio::test]
async fn lines_a_merge_leaves_behind_are_shown_and_move_once_the_limit_is_lifted() {
    let app = spawn_app().await;
    let phone = half_refused_phone(&app, &[PRINT, 101]).await;
    let before = app.sandbox_stats().await;

    let signed_in = login_with(&app, &phone, JANE).await;
    assert_eq!(signed_in.status().as_u16(), 200);
    let body: Value = signed_in.json().await.expect("json");
    assert_eq!(body["cart_outcome"], "cart_merged");
    assert_eq!(lines(&body["cart"]), vec![(101, 1011, 1), (140, 1401, 2)]);
    assert_eq!(body["warnings"][0]["code"], "line_not_moved");
    let calls = app.sandbox_stats().await.since(&before);
    assert_eq!(
        calls.calls("POST /v3/carts/{cart_id}/items"),
        3,
        "the batch, then line by line: {:?}",
        calls.by_route
    );
    assert_eq!(
        calls.calls("DELETE /v3/carts/{cart_id}/items/{item_id}")
            + calls.calls("DELETE /v3/carts/{cart_id}"),
        0,
        "nothing is deleted from the guest cart: {:?}",
        calls.by_route
    );

    // Shown from the stored snapshot, with BigCommerce's reason, at no cost.
    let before = app.sandbox_stats().await;
    let session = session_of(&app, &phone).await;
    assert_eq!(left_behind(&session), vec![(PRINT, 1)]);
    let reason = session["left_behind"]["lines"][0]["reason"]
        .as_str()
        .expect("reason");
    assert!(reason.contains("maximum of 2"), "{reason}");
    assert_eq!(app.sandbox_stats().await.since(&before).total, 0);
    let page = phone.get(app.url("/cart")).send().await.expect("page");
    let html = page.text().await.expect("html");
    assert!(html.contains("Items that did not join your cart"), "{html}");
    assert!(html.contains("1 × Limited Edition Print"));
    assert!(html.contains("You can only purchase a maximum of 2"));
    assert!(html.contains(r#"action="/cart/left-behind""#));
    assert!(html.contains(r#"name="action" value="move""#));
    assert!(html.contains(r#"name="action" value="discard""#));

    // Still refused: it stays, with the reason BigCommerce gives now.
    let before = app.sandbox_stats().await;
    let again = act(&app, &phone, "move").await;
    assert_eq!(again.status().as_u16(), 200);
    let again: Value = again.json().await.expect("json");
    assert_eq!(again["warnings"][0]["code"], "line_not_moved");
    assert_eq!(lines(&again["cart"]), vec![(101, 1011, 1), (140, 1401, 2)]);
    assert_eq!(app.sandbox_stats().await.since(&before).total, 1, "one add");
    assert_eq!(
        left_behind(&session_of(&app, &phone).await),
        vec![(PRINT, 1)]
    );

    lift_print_limit(&app).await;
    let before = app.sandbox_stats().await;
    let moved = act(&app, &phone, "move").await;
    assert_eq!(moved.status().as_u16(), 200);
    let moved: Value = moved.json().await.expect("json");
    assert_eq!(moved["warnings"], json!([]));
    assert_eq!(lines(&moved["cart"]), vec![(101, 1011, 1), (140, 1401, 3)]);
    let calls = app.sandbox_stats().await.since(&before);
    assert_eq!(calls.calls("POST /v3/carts/{cart_id}/items"), 1);
    assert_eq!(
        calls.calls("DELETE /v3/carts/{cart_id}"),
        1,
        "the guest cart goes"
    );
    assert_eq!(calls.total, 2, "{:?}", calls.by_route);
    assert_eq!(session_of(&app, &phone).await["left_behind"], Value::Null);
    assert_eq!(
        sandbox_carts(&app).await.len(),
        1,
        "only the customer's cart"
    );

    // Asking again moves nothing twice.
    let repeat = act(&app, &phone, "move").await;
    assert_eq!(repeat.status().as_u16(), 200);
    assert_eq!(
        lines(&cart_of(&app, &phone).await),
        vec![(101, 1011, 1), (140, 1401, 3)]
    );
}

#[tokio::test]
async fn lines_left_behind_are_discarded_from_the_cart_page_by_their_owner_only() {
    let app = spawn_app().await;
    let phone = half_refused_phone(&app, &[PRINT, 101]).await;
    login_with(&app, &phone, JANE).await;
    let html = phone
        .get(app.url("/cart"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    let token = csrf_token(&html);

    // Another site cannot post the form, nor can a post without the token.
    let forged = phone
        .post(app.url("/cart/left-behind"))
        .header("Origin", "https://evil.example")
        .form(&[("csrf_token", token.as_str()), ("action", "discard")])
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status().as_u16(), 403);
    let tokenless = phone
        .post(app.url("/cart/left-behind"))
        .form(&[("action", "discard")])
        .send()
        .await
        .expect("post");
    assert_eq!(tokenless.status().as_u16(), 403);
    // Nobody else has them: not a guest, not Jane on another device.
    let stranger = client();
    assert_eq!(
        session_of(&app, &stranger).await["left_behind"],
        Value::Null
    );
    let tablet = client();
    login_with(&app, &tablet, JANE).await;
    assert_eq!(session_of(&app, &tablet).await["left_behind"], Value::Null);
    assert_eq!(
        left_behind(&session_of(&app, &phone).await),
        vec![(PRINT, 1)]
    );

    let before = app.sandbox_stats().await;
    let discarded = phone
        .post(app.url("/cart/left-behind"))
        .form(&[("csrf_token", token.as_str()), ("action", "discard")])
        .send()
        .await
        .expect("post");
    assert_eq!(discarded.status().as_u16(), 303);
    let calls = app.sandbox_stats().await.since(&before);
    assert_eq!(calls.calls("DELETE /v3/carts/{cart_id}"), 1);
    assert_eq!(calls.total, 1, "{:?}", calls.by_route);
    assert_eq!(session_of(&app, &phone).await["left_behind"], Value::Null);
    let html = phone
        .get(app.url("/cart"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("Removed the items."), "{html}");
    assert!(!html.contains("Items that did not join your cart"));
    assert_eq!(sandbox_carts(&app).await.len(), 1);
    assert_eq!(
        lines(&cart_of(&app, &phone).await),
        vec![(101, 1011, 1), (140, 1401, 2)]
    );
}

#[tokio::test]
async fn a_session_that_shared_the_guest_cart_loses_it_once_lines_are_left_behind_in_it() {
    let app = spawn_app().await;
    let laptop = client();
    login_with(&app, &laptop, JANE).await;
    add_with(&app, &laptop, PRINT, None, 2).await;
    let phone = client();
    add_with(&app, &phone, PRINT, None, 1).await;
    add_with(&app, &phone, 101, None, 1).await;
    let guest_cart = sandbox_carts(&app)
        .await
        .into_iter()
        .find(|cart| cart["customer_id"] == 0)
        .and_then(|cart| cart["id"].as_str().map(str::to_owned))
        .expect("the guest cart");
    // The guest cart's recovery link, forwarded to a friend who takes the cart.
    let token = app.abandon_cart(&guest_cart).await;
    let friend = client();
    let recovered = friend
        .post(app.url("/api/cart/recover"))
        .json(&json!({ "token": token }))
        .send()
        .await
        .expect("recover");
    assert_eq!(recovered.status().as_u16(), 200);

    login_with(&app, &phone, JANE).await;
    assert_eq!(
        left_behind(&session_of(&app, &phone).await),
        vec![(PRINT, 1)]
    );
    assert_eq!(
        cart_of(&app, &friend).await,
        Value::Null,
        "Jane's leftovers"
    );
    assert_eq!(session_of(&app, &friend).await["left_behind"], Value::Null);
}

#[tokio::test]
async fn an_unknown_action_is_422_and_changes_nothing() {
    let app = spawn_app().await;
    let phone = half_refused_phone(&app, &[PRINT, 101]).await;
    login_with(&app, &phone, JANE).await;
    let before = app.sandbox_stats().await;

    let refused = act(&app, &phone, "teleport").await;
    assert_eq!(refused.status().as_u16(), 422);
    assert_eq!(
        refused.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = refused.json().await.expect("json");
    assert_eq!(problem["code"], "invalid_input");
    let malformed = phone
        .post(app.url("/api/cart/left-behind"))
        .json(&json!({"action": "move", "cart_id": "someone-elses"}))
        .send()
        .await
        .expect("post");
    assert_eq!(
        malformed.status().as_u16(),
        400,
        "no cart id from the client"
    );
    assert_eq!(app.sandbox_stats().await.since(&before).total, 0);
    assert_eq!(
        left_behind(&session_of(&app, &phone).await),
        vec![(PRINT, 1)]
    );
}

#[tokio::test]
async fn lines_left_behind_go_with_the_session_and_never_to_another_customer() {
    let app = spawn_app().await;
    let phone = half_refused_phone(&app, &[PRINT, 101]).await;
    login_with(&app, &phone, JANE).await;

    // Signing in again as Jane keeps them; as John, they are not his.
    assert_eq!(login_with(&app, &phone, JANE).await.status().as_u16(), 200);
    assert_eq!(
        left_behind(&session_of(&app, &phone).await),
        vec![(PRINT, 1)]
    );
    assert_eq!(login_with(&app, &phone, JOHN).await.status().as_u16(), 200);
    assert_eq!(session_of(&app, &phone).await["left_behind"], Value::Null);

    // Jane's cart still holds two prints: another guest's print stays behind again.
    let other = client();
    add_with(&app, &other, PRINT, None, 1).await;
    login_with(&app, &other, JANE).await;
    assert_eq!(
        left_behind(&session_of(&app, &other).await),
        vec![(PRINT, 1)]
    );
    let logout = other
        .post(app.url("/api/session/logout"))
        .send()
        .await
        .expect("logout");
    assert_eq!(logout.status().as_u16(), 204);
    assert_eq!(session_of(&app, &other).await["left_behind"], Value::Null);
}

#[tokio::test]
async fn lines_left_behind_make_a_new_cart_when_the_shopper_has_none_any_more() {
    let app = spawn_app().await;
    let phone = half_refused_phone(&app, &[PRINT, 101]).await;
    login_with(&app, &phone, JANE).await;
    let cleared = phone
        .delete(app.url("/api/cart"))
        .send()
        .await
        .expect("clear");
    assert_eq!(cleared.status().as_u16(), 204);

    let before = app.sandbox_stats().await;
    let moved = act(&app, &phone, "move").await;
    assert_eq!(moved.status().as_u16(), 200);
    let moved: Value = moved.json().await.expect("json");
    assert_eq!(moved["warnings"], json!([]));
    assert_eq!(lines(&moved["cart"]), vec![(140, 1401, 1)]);
    let calls = app.sandbox_stats().await.since(&before);
    assert_eq!(calls.calls("POST /v3/carts"), 1);
    assert_eq!(calls.calls("DELETE /v3/carts/{cart_id}"), 1);
    assert_eq!(calls.total, 2, "{:?}", calls.by_route);
    let carts = sandbox_carts(&app).await;
    assert_eq!(carts.len(), 1);
    assert_eq!(carts[0]["customer_id"], 1, "made for Jane");
}

#[tokio::test]
async fn a_line_bigcommerce_moved_but_never_confirmed_counts_as_moved_and_is_not_added_twice() {
    let app = spawn_app().await;
    // Guest lines in order: the print (refused), the mug, the notebook.
    let phone = half_refused_phone(&app, &[PRINT, 101, 104]).await;
    // The batch and the print pass; the mug's add lands, but its answer is a gateway error.
    app.inject_faults(json!({"rules": [{
        "route": "POST /v3/carts/*/items", "skip": 2, "count": 1,
        "applied": true, "status": 502
    }]}))
    .await;
    let before = app.sandbox_stats().await;

    let signed_in = login_with(&app, &phone, JANE).await;
    assert_eq!(signed_in.status().as_u16(), 200);
    let body: Value = signed_in.json().await.expect("json");
    assert_eq!(body["cart_outcome"], "cart_merged");
    assert_eq!(lines(&body["cart"]), vec![(101, 1011, 1), (140, 1401, 2)]);
    assert_eq!(
        warned(&body),
        owned(&[(PRINT, "line_not_moved"), (104, "line_not_moved")]),
        "the mug moved; the notebook was not tried: {body}"
    );
    assert!(body["warnings"][1]["detail"]
        .as_str()
        .is_some_and(|detail| detail.contains("could not be reached")));
    let calls = app.sandbox_stats().await.since(&before);
    assert_eq!(
        calls.calls("POST /v3/carts/{cart_id}/items"),
        3,
        "the notebook is not tried against a failing store: {:?}",
        calls.by_route
    );
    assert_eq!(
        calls.calls("GET /v3/carts/{cart_id}"),
        2,
        "the customer's cart, then one read to settle the mug: {:?}",
        calls.by_route
    );
    assert_eq!(
        left_behind(&session_of(&app, &phone).await),
        vec![(PRINT, 1), (104, 1)]
    );

    lift_print_limit(&app).await;
    let moved: Value = act(&app, &phone, "move").await.json().await.expect("json");
    assert_eq!(moved["warnings"], json!([]));
    assert_eq!(
        lines(&cart_of(&app, &phone).await),
        vec![(101, 1011, 1), (104, 1041, 1), (140, 1401, 3)],
        "the mug once"
    );
}

#[tokio::test]
async fn a_line_whose_outcome_cannot_be_read_is_reported_and_never_moved_again() {
    let app = spawn_app().await;
    // The mug moves, the print is refused, the notebook's add lands unconfirmed, the tote is
    // not tried.
    let phone = half_refused_phone(&app, &[101, PRINT, 104, 102]).await;
    // The store then fails the read that would tell (every attempt of it); the read of
    // Jane's cart before the merge passes.
    app.inject_faults(json!({"rules": [
        {"route": "POST /v3/carts/*/items", "skip": 3, "count": 1, "applied": true, "status": 502},
        {"route": "GET /v3/carts/*", "skip": 1, "count": 3, "status": 503}
    ]}))
    .await;

    let signed_in = login_with(&app, &phone, JANE).await;
    assert_eq!(signed_in.status().as_u16(), 200);
    let body: Value = signed_in.json().await.expect("json");
    assert_eq!(body["cart_outcome"], "cart_merged");
    assert_eq!(
        warned(&body),
        owned(&[
            (PRINT, "line_not_moved"),
            (104, "line_outcome_unknown"),
            (102, "line_not_moved"),
        ]),
        "{body}"
    );
    // The notebook may be in Jane's cart: it is not offered to move again.
    assert_eq!(
        left_behind(&session_of(&app, &phone).await),
        vec![(PRINT, 1), (102, 1)]
    );
    app.clear_faults().await;
    lift_print_limit(&app).await;
    let moved: Value = act(&app, &phone, "move").await.json().await.expect("json");
    assert_eq!(moved["warnings"], json!([]));
    assert_eq!(
        lines(&cart_of(&app, &phone).await),
        vec![
            (101, 1011, 1),
            (102, 1021, 1),
            (104, 1041, 1),
            (140, 1401, 3)
        ],
        "the notebook, which did land, once"
    );
}

#[tokio::test]
async fn when_no_line_is_known_to_have_moved_the_shopper_keeps_the_guest_cart_whole() {
    let app = spawn_app().await;
    let phone = half_refused_phone(&app, &[PRINT, 101]).await;
    app.inject_faults(json!({"rules": [
        {"route": "POST /v3/carts/*/items", "skip": 2, "count": 1, "applied": true, "status": 502},
        {"route": "GET /v3/carts/*", "skip": 1, "count": 3, "status": 503}
    ]}))
    .await;

    let signed_in = login_with(&app, &phone, JANE).await;
    assert_eq!(signed_in.status().as_u16(), 200);
    let body: Value = signed_in.json().await.expect("json");
    assert_eq!(body["warnings"][0]["code"], "cart_not_merged");
    assert_eq!(
        warned(&body)[1..].to_vec(),
        owned(&[(PRINT, "line_not_moved"), (101, "line_outcome_unknown")])
    );
    assert_eq!(lines(&body["cart"]), vec![(101, 1011, 1), (140, 1401, 1)]);
    app.clear_faults().await;
    assert_eq!(
        lines(&cart_of(&app, &phone).await),
        vec![(101, 1011, 1), (140, 1401, 1)],
        "every guest line in sight"
    );
    assert_eq!(session_of(&app, &phone).await["left_behind"], Value::Null);
}
