//! `GET /openapi.json` documents the cart API, and real answers of every endpoint — success
//! and problem bodies — match its component schemas and its documented statuses.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{
    cart_body, line_id, new_session_cookie, one_line, post_items_as, share_of, spawn_app_with,
    spawn_app_with_promotions, TestApp,
};

/// The cart API as the document must describe it: (path, method).
const OPERATIONS: [(&str, &str); 14] = [
    ("/api/cart", "get"),
    ("/api/cart", "delete"),
    ("/api/cart/items", "post"),
    ("/api/cart/items/{item_id}", "patch"),
    ("/api/cart/items/{item_id}", "delete"),
    ("/api/cart/checkout", "post"),
    ("/api/cart/recover", "post"),
    ("/api/cart/left-behind", "post"),
    ("/api/cart/coupons", "post"),
    ("/api/cart/coupons/{code}", "delete"),
    ("/api/cart/shipping-estimate", "post"),
    ("/api/cart/shipping-option", "put"),
    ("/api/cart/note", "put"),
    ("/api/cart/gift-certificates", "post"),
];

/// Makes every object schema refuse undocumented properties, so an answer with a field the
/// document does not mention fails too.
fn strict(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            for value in map.values_mut() {
                strict(value);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strict),
        _ => {}
    }
}

struct Contract {
    doc: Value,
    components: Value,
}

impl Contract {
    async fn fetch(app: &TestApp) -> Self {
        let doc = app.openapi().await;
        let mut components = doc["components"].clone();
        strict(&mut components);
        Self { doc, components }
    }

    /// Checks `body` against `#/components/schemas/{name}`.
    fn check(&self, name: &str, body: &Value, context: &str) {
        let schema =
            json!({"$ref": format!("#/components/schemas/{name}"), "components": self.components});
        let validator = jsonschema::validator_for(&schema)
            .unwrap_or_else(|e| panic!("{context}: schema {name} does not compile: {e}"));
        let errors: Vec<String> = validator
            .iter_errors(body)
            .map(|error| format!("{} at {}", error, error.instance_path))
            .collect();
        assert!(
            errors.is_empty(),
            "{context}: {body} does not match {name}: {errors:#?}"
        );
    }

    /// The schema name the document gives for `status` of (path, method), or `None` when it
    /// documents no body. Panics when the status is not documented at all.
    fn documented(&self, path: &str, method: &str, status: u16, context: &str) -> Option<String> {
        let responses = &self.doc["paths"][path][method]["responses"];
        let response = responses.get(status.to_string()).unwrap_or_else(|| {
            panic!(
                "{context}: {method} {path} does not document {status}; it documents {:?}",
                responses.as_object().map(|o| o.keys().collect::<Vec<_>>())
            )
        });
        let content = response.get("content")?;
        let (media_type, media) = content
            .as_object()
            .and_then(|media| media.iter().next())
            .unwrap_or_else(|| panic!("{context}: no media type"));
        let expected_media_type = if status >= 400 {
            "application/problem+json"
        } else {
            "application/json"
        };
        assert_eq!(
            media_type, expected_media_type,
            "{context}: documented media type"
        );
        let reference = media["schema"]["$ref"].as_str().unwrap_or_else(|| {
            panic!("{context}: {method} {path} {status} has no schema reference: {media}")
        });
        Some(
            reference
                .trim_start_matches("#/components/schemas/")
                .to_owned(),
        )
    }

    /// Checks a real answer: its status is documented for the operation and its body
    /// matches the documented schema (problems must be `Problem`).
    async fn answer(
        &self,
        path: &str,
        method: &str,
        response: reqwest::Response,
        context: &str,
    ) -> Value {
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap_or_default().to_owned())
            .unwrap_or_default();
        let text = response.text().await.expect("body");
        let documented = self.documented(path, method, status, context);
        if status == 204 {
            assert!(text.is_empty(), "{context}: 204 with a body");
            assert!(
                documented.is_none(),
                "{context}: 204 documented with a body"
            );
            return Value::Null;
        }
        let body: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{context}: not JSON ({e}): {text}"));
        let schema =
            documented.unwrap_or_else(|| panic!("{context}: {status} documented without a body"));
        if status >= 400 {
            assert_eq!(content_type, "application/problem+json", "{context}");
            assert_eq!(
                schema, "Problem",
                "{context}: problems are documented as Problem"
            );
        }
        self.check(&schema, &body, context);
        body
    }
}

