//! Security of the cart API: ids in paths are validated before any BigCommerce call, inputs
//! are bounded, bodies capped and strict, CORS only for configured origins, no caching of
//! carts, and mutations rate-limited per session and per client address.

use serde_json::{json, Value};

use crate::helpers::{
    cart_body, client, line_id, new_session_cookie, one_line, post_items_as, raw_request, share_of,
    spawn_app, spawn_app_with,
};

#[tokio::test]
async fn path_injection_attempts_in_item_ids_make_zero_bigcommerce_calls() {
    // Arrange: a cart exists, so a BigCommerce path could be built from the id.
    let app = spawn_app().await;
    let cookie = new_session_cookie(&app).await;
    let created = post_items_as(&app.address, &cookie, &one_line(101, None, 1), None).await;
    assert_eq!(created.status().as_u16(), 201);
    let long = "a".repeat(5000);
    let long_uuidish = format!("6f9619ff-8b86-d011-b42d-00cf4fc964ff{}", "0".repeat(2000));
    let targets = [
        ("..%2F..%2Fv2%2Forders", "encoded slashes"),
        ("..%2f..%2fv2%2forders", "lower-case encoded slashes"),
        ("%2e%2e", "encoded dot-dot"),
        (
            "%2e%2e%2f%2e%2e%2fv2%2forders",
            "encoded dot-dot and slashes",
        ),
        ("..", "dot-dot"),
        ("../../v2/orders", "raw dot-dot and slashes"),
        (
            "6f9619ff-8b86-d011-b42d-00cf4fc964ff%2F..%2F..",
            "a UUID followed by traversal",
        ),
        (
            "6f9619ff-8b86-d011-b42d-00cf4fc964ff/../../v2/orders",
            "a UUID, then raw traversal",
        ),
        ("%252e%252e%252f", "double-encoded traversal"),
        ("not-a-uuid", "not a UUID"),
        ("{6f9619ff-8b86-d011-b42d-00cf4fc964ff}", "a braced UUID"),
        ("6f9619ff8b86d011b42d00cf4fc964ff", "a UUID without hyphens"),
        ("6f9619ff-8b86-d011-b42d-00cf4fc964f%3F", "an encoded query"),
        (
            "6f9619ff-8b86-d011-b42d-00cf4fc964ff%23x",
            "an encoded fragment",
        ),
        ("%00", "a NUL byte"),
        (long.as_str(), "a very long id"),
        (long_uuidish.as_str(), "a UUID with a very long tail"),
    ];
    let before = app.sandbox_stats().await;

    for (id, why) in targets {
        for (method, body) in [("PATCH", Some(r#"{"quantity": 2}"#)), ("DELETE", None)] {
            // Act
            let mut headers = vec![("Cookie", cookie.as_str())];
            if body.is_some() {
                headers.push(("Content-Type", "application/json"));
            }
            let status = raw_request_with_body(
                &app.address,
                method,
                &format!("/api/cart/items/{id}"),
                &headers,
                body,
            )
            .await;

            // Assert
            assert!(
                (400..500).contains(&status),
                "{method} {why}: a client error, got {status}"
            );
        }
    }
    let stats = app.sandbox_stats().await.since(&before);
    assert_eq!(
        stats.total, 0,
        "no BigCommerce call for any attempt: {stats:?}"
    );
    let cart = cart_body(crate::helpers::get_cart_as(&app.address, &cookie).await).await;
    assert_eq!(cart["item_count"], 1, "the cart is untouched");
}

/// `raw_request` with an optional body.
async fn raw_request_with_body(
    address: &str,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> u16 {
    match body {
        None => raw_request(address, method, target, headers).await,
        Some(body) => {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let host = address.trim_start_matches("http://");
            let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
            let mut request =
                format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
            for (name, value) in headers {
                request.push_str(&format!("{name}: {value}\r\n"));
            }
            request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
            stream.write_all(request.as_bytes()).await.expect("send");
            let mut answer = Vec::new();
            stream.read_to_end(&mut answer).await.expect("read");
            let answer = String::from_utf8_lossy(&answer);
            answer
                .split(' ')
                .nth(1)
                .and_then(|status| status.parse().ok())
                .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"))
        }
    }
}

#[tokio::test]
async fn an_unknown_but_well_formed_item_id_is_item_not_found_without_a_call_while_fresh() {
    // Arrange
    let app = spawn_app().await;
    app.add_item(101, None, 1).await;
    let before = app.sandbox_stats().await;

    // Act
    let changed = app
        .patch_item("6f9619ff-8b86-d011-b42d-00cf4fc964ff", 2)
        .await;
    let removed = app
        .delete_item("6f9619ff-8b86-d011-b42d-00cf4fc964ff")
        .await;

    // Assert
    for response in [changed, removed] {
        assert_eq!(response.status().as_u16(), 404);
        let problem: Value = response.json().await.expect("problem");
        assert_eq!(problem["code"], "item_not_found");
    }
    assert_eq!(app.sandbox_stats().await.since(&before).total, 0);
}

#[tokio::test]
async fn quantities_outside_the_bounds_are_refused_before_any_bigcommerce_call() {
    // Arrange
    let app = spawn_app_with(|settings| settings.cart.max_quantity = 10).await;
    let cart = cart_body(app.add_item(104, None, 1).await).await;
    let line = line_id(&cart, 104);
    let before = app.sandbox_stats().await;
    let adds = [
        (json!(0), 422, "zero"),
        (json!(-1), 422, "negative"),
        (json!(11), 422, "over settings.cart.max_quantity"),
        (json!(i64::MAX), 422, "huge"),
        (json!(1e30), 400, "beyond any integer"),
        (json!(1.5), 400, "fractional"),
        (json!("2"), 400, "a string"),
    ];

    for (quantity, status, why) in adds {
        // Act
        let added = app
            .post_items(&json!({"line_items": [{"product_id": 104, "quantity": quantity}]}))
            .await;
        let changed = app
            .api_client
            .patch(app.url(&format!("/api/cart/items/{line}")))
            .json(&json!({"quantity": quantity}))
            .send()
            .await
            .expect("request");

        // Assert
        assert_eq!(added.status().as_u16(), status, "add: {why}");
        let expected_change = if why == "zero" { 200 } else { status };
        assert_eq!(changed.status().as_u16(), expected_change, "change: {why}");
        if why == "zero" {
            // PATCH 0 removes the line: one call, the only one in this table.
            app.add_item(104, None, 1).await;
        }
    }

    // Assert: only the zero-quantity change (a removal) and its re-add reached BigCommerce.
    let stats = app.sandbox_stats().await.since(&before);
    assert_eq!(stats.total, 2, "{stats:?}");
    let at_max = app.add_item(104, None, 10).await;
    assert_eq!(
        at_max.status().as_u16(),
        201,
        "the maximum itself is allowed"
    );
}

#[tokio::test]
async fn too_many_lines_or_invalid_ids_in_one_add_are_refused_before_any_bigcommerce_call() {
    // Arrange
    let app = spawn_app().await;
    let too_many: Vec<Value> = (0..21)
        .map(|_| json!({"product_id": 104, "quantity": 1}))
        .collect();
    let cases = [
        (
            json!({"line_items": too_many}),
            "more than max_line_items_per_request",
        ),
        (json!({"line_items": []}), "no lines"),
        (
            json!({"line_items": [{"product_id": 0, "quantity": 1}]}),
            "product id 0",
        ),
        (
            json!({"line_items": [{"product_id": -3, "quantity": 1}]}),
            "negative product id",
        ),
        (
            json!({"line_items": [{"product_id": 110, "variant_id": 0, "quantity": 1}]}),
            "variant id 0",
        ),
        (
            json!({"line_items": [{"product_id": 120, "quantity": 1,
            "option_selections": [{"option_id": 401, "option_value": "x".repeat(2001)}]}]}),
            "option text too long",
        ),
        (
            json!({"line_items": [{"product_id": 120, "quantity": 1,
            "option_selections": [{"option_id": 401, "option_value": "a\u{0}b"}]}]}),
            "control character",
        ),
    ];
    for (body, why) in cases {
        // Act
        let response = app.post_items(&body).await;

        // Assert
        assert_eq!(response.status().as_u16(), 422, "{why}");
        let problem: Value = response.json().await.expect("problem");
        assert_eq!(problem["code"], "invalid_input", "{why}");
    }
    assert_eq!(app.sandbox_stats().await.total, 0);
}

#[tokio::test]
async fn json_bodies_over_the_cap_get_413() {
    // Arrange
    let app = spawn_app_with(|settings| settings.application.max_json_body_bytes = 1024).await;
    let padding = "x".repeat(2000);
    let body = json!({"line_items": [{"product_id": 120, "quantity": 1,
        "option_selections": [{"option_id": 401, "option_value": padding}]}]});

    // Act
    let response = app.post_items(&body).await;

    // Assert
    assert_eq!(response.status().as_u16(), 413);
    let problem: Value = response.json().await.expect("problem");
    assert_eq!(problem["code"], "payload_too_large");
    assert_eq!(app.sandbox_stats().await.total, 0);
}

#[tokio::test]
async fn unknown_fields_are_refused_so_no_client_can_name_a_cart_or_a_customer() {
    // Arrange
    let app = spawn_app().await;
    let cart = cart_body(app.add_item(101, None, 1).await).await;
    let line = line_id(&cart, 101);
    let before = app.sandbox_stats().await;
    let cases = [
        (
            "POST",
            "/api/cart/items".to_owned(),
            json!({"line_items": [{"product_id": 104, "quantity": 1}], "cart_id": "6f9619ff-8b86-d011-b42d-00cf4fc964ff"}),
            "a cart id on an add",
        ),
        (
            "POST",
            "/api/cart/items".to_owned(),
            json!({"line_items": [{"product_id": 104, "quantity": 1, "customer_id": 1}]}),
            "a customer id on a line",
        ),
        (
            "POST",
            "/api/cart/items".to_owned(),
            json!({"line_items": [{"product_id": 104, "quantity": 1, "list_price": 0.01}]}),
            "a price override",
        ),
        (
            "POST",
            "/api/cart/items".to_owned(),
            json!({"line_items": [{"product_id": 120, "quantity": 1,
                "option_selections": [{"option_id": 401, "option_value": "hi", "extra": 1}]}]}),
            "an unknown field in an option",
        ),
        (
            "PATCH",
            format!("/api/cart/items/{line}"),
            json!({"quantity": 2, "cart_id": "6f9619ff-8b86-d011-b42d-00cf4fc964ff"}),
            "a cart id on a change",
        ),
        (
            "POST",
            "/api/cart/recover".to_owned(),
            json!({"token": "305c6c15f6f0a3c0929770a538cf1ff7", "customer_id": 1}),
            "a customer id on a recovery",
        ),
    ];
    for (method, path, body, why) in cases {
        // Act
        let response = app
            .api_client
            .request(method.parse().expect("method"), app.url(&path))
            .json(&body)
            .send()
            .await
            .expect("request");

        // Assert
        assert_eq!(response.status().as_u16(), 400, "{why}");
        let problem: Value = response.json().await.expect("problem");
        assert_eq!(problem["code"], "invalid_json", "{why}");
    }
    assert_eq!(app.sandbox_stats().await.since(&before).total, 0);
}

#[tokio::test]
async fn cors_allows_only_the_configured_origins_with_credentials() {
    // Arrange
    let app = spawn_app_with(|settings| {
        settings.application.cors_allowed_origins = vec!["https://shop.example".into()];
    })
    .await;
    let http = client();
    let cases = [
        ("https://shop.example", true, "the configured origin"),
        ("https://evil.example", false, "another origin"),
        (
            "https://shop.example.evil.example",
            false,
            "a look-alike origin",
        ),
        (
            "http://shop.example",
            false,
            "the configured host over another scheme",
        ),
        ("null", false, "an opaque origin"),
    ];
    for (origin, allowed, why) in cases {
        // Act
        let preflight = http
            .request(reqwest::Method::OPTIONS, app.url("/api/cart/items"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "content-type,idempotency-key",
            )
            .send()
            .await
            .expect("preflight");
        let simple = http
            .get(app.url("/api/cart"))
            .header("Origin", origin)
            .send()
            .await
            .expect("simple request");

        // Assert
        for (kind, response) in [("preflight", &preflight), ("simple", &simple)] {
            let headers = response.headers();
            let allow_origin = headers.get("access-control-allow-origin");
            let credentials = headers.get("access-control-allow-credentials");
            if allowed {
                assert!(
                    response.status().is_success(),
                    "{kind}, {why}: {}",
                    response.status()
                );
                assert_eq!(
                    allow_origin.map(|v| v.as_bytes()),
                    Some(origin.as_bytes()),
                    "{kind}, {why}"
                );
                assert_eq!(
                    credentials.map(|v| v.as_bytes()),
                    Some(&b"true"[..]),
                    "{kind}, {why}"
                );
            } else {
                // Without Access-Control-Allow-Origin the browser shares nothing with that
                // origin, credentials or not.
                assert!(allow_origin.is_none(), "{kind}, {why}: {allow_origin:?}");
            }
        }
        if allowed {
            let methods = preflight.headers()["access-control-allow-methods"]
                .to_str()
                .expect("ascii")
                .to_uppercase();
            for method in ["GET", "POST", "PATCH", "DELETE"] {
                assert!(methods.contains(method), "{why}: {method} in {methods}");
            }
            let allowed_headers = preflight.headers()["access-control-allow-headers"]
                .to_str()
                .expect("ascii")
                .to_lowercase();
            assert!(
                allowed_headers.contains("idempotency-key"),
                "{allowed_headers}"
            );
            assert!(
                allowed_headers.contains("content-type"),
                "{allowed_headers}"
            );
            assert_ne!(
                preflight.headers()["access-control-allow-origin"],
                "*",
                "never a wildcard with credentials"
            );
        }
    }
    assert_eq!(app.sandbox_stats().await.total, 0);
}

#[tokio::test]
async fn every_cart_answer_is_private_and_not_stored() {
    // Arrange
    let app = spawn_app().await;
    let cart = cart_body(app.add_item(101, None, 1).await).await;
    let mug = line_id(&cart, 101);

    // Act
    let mut answers = vec![
        ("GET /api/cart", app.get_cart().await),
        ("POST /api/cart/items", app.add_item(104, None, 1).await),
        ("PATCH item", app.patch_item(&mug, 2).await),
        ("POST /api/cart/checkout", app.checkout().await),
        ("DELETE item", app.delete_item(&mug).await),
        ("DELETE /api/cart", app.clear_cart().await),
        ("GET /api/cart without a cart", app.get_cart().await),
        ("checkout without a cart (409)", app.checkout().await),
        ("PATCH unknown item (404)", app.patch_item(&mug, 2).await),
        (
            "recover unknown token (404)",
            app.recover("305c6c15f6f0a3c0929770a538cf1ff7").await,
        ),
        (
            "add refused upstream (422)",
            app.add_item(150, None, 1).await,
        ),
        (
            "add with bad quantity (422)",
            app.add_item(101, None, 0).await,
        ),
    ];
    answers.push(("first add of a new cart", app.add_item(101, None, 1).await));
    answers.push((
        "replayed add",
        app.api_client
            .post(app.url("/api/cart/items"))
            .header("Idempotency-Key", "k")
            .json(&one_line(104, None, 1))
            .send()
            .await
            .expect("request"),
    ));
    answers.push((
        "replayed add, again",
        app.api_client
            .post(app.url("/api/cart/items"))
            .header("Idempotency-Key", "k")
            .json(&one_line(104, None, 1))
            .send()
            .await
            .expect("request"),
    ));
    let framework_problems = [
        (
            "unknown field (400)",
            app.post_items(&json!({"line_items": [], "x": 1})).await,
        ),
        (
            "body over the cap (413)",
            app.post_items(&json!({"line_items": [{"product_id": 1, "quantity": 1,
                "option_selections": [{"option_id": 1, "option_value": "x".repeat(20_000)}]}]}))
                .await,
        ),
    ];

    // Assert
    for (what, response) in answers {
        assert_eq!(
            response
                .headers()
                .get("cache-control")
                .map(|v| v.as_bytes()),
            Some(&b"private, no-store"[..]),
            "{what} ({})",
            response.status()
        );
    }
    // Refused before a cart handler runs (by the JSON extractor): never stored either.
    for (what, response) in framework_problems {
        let cache = response
            .headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap_or_default().to_owned());
        assert!(
            cache
                .as_deref()
                .is_some_and(|value| value.contains("no-store")),
            "{what}: {cache:?}"
        );
    }
}

#[tokio::test]
async fn mutations_are_rate_limited_per_session() {
    // Arrange
    let app = spawn_app_with(|settings| {
        settings.rate_limits.session_share = share_of(3);
    })
    .await;
    let alice = new_session_cookie(&app).await;
    let bob = new_session_cookie(&app).await;
    for n in 0..3 {
        let response = post_items_as(&app.address, &alice, &one_line(104, None, 1), None).await;
        assert_eq!(response.status().as_u16(), 201, "add {n} within the limit");
    }
    let before = app.sandbox_stats().await;

    // Act
    let over = post_items_as(&app.address, &alice, &one_line(104, None, 1), None).await;
    let other_session = post_items_as(&app.address, &bob, &one_line(104, None, 1), None).await;

    // Assert
    assert_eq!(over.status().as_u16(), 429);
    let retry_after: u64 = over.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    let problem: Value = over.json().await.expect("problem");
    assert_eq!(problem["code"], "too_many_requests");
    assert_eq!(
        other_session.status().as_u16(),
        201,
        "another session has its own budget"
    );
    assert_eq!(
        app.sandbox_stats().await.since(&before).total,
        1,
        "the refused mutation costs nothing"
    );
    let read = crate::helpers::get_cart_as(&app.address, &alice).await;
    assert_eq!(read.status().as_u16(), 200, "reads are not limited");
}

#[tokio::test]
async fn mutations_are_rate_limited_per_client_address() {
    // Arrange
    let app = spawn_app_with(|settings| {
        settings.rate_limits.address_share = share_of(3);
    })
    .await;
    let mut sessions = Vec::new();
    for _ in 0..4 {
        sessions.push(new_session_cookie(&app).await);
    }
    let cases = [(0, 201), (1, 201), (2, 201), (3, 429)];

    for (n, status) in cases {
        // Act: each mutation from a different session, all from 127.0.0.1.
        let response =
            post_items_as(&app.address, &sessions[n], &one_line(104, None, 1), None).await;

        // Assert
        assert_eq!(
            response.status().as_u16(),
            status,
            "mutation {n} from one address"
        );
        if status == 429 {
            assert!(response.headers().contains_key("retry-after"));
            let problem: Value = response.json().await.expect("problem");
            assert_eq!(problem["code"], "too_many_requests");
        }
    }
}

#[tokio::test]
async fn no_answer_carries_the_bigcommerce_cart_id() {
    // Arrange
    let app = spawn_app().await;
    let added = app.add_item(101, None, 1).await.text().await.expect("body");
    let cart_id = app.stored_cart_id().await.to_string();

    // Act
    let read = app.get_cart().await.text().await.expect("body");
    let checkout = app.checkout().await.text().await.expect("body");

    // Assert
    assert!(!added.contains(&cart_id), "add: {added}");
    assert!(!read.contains(&cart_id), "read: {read}");
    let checkout: Value = serde_json::from_str(&checkout).expect("json");
    assert_eq!(
        checkout.as_object().map(|o| o.len()),
        Some(3),
        "only the three hand-off URLs: {checkout}"
    );
}
