//! `/v3/hooks` CRUD, filters and duplicate refusal.

use serde_json::{json, Value};

use crate::helpers::start;

#[tokio::test]
async fn hooks_are_created_listed_filtered_updated_and_deleted() {
    let app = start().await;
    let resp = app
        .post(
            "/v3/hooks",
            json!({"scope": "store/cart/*", "destination": "http://127.0.0.1:9/hook",
                                  "is_active": true, "headers": {"X-Secret": "s"}}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let hook: Value = resp.json::<Value>().await.expect("json")["data"].clone();
    for key in [
        "id",
        "client_id",
        "store_hash",
        "scope",
        "destination",
        "is_active",
        "headers",
        "created_at",
        "updated_at",
    ] {
        assert!(hook.get(key).is_some(), "hook has {key}");
    }
    assert_eq!(hook["client_id"], "sandbox-client-id");
    let id = hook["id"].as_i64().expect("id");

    let dup = app
        .post(
            "/v3/hooks",
            json!({"scope": "store/cart/*", "destination": "http://127.0.0.1:9/hook"}),
        )
        .await;
    assert_eq!(dup.status(), 422);
    let missing = app
        .post("/v3/hooks", json!({"scope": "store/cart/*"}))
        .await;
    assert_eq!(missing.status(), 422);

    app.post("/v3/hooks", json!({"scope": "store/cart/converted", "destination": "http://127.0.0.1:9/other", "is_active": false})).await;
    let list: Value = app.get("/v3/hooks").await.json().await.expect("json");
    assert_eq!(list["data"].as_array().expect("data").len(), 2);
    let active: Value = app
        .get("/v3/hooks?is_active=true")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(active["data"].as_array().expect("data").len(), 1);
    let by_scope: Value = app
        .get("/v3/hooks?scope=store/cart/converted")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(by_scope["data"][0]["scope"], "store/cart/converted");
    let by_dest: Value = app
        .get("/v3/hooks?destination=http://127.0.0.1:9/hook")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(by_dest["data"].as_array().expect("data").len(), 1);

    let got = app.get(&format!("/v3/hooks/{id}")).await;
    assert_eq!(got.status(), 200);
    let put = app
        .put(&format!("/v3/hooks/{id}"), json!({"is_active": false}))
        .await;
    assert_eq!(put.status(), 200);
    assert_eq!(
        put.json::<Value>().await.expect("json")["data"]["is_active"],
        false
    );
    assert_eq!(app.delete(&format!("/v3/hooks/{id}")).await.status(), 200);
    assert_eq!(app.get(&format!("/v3/hooks/{id}")).await.status(), 404);
}