#[tokio::test]
async fn the_document_lists_every_cart_operation_and_no_client_supplied_cart_or_customer_id() {
    // Arrange
    let app = spawn_app_with(|_| {}).await;

    // Act
    let doc = app.openapi().await;

    // Assert
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    for (path, method) in OPERATIONS {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} is documented"
        );
    }
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for (name, schema) in schemas {
        let text = schema.to_string();
        assert!(!text.contains("\"cart_id\""), "{name} mentions a cart id");
        assert!(
            !text.contains("\"customer_id\""),
            "{name} mentions a customer id"
        );
    }
    assert!(
        schemas["Cart"]["properties"].get("id").is_none(),
        "the Cart has no id"
    );
    let parameters = doc["paths"].to_string();
    assert!(
        !parameters.contains("cart_id"),
        "no operation takes a cart id"
    );
    let codes: Vec<&str> = schemas["ErrorCode"]["enum"]
        .as_array()
        .expect("codes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for code in [
        "cart_empty",
        "cart_has_problems",
        "item_not_found",
        "recovery_token_unknown",
        "sign_in_required",
        "idempotency_key_reused",
        "product_unavailable",
        "quantity_limit",
        "option_required",
        "upstream_rate_limited",
        "upstream_busy",
        "upstream_unavailable",
        "upstream_timeout",
        "too_many_requests",
        "shipping_not_required",
        "shipping_estimate_required",
        "shipping_option_unknown",
    ] {
        assert!(codes.contains(&code), "ErrorCode lists {code}");
    }
}

