//! Customer Login JWTs: acceptance, and each rejection reason.

use jsonwebtoken::{encode, EncodingKey, Header};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{mug, start, TestSandbox};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

fn claims() -> Value {
    json!({"iss": "sandbox-client-id", "iat": now(), "jti": uuid::Uuid::new_v4().to_string(),
           "operation": "customer_login", "store_hash": "sandbox", "customer_id": 1,
           "channel_id": 1, "redirect_to": "/account.php"})
}

fn sign(claims: &Value, secret: &str) -> String {
    encode(
        &Header::default(),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("jwt")
}

async fn visit(app: &TestSandbox, jwt: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/login/token/{jwt}")))
        .send()
        .await
        .expect("sent")
}

#[tokio::test]
async fn a_valid_token_signs_in_and_redirects_to_checkout() {
    let app = start().await;
    let cart = app.create_cart(json!([mug(1)])).await;
    let id = cart["id"].as_str().expect("id");
    let urls: Value = app
        .post(&format!("/v3/carts/{id}/redirect_urls"), json!({}))
        .await
        .json()
        .await
        .expect("json");
    let checkout_url = urls["data"]["checkout_url"].as_str().expect("url");
    let mut c = claims();
    c["redirect_to"] = json!(checkout_url);
    let resp = visit(&app, &sign(&c, "sandbox-client-secret")).await;
    assert_eq!(resp.status(), 302);
    assert_eq!(resp.headers()["location"], checkout_url);
    let page = app
        .client
        .get(checkout_url)
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(page.contains("Signed in as Jane Shopper"), "{page}");
}

#[tokio::test]
async fn each_failed_check_is_named() {
    let app = start().await;
    let mut cases: Vec<(Value, &str, &str)> = Vec::new();
    let with = |k: &str, v: Value| {
        let mut c = claims();
        c[k] = v;
        c
    };
    cases.push((
        with("iss", json!("someone-else")),
        "sandbox-client-secret",
        "iss does not match the client id",
    ));
    cases.push((
        with("operation", json!("logout")),
        "sandbox-client-secret",
        "operation must be customer_login",
    ));
    cases.push((
        with("store_hash", json!("other")),
        "sandbox-client-secret",
        "store_hash does not match this store",
    ));
    cases.push((
        with("customer_id", json!(999)),
        "sandbox-client-secret",
        "unknown customer",
    ));
    cases.push((
        with("channel_id", json!(3)),
        "sandbox-client-secret",
        "unknown channel",
    ));
    cases.push((
        with("iat", json!(now() - 31)),
        "sandbox-client-secret",
        "token expired: iat too old",
    ));
    cases.push((
        with("iat", json!(now() + 60)),
        "sandbox-client-secret",
        "iat is in the future",
    ));
    cases.push((
        with("redirect_to", json!("https://evil.example/")),
        "sandbox-client-secret",
        "redirect_to must be",
    ));
    cases.push((claims(), "wrong-secret", "invalid signature"));
    for (claims, secret, reason) in cases {
        let resp = visit(&app, &sign(&claims, secret)).await;
        assert_eq!(resp.status(), 403, "{reason}");
        let html = resp.text().await.expect("html");
        assert!(
            html.contains(&reason.replace('\'', "&#39;")),
            "{reason}: {html}"
        );
    }
    let malformed = visit(&app, "not-a-jwt").await;
    assert_eq!(malformed.status(), 400);
}

#[tokio::test]
async fn a_jti_works_once_and_iat_follows_the_sandbox_clock() {
    let app = start().await;
    let token = sign(&claims(), "sandbox-client-secret");
    assert_eq!(visit(&app, &token).await.status(), 302);
    let again = visit(&app, &token).await;
    assert_eq!(again.status(), 403);
    assert!(again
        .text()
        .await
        .expect("html")
        .contains("jti already used"));

    app.control(Method::POST, "/clock", Some(json!({"offset_seconds": 120})))
        .await;
    let stale = visit(&app, &sign(&claims(), "sandbox-client-secret")).await;
    assert_eq!(stale.status(), 403);
    let mut c = claims();
    c["iat"] = json!(now() + 120);
    assert_eq!(
        visit(&app, &sign(&c, "sandbox-client-secret"))
            .await
            .status(),
        302
    );
}
