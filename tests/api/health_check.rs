use std::time::Duration;

use crate::helpers::{spawn_app, spawn_app_behind_db_proxy};

#[tokio::test]
async fn healthz_answers_200_with_a_request_id() {
    let app = spawn_app().await;

    let response = app.get("/healthz").await;

    assert_eq!(response.status().as_u16(), 200);
    let request_id = response
        .headers()
        .get("x-request-id")
        .expect("X-Request-Id header");
    assert!(!request_id.is_empty());
}

#[tokio::test]
async fn readyz_answers_200_when_the_database_is_reachable() {
    let app = spawn_app().await;

    let response = app.admin_get("/readyz").await;

    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn readiness_and_the_api_answer_503_while_the_database_is_down_and_recover_after() {
    // Arrange: the application reaches Postgres through a proxy we can cut.
    let (app, proxy) = spawn_app_behind_db_proxy(500).await;
    assert_eq!(app.admin_get("/readyz").await.status().as_u16(), 200);
    let shopper = crate::helpers::new_session_cookie(&app).await;
    // Readiness is on the admin listener, the API on the shoppers' port.
    let with_session = |path: &str| {
        let url = if path == "/readyz" {
            app.admin_url(path)
        } else {
            app.url(path)
        };
        crate::helpers::cookieless_client()
            .get(url)
            .header("cookie", &shopper)
    };
    assert_eq!(
        with_session("/api/cart")
            .send()
            .await
            .expect("read")
            .status()
            .as_u16(),
        200
    );

    // Act: the database goes away.
    proxy.stop();

    // Assert: fast 503 problems, never a 500 (a shopper with a session needs the database;
    // one without is served, since a read stores nothing).
    let cookieless = app.get("/api/cart").await;
    assert_eq!(
        cookieless.status().as_u16(),
        200,
        "a read without a session"
    );
    for path in ["/readyz", "/api/cart"] {
        let started = std::time::Instant::now();
        let response = with_session(path).send().await.expect("request");
        assert_eq!(response.status().as_u16(), 503, "{path} during the outage");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{path} body type"
        );
        let body: serde_json::Value = response.json().await.expect("problem body");
        assert_eq!(body["code"], "database_unavailable", "{path} code");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{path} took {:?} to fail",
            started.elapsed()
        );
    }

    // Act: the database is back; the service recovers by itself.
    proxy.restart();
    let mut recovered = false;
    for _ in 0..50 {
        if app.admin_get("/readyz").await.status().as_u16() == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered, "readiness never recovered");
    assert_eq!(app.get_cart().await.status().as_u16(), 200);
}

#[tokio::test]
async fn unknown_paths_and_wrong_methods_get_problem_responses() {
    let app = spawn_app().await;
    let cases = [
        ("GET", "/no/such/path", 404, "not_found"),
        ("PUT", "/api/cart", 405, "method_not_allowed"),
        ("POST", "/healthz", 405, "method_not_allowed"),
        ("TRACE", "/api/session", 405, "method_not_allowed"),
    ];
    for (method, path, status, code) in cases {
        let response = app
            .api_client
            .request(method.parse().expect("method"), app.url(path))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status().as_u16(), status, "{method} {path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{method} {path}"
        );
        let body: serde_json::Value = response.json().await.expect("problem body");
        assert_eq!(body["code"], code, "{method} {path}");
        assert_eq!(body["status"], status, "{method} {path}");
        assert!(
            body["title"].is_string() && body["type"].is_string() && body["detail"].is_string()
        );
    }
}