#[tokio::test]
async fn real_answers_of_every_endpoint_match_the_served_document() {
    // Arrange
    let app = spawn_app_with(|settings| {
        settings.bigcommerce.timeout_ms = 300;
        settings.application.max_json_body_bytes = 2048;
    })
    .await;
    let contract = Contract::fetch(&app).await;

    // GET /api/cart: null, then a cart with physical, digital and optioned lines.
    let empty = app.get_cart().await;
    contract
        .answer("/api/cart", "get", empty, "read without a cart")
        .await;
    let checkout_empty = app.checkout().await;
    contract
        .answer(
            "/api/cart/checkout",
            "post",
            checkout_empty,
            "checkout without a cart",
        )
        .await;
    let added = app
        .post_items(&json!({"line_items": [
            {"product_id": 101, "quantity": 1},
            {"product_id": 130, "quantity": 1},
            {"product_id": 110, "variant_id": 1103, "quantity": 2},
            {"product_id": 120, "quantity": 1, "option_selections": [{"option_id": 401, "option_value": "Hello"}]},
            {"product_id": 102, "quantity": 1}
        ]}))
        .await;
    let cart = contract
        .answer("/api/cart/items", "post", added, "first add")
        .await["cart"]
        .clone();
    assert_eq!(cart["item_count"], 6);
    let mug = line_id(&cart, 101);
    let ebook = line_id(&cart, 130);
    let read = app.get_cart().await;
    contract
        .answer("/api/cart", "get", read, "read with a cart")
        .await;

    // Every endpoint's successes.
    let changed = app.patch_item(&mug, 3).await;
    contract
        .answer("/api/cart/items/{item_id}", "patch", changed, "change")
        .await;
    let removed = app.delete_item(&ebook).await;
    contract
        .answer("/api/cart/items/{item_id}", "delete", removed, "remove")
        .await;
    let checkout = app.checkout().await;
    contract
        .answer("/api/cart/checkout", "post", checkout, "checkout")
        .await;

    // Problems, endpoint by endpoint.
    let cases: Vec<(&str, &str, reqwest::Response, &str)> = vec![
        (
            "/api/cart/items",
            "post",
            app.add_item(150, None, 1).await,
            "422 product_unavailable",
        ),
        (
            "/api/cart/items",
            "post",
            app.add_item(101, None, 0).await,
            "422 invalid_input",
        ),
        (
            "/api/cart/items",
            "post",
            app.post_items(&json!({"line_items": 1})).await,
            "400 invalid_json",
        ),
        (
            "/api/cart/items",
            "post",
            app.post_items(&json!({"line_items": [{"product_id": 120, "quantity": 1,
            "option_selections": [{"option_id": 401, "option_value": "x".repeat(3000)}]}]}))
                .await,
            "413 payload_too_large",
        ),
        (
            "/api/cart/items/{item_id}",
            "patch",
            app.patch_item("6f9619ff-8b86-d011-b42d-00cf4fc964ff", 1)
                .await,
            "404 item_not_found",
        ),
        (
            "/api/cart/items/{item_id}",
            "patch",
            app.patch_item(&mug, 1000).await,
            "422 invalid_input",
        ),
        (
            "/api/cart/items/{item_id}",
            "patch",
            app.api_client
                .patch(app.url(&format!("/api/cart/items/{mug}")))
                .json(&json!({"quantity": 1, "x": 1}))
                .send()
                .await
                .expect("request"),
            "400 invalid_json",
        ),
        (
            "/api/cart/items/{item_id}",
            "delete",
            app.delete_item("not-a-uuid").await,
            "404 item_not_found",
        ),
        (
            "/api/cart/recover",
            "post",
            app.recover("305c6c15f6f0a3c0929770a538cf1ff7").await,
            "404 recovery_token_unknown",
        ),
        (
            "/api/cart/recover",
            "post",
            app.api_client
                .post(app.url("/api/cart/recover"))
                .json(&json!({}))
                .send()
                .await
                .expect("request"),
            "400 invalid_json",
        ),
    ];
    for (path, method, response, context) in cases {
        contract.answer(path, method, response, context).await;
    }

    // Idempotency problems.
    let keyed = |body: Value| {
        app.api_client
            .post(app.url("/api/cart/items"))
            .header("Idempotency-Key", "contract")
            .json(&body)
            .send()
    };
    keyed(one_line(104, None, 1)).await.expect("request");
    let reused = keyed(one_line(104, None, 2)).await.expect("request");
    contract
        .answer(
            "/api/cart/items",
            "post",
            reused,
            "422 idempotency_key_reused",
        )
        .await;

    // Upstream problems.
    let upstream = [
        (
            json!({"route": "POST /v3/carts/*/items", "status": 503, "count": 1}),
            "502 upstream_unavailable",
        ),
        (
            json!({"route": "POST /v3/carts/*/items", "latency_ms": 800, "count": 1}),
            "504 upstream_timeout",
        ),
        (
            json!({"route": "POST /v3/carts/*/items", "status": 429, "with_rate_limit_headers": false, "count": 1}),
            "503 upstream_rate_limited",
        ),
    ];
    for (rule, context) in upstream {
        app.inject_faults(json!({"rules": [rule]})).await;
        let response = app.add_item(104, None, 1).await;
        contract
            .answer("/api/cart/items", "post", response, context)
            .await;
        app.clear_faults().await;
    }
    let held_off = app.patch_item(&mug, 2).await;
    contract
        .answer(
            "/api/cart/items/{item_id}",
            "patch",
            held_off,
            "503 while held off",
        )
        .await;
    let held_off = app.checkout().await;
    contract
        .answer("/api/cart/checkout", "post", held_off, "503 while held off")
        .await;
    let held_off = app.delete_item(&mug).await;
    contract
        .answer(
            "/api/cart/items/{item_id}",
            "delete",
            held_off,
            "503 while held off",
        )
        .await;
    let held_off = app.clear_cart().await;
    contract
        .answer("/api/cart", "delete", held_off, "503 while held off")
        .await;
}

#[tokio::test]
async fn recovery_clearing_and_rate_limit_answers_match_the_served_document() {
    // Arrange
    // The session's share: 2 + 2 for the recoveries, 1 to clear its cart, 1 to add again.
    let app = spawn_app_with(|settings| settings.rate_limits.session_share = share_of(6)).await;
    let contract = Contract::fetch(&app).await;
    let other = new_session_cookie(&app).await;
    post_items_as(&app.address, &other, &one_line(104, None, 1), None).await;
    let guest_cart = app.sandbox_carts().await[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let guest_token = app.abandon_cart(&guest_cart).await;
    let jane: Value = app
        .bigcommerce_api(
            Method::POST,
            "/v3/carts",
            Some(json!({"customer_id": 1, "line_items": [{"product_id": 104, "quantity": 1}]})),
        )
        .await
        .json()
        .await
        .expect("cart");
    let jane_token = app
        .abandon_cart(jane["data"]["id"].as_str().expect("id"))
        .await;

    // Act + Assert
    let recovered = app.recover(&guest_token).await;
    let cart = contract
        .answer("/api/cart/recover", "post", recovered, "200 recovered")
        .await;
    assert!(cart_body_value(&cart).is_object());
    let refused = app.recover(&jane_token).await;
    contract
        .answer("/api/cart/recover", "post", refused, "403 sign_in_required")
        .await;
    let cleared = app.clear_cart().await;
    contract
        .answer("/api/cart", "delete", cleared, "204 cleared")
        .await;
    let cleared_again = app.clear_cart().await;
    contract
        .answer("/api/cart", "delete", cleared_again, "204 nothing to clear")
        .await;
    let added = app.add_item(104, None, 1).await;
    contract
        .answer(
            "/api/cart/items",
            "post",
            added,
            "201 the share's last call",
        )
        .await;
    // Over the share now, with a cart, so every change would call BigCommerce.
    let limited = app.add_item(104, None, 1).await;
    contract
        .answer("/api/cart/items", "post", limited, "429 too_many_requests")
        .await;
    for (path, method, response) in [
        (
            "/api/cart/items/{item_id}",
            "patch",
            app.patch_item("6f9619ff-8b86-d011-b42d-00cf4fc964ff", 1)
                .await,
        ),
        (
            "/api/cart/items/{item_id}",
            "delete",
            app.delete_item("6f9619ff-8b86-d011-b42d-00cf4fc964ff")
                .await,
        ),
        ("/api/cart/checkout", "post", app.checkout().await),
        ("/api/cart/recover", "post", app.recover(&guest_token).await),
        ("/api/cart", "delete", app.clear_cart().await),
    ] {
        contract
            .answer(path, method, response, "429 too_many_requests")
            .await;
    }
    let _ = cart_body;
}

#[tokio::test]
async fn left_behind_answers_match_the_served_document() {
    // Arrange: Jane's cart holds the most prints an order may; a guest with one more signs in.
    let app = crate::helpers::spawn_app().await;
    let contract = Contract::fetch(&app).await;
    let laptop = crate::helpers::client();
    crate::accounts::login_with(&app, &laptop, crate::accounts::JANE).await;
    crate::accounts::add_with(&app, &laptop, 140, None, 2).await;
    let phone = crate::helpers::client();
    crate::accounts::add_with(&app, &phone, 140, None, 1).await;
    crate::accounts::add_with(&app, &phone, 101, None, 1).await;
    crate::accounts::login_with(&app, &phone, crate::accounts::JANE).await;
    let act = |action: &'static str| {
        phone
            .post(app.url("/api/cart/left-behind"))
            .json(&json!({ "action": action }))
            .send()
    };

    // Act + Assert
    let session = phone
        .get(app.url("/api/session"))
        .send()
        .await
        .expect("get");
    let session = contract
        .answer("/api/session", "get", session, "200 with lines left behind")
        .await;
    assert!(session["left_behind"]["lines"][0]["reason"].is_string());
    let unknown = act("teleport").await.expect("post");
    contract
        .answer(
            "/api/cart/left-behind",
            "post",
            unknown,
            "422 unknown action",
        )
        .await;
    let refused = act("move").await.expect("post");
    let moved = contract
        .answer(
            "/api/cart/left-behind",
            "post",
            refused,
            "200 still refused",
        )
        .await;
    assert_eq!(moved["warnings"][0]["code"], "line_not_moved");
    assert_eq!(session["left_behind"]["lines"][0]["movable"], true);
    // Another move holds the lines.
    sqlx::query("UPDATE left_behind_lines SET claim_id = gen_random_uuid(), claimed_until = now() + interval '1 minute'")
        .execute(&app.db_pool)
        .await
        .expect("hold the lines");
    let busy = act("discard").await.expect("post");
    let problem = contract
        .answer(
            "/api/cart/left-behind",
            "post",
            busy,
            "409 left_behind_busy",
        )
        .await;
    assert_eq!(problem["code"], "left_behind_busy");
    sqlx::query("UPDATE left_behind_lines SET claim_id = NULL, claimed_until = NULL")
        .execute(&app.db_pool)
        .await
        .expect("let go of the lines");
    let discarded = act("discard").await.expect("post");
    contract
        .answer("/api/cart/left-behind", "post", discarded, "204 discarded")
        .await;
    let session = phone
        .get(app.url("/api/session"))
        .send()
        .await
        .expect("get");
    let session = contract
        .answer("/api/session", "get", session, "200 without")
        .await;
    assert_eq!(session["left_behind"], Value::Null);
}

fn cart_body_value(body: &Value) -> &Value {
    &body["cart"]
}

#[tokio::test]
async fn coupon_promotion_and_gift_answers_match_the_served_document() {
    let app = spawn_app_with_promotions().await;
    let contract = Contract::fetch(&app).await;
    let coupons = "/api/cart/coupons";
    let post_coupon = |code: &'static str| {
        app.api_client
            .post(app.url(coupons))
            .json(&json!({"code": code}))
            .send()
    };

    let no_cart = post_coupon("SAVE10").await.expect("request");
    contract.answer(coupons, "post", no_cart, "no cart").await;
    let added = app.add_item(101, None, 2).await;
    let cart = contract
        .answer("/api/cart/items", "post", added, "two mugs and a free pin")
        .await["cart"]
        .clone();
    assert_eq!(cart["line_items"].as_array().map(Vec::len), Some(2));
    assert!(!cart["promotions"].as_array().expect("banners").is_empty());
    let pin = line_id(&cart, 103);
    let refused = app.patch_item(&pin, 2).await;
    contract
        .answer("/api/cart/items/{item_id}", "patch", refused, "the pin")
        .await;
    let refused = app.delete_item(&pin).await;
    contract
        .answer("/api/cart/items/{item_id}", "delete", refused, "the pin")
        .await;

    for (code, context) in [
        ("SAVE10", "applied"),
        ("EXPIRED", "expired"),
        ("bad code", "malformed"),
    ] {
        let response = post_coupon(code).await.expect("request");
        contract.answer(coupons, "post", response, context).await;
    }
    let extra = app
        .api_client
        .post(app.url(coupons))
        .json(&json!({"code": "SAVE10", "extra": 1}))
        .send()
        .await
        .expect("request");
    contract
        .answer(coupons, "post", extra, "unknown field")
        .await;
    let read = app.get_cart().await;
    contract.answer("/api/cart", "get", read, "read").await;
    let path = "/api/cart/coupons/{code}";
    for (code, context) in [
        ("SAVE10", "removed"),
        ("SAVE10", "not applied"),
        ("a%20b", "malformed"),
    ] {
        let response = app
            .api_client
            .delete(app.url(&format!("/api/cart/coupons/{code}")))
            .send()
            .await
            .expect("request");
        contract.answer(path, "delete", response, context).await;
    }
}

#[tokio::test]
async fn shipping_note_and_gift_certificate_answers_match_the_served_document() {
    let app = spawn_app_with_promotions().await;
    let contract = Contract::fetch(&app).await;
    let (estimate, option, note, gift) = (
        "/api/cart/shipping-estimate",
        "/api/cart/shipping-option",
        "/api/cart/note",
        "/api/cart/gift-certificates",
    );
    let send = |method: Method, path: &'static str, body: Value| {
        app.api_client
            .request(method, app.url(path))
            .json(&body)
            .send()
    };
    let certificate = json!({"name": "For Sam", "amount": 25, "theme": "general",
        "sender": {"name": "Jane", "email": "jane@example.com"},
        "recipient": {"name": "Sam", "email": "sam@example.com"}});

    // Without a cart.
    let texas = crate::shipping::texas();
    for (method, path, body) in [
        (Method::POST, estimate, texas.clone()),
        (Method::PUT, option, json!({"option_id": "abc"})),
        (Method::PUT, note, json!({"message": "hi"})),
        (Method::POST, gift, certificate.clone()),
    ] {
        let method_name = method.as_str().to_lowercase();
        let response = send(method, path, body).await.expect("request");
        contract
            .answer(path, &method_name, response, "409 cart_empty")
            .await;
    }

    // A digital-only cart has nothing to ship.
    app.add_item(130, None, 1).await;
    let digital = send(Method::POST, estimate, texas.clone())
        .await
        .expect("request");
    contract
        .answer(estimate, "post", digital, "422 shipping_not_required")
        .await;
    let added = app.add_item(106, None, 3).await;
    contract
        .answer("/api/cart/items", "post", added, "coffee")
        .await;

    let estimated = send(Method::POST, estimate, texas.clone())
        .await
        .expect("request");
    let cart = contract
        .answer(estimate, "post", estimated, "200 estimate")
        .await;
    let standard = crate::shipping::option_id(&cart["cart"], "Standard shipping");
    let unknown = send(Method::PUT, option, json!({"option_id": "ffff"}))
        .await
        .expect("request");
    contract
        .answer(option, "put", unknown, "422 shipping_option_unknown")
        .await;
    let chosen = send(Method::PUT, option, json!({"option_id": standard}))
        .await
        .expect("request");
    let cart = contract.answer(option, "put", chosen, "200 chosen").await;
    assert_eq!(cart["cart"]["totals"]["shipping"], 0.0);
    for (body, context) in [
        (
            json!({"country_code": "XX", "email": "a@b.co"}),
            "422 invalid_input",
        ),
        (
            json!({"country_code": "US", "extra": 1}),
            "400 invalid_json",
        ),
    ] {
        let response = send(Method::POST, estimate, body).await.expect("request");
        contract.answer(estimate, "post", response, context).await;
    }

    let set = send(Method::PUT, note, json!({"message": "Ring twice"}))
        .await
        .expect("request");
    let cart = contract.answer(note, "put", set, "200 note").await;
    assert_eq!(cart["cart"]["note"], "Ring twice");
    let long = send(Method::PUT, note, json!({"message": "x".repeat(2001)}))
        .await
        .expect("request");
    contract.answer(note, "put", long, "422 over 2000").await;

    let bought = send(Method::POST, gift, certificate.clone())
        .await
        .expect("request");
    contract
        .answer(gift, "post", bought, "201 gift certificate")
        .await;
    let mut bad = certificate.clone();
    bad["amount"] = json!(5000);
    let refused = send(Method::POST, gift, bad).await.expect("request");
    contract.answer(gift, "post", refused, "422 amount").await;

    // After a line change the quote is no longer current: documented too.
    let read = app.get_cart().await;
    let cart = contract.answer("/api/cart", "get", read, "read").await;
    let coffee = line_id(&cart["cart"], 106);
    let changed = app.patch_item(&coffee, 1).await;
    let cart = contract
        .answer("/api/cart/items/{item_id}", "patch", changed, "not current")
        .await;
    assert_eq!(cart["cart"]["shipping"]["current"], false);
    let stale = send(Method::PUT, option, json!({"option_id": standard}))
        .await
        .expect("request");
    contract
        .answer(option, "put", stale, "409 shipping_estimate_required")
        .await;
}
