//! A customer's privacy requests (`checkout-bff privacy export|erase`) and the audit trail.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::Value;
use uuid::Uuid;

use crate::accounts::{add_with, cookie, login_with, JANE, JOHN};
use crate::helpers::{captured_logs, client, run_binary, spawn_app, TestApp};

/// A browser that added to its cart and signed in as `customer`: a session, a remembered cart
/// and a snapshot of the customer's. Returns the session cookie's value.
async fn signed_in_with_a_cart(
    app: &TestApp,
    customer: (&str, &str),
    product: i64,
) -> (reqwest::Client, String) {
    let browser = client();
    add_with(app, &browser, product, None, 1).await;
    let response = login_with(app, &browser, customer).await;
    assert_eq!(response.status().as_u16(), 200);
    let token = cookie(&response, &app.settings.session.cookie_name).expect("a session cookie");
    (browser, token)
}

async fn ids(app: &TestApp, query: &str, customer: i64) -> BTreeSet<Uuid> {
    sqlx::query_scalar(query)
        .bind(customer)
        .fetch_all(&app.db_pool)
        .await
        .expect("query")
        .into_iter()
        .collect()
}

async fn session_ids(app: &TestApp, customer: i64) -> BTreeSet<Uuid> {
    ids(
        app,
        "SELECT id FROM sessions WHERE customer_id = $1",
        customer,
    )
    .await
}

async fn remembered_carts(app: &TestApp, customer: i64) -> BTreeSet<Uuid> {
    ids(
        app,
        "SELECT cart_id FROM customer_carts WHERE customer_id = $1",
        customer,
    )
    .await
}

async fn snapshots(app: &TestApp, customer: i64) -> BTreeSet<Uuid> {
    ids(
        app,
        "SELECT cart_id FROM cart_snapshots WHERE customer_id = $1",
        customer,
    )
    .await
}

fn uuids(rows: &Value, field: &str) -> BTreeSet<Uuid> {
    rows.as_array()
        .expect("an array")
        .iter()
        .map(|row| row[field].as_str().expect(field).parse().expect("a uuid"))
        .collect()
}

#[tokio::test]
async fn export_prints_every_row_of_that_customer_and_nothing_of_anyone_else() {
    // Arrange: Jane on two devices, John, and a guest.
    let app = spawn_app().await;
    signed_in_with_a_cart(&app, JANE, 101).await;
    signed_in_with_a_cart(&app, JANE, 102).await;
    signed_in_with_a_cart(&app, JOHN, 103).await;
    add_with(&app, &client(), 104, None, 1).await;
    let janes_sessions = session_ids(&app, 1).await;
    assert_eq!(janes_sessions.len(), 2);

    // Act
    let output = run_binary(&app.settings, &["privacy", "export", "--customer-id", "1"]).await;

    // Assert
    assert!(
        output.status.success(),
        "export failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let export: Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    assert_eq!(export["customer_id"], 1);
    assert_eq!(uuids(&export["sessions"], "id"), janes_sessions);
    assert_eq!(
        uuids(&export["remembered_carts"], "cart_id"),
        remembered_carts(&app, 1).await
    );
    let exported_snapshots = uuids(&export["cart_snapshots"], "cart_id");
    assert_eq!(exported_snapshots, snapshots(&app, 1).await);
    assert!(!exported_snapshots.is_empty());
    for session in export["sessions"].as_array().expect("sessions") {
        assert_eq!(
            session["customer_email"], JANE.0,
            "the customer's own address"
        );
        assert!(
            session.get("token_hash").is_none(),
            "a credential's digest was exported"
        );
    }
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        !text.contains(JOHN.0),
        "another customer's data was exported"
    );
    for cart in remembered_carts(&app, 2).await {
        assert!(
            !text.contains(&cart.to_string()),
            "John's cart was exported"
        );
    }
}

#[tokio::test]
async fn erase_removes_that_customers_rows_and_leaves_everyone_elses() {
    // Arrange
    let app = spawn_app().await;
    let (_, janes_token) = signed_in_with_a_cart(&app, JANE, 101).await;
    signed_in_with_a_cart(&app, JOHN, 103).await;
    let guest = client();
    add_with(&app, &guest, 104, None, 1).await;
    let janes_cart = remembered_carts(&app, 1).await;
    let johns = (
        session_ids(&app, 2).await,
        remembered_carts(&app, 2).await,
        snapshots(&app, 2).await,
    );
    let guests: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions WHERE customer_id IS NULL")
        .fetch_one(&app.db_pool)
        .await
        .expect("count guests");

    // Act
    let output = run_binary(&app.settings, &["privacy", "erase", "--customer-id", "1"]).await;

    // Assert
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "erase failed: {stderr}");
    assert!(
        String::from_utf8_lossy(&output.stdout)
            .contains("customer 1 erased: sessions 1, remembered carts 1, cart snapshots 1"),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(
        stderr.contains(r#""event":"admin_action""#) && stderr.contains("privacy_erase"),
        "the erasure is not in the audit trail: {stderr}"
    );
    assert!(session_ids(&app, 1).await.is_empty());
    assert!(remembered_carts(&app, 1).await.is_empty());
    assert!(snapshots(&app, 1).await.is_empty());
    for cart in &janes_cart {
        let left: i64 =
            sqlx::query_scalar("SELECT count(*) FROM cart_snapshots WHERE cart_id = $1")
                .bind(cart)
                .fetch_one(&app.db_pool)
                .await
                .expect("count");
        assert_eq!(left, 0, "a snapshot of Jane's cart is left");
    }
    assert_eq!(
        (
            session_ids(&app, 2).await,
            remembered_carts(&app, 2).await,
            snapshots(&app, 2).await,
        ),
        johns,
        "another customer's rows changed"
    );
    let guests_after: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sessions WHERE customer_id IS NULL")
            .fetch_one(&app.db_pool)
            .await
            .expect("count guests");
    assert_eq!(guests_after, guests);

    // The running instance stops honouring the erased session (it heard of the deletion).
    let name = &app.settings.session.cookie_name;
    let started = Instant::now();
    loop {
        let response = reqwest::Client::new()
            .get(app.url("/api/session"))
            .header("cookie", format!("{name}={janes_token}"))
            .send()
            .await
            .expect("request");
        let body: Value = response.json().await.expect("json");
        if body["customer"].is_null() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "the erased session is still signed in"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn privacy_commands_refuse_what_is_not_a_customer_id() {
    let app = spawn_app().await;
    for id in ["0", "-1", "jane@example.com"] {
        let output = run_binary(&app.settings, &["privacy", "erase", "--customer-id", id]).await;
        assert_eq!(output.status.code(), Some(2), "--customer-id {id}");
    }
}

/// The audit events logged so far, as JSON objects.
fn audit_events() -> Vec<Value> {
    captured_logs()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["target"] == "audit")
        .collect()
}

#[tokio::test]
async fn sign_ins_are_audited_by_customer_id_never_by_e_mail() {
    // Arrange
    let app = spawn_app().await;
    let unknown = format!("audit-{}@example.com", Uuid::new_v4().simple());

    // Act
    signed_in_with_a_cart(&app, JANE, 101).await;
    let refused = login_with(&app, &client(), (&unknown, "Wrong-Pa55word")).await;
    assert_eq!(refused.status().as_u16(), 401);

    // Assert
    let session = *session_ids(&app, 1).await.first().expect("Jane's session");
    let cart = *remembered_carts(&app, 1)
        .await
        .first()
        .expect("Jane's cart");
    let events = audit_events();
    let of_this_session: Vec<&Value> = events
        .iter()
        .filter(|event| event["fields"]["session.id"] == session.to_string())
        .collect();
    let names: BTreeSet<&str> = of_this_session
        .iter()
        .filter_map(|event| event["fields"]["event"].as_str())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from(["sign_in", "session_rotated"]),
        "{of_this_session:?}"
    );
    let sign_in = of_this_session
        .iter()
        .find(|event| event["fields"]["event"] == "sign_in")
        .expect("sign_in");
    assert_eq!(sign_in["fields"]["customer.id"], 1);
    assert!(
        events
            .iter()
            .any(|event| event["fields"]["event"] == "cart_assigned"
                && event["fields"]["cart.id"] == cart.to_string()),
        "the cart rule's outcome is not audited"
    );
    assert!(events
        .iter()
        .any(|event| event["fields"]["event"] == "sign_in_failed"
            && event["fields"]["reason"] == "invalid_credentials"));
    let logs = captured_logs();
    for secret in [JANE.0, JANE.1, unknown.as_str(), "Wrong-Pa55word"] {
        assert!(!logs.contains(secret), "`{secret}` was logged");
    }
}

/// `customer`'s saved cart holds the two prints an order may; a guest with one more signs in
/// as them, so the print is left behind for them.
async fn a_print_left_behind_for(app: &TestApp, customer: (&str, &str)) {
    let laptop = client();
    assert_eq!(
        login_with(app, &laptop, customer).await.status().as_u16(),
        200
    );
    add_with(app, &laptop, 140, None, 2).await;
    let phone = client();
    add_with(app, &phone, 140, None, 1).await;
    assert_eq!(
        login_with(app, &phone, customer).await.status().as_u16(),
        200
    );
}

async fn lines_left_behind(app: &TestApp, customer: i64) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM left_behind_lines WHERE customer_id = $1")
        .bind(customer)
        .fetch_one(&app.db_pool)
        .await
        .expect("count")
}

#[tokio::test]
async fn lines_left_behind_are_exported_and_erased_with_their_customer_only() {
    // Arrange: a print left behind for Jane, and one for John.
    let app = spawn_app().await;
    a_print_left_behind_for(&app, JANE).await;
    a_print_left_behind_for(&app, JOHN).await;
    assert_eq!(lines_left_behind(&app, 1).await, 1);
    assert_eq!(lines_left_behind(&app, 2).await, 1);

    // Act + Assert: the export lists Jane's line, with its reason, and not John's.
    let output = run_binary(&app.settings, &["privacy", "export", "--customer-id", "1"]).await;
    assert!(
        output.status.success(),
        "export failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let export: Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    let lines = export["lines_left_behind"]
        .as_array()
        .expect("lines_left_behind");
    assert_eq!(lines.len(), 1, "{export}");
    assert_eq!(lines[0]["line"]["product_id"], 140);
    assert_eq!(lines[0]["item"]["product_id"], 140);
    assert!(lines[0]["reason"]
        .as_str()
        .is_some_and(|reason| reason.contains("maximum")));
    let johns: Uuid = sqlx::query_scalar("SELECT id FROM left_behind_lines WHERE customer_id = 2")
        .fetch_one(&app.db_pool)
        .await
        .expect("John's line");
    assert!(!String::from_utf8_lossy(&output.stdout).contains(&johns.to_string()));

    // The erasure takes Jane's line and leaves John's.
    let output = run_binary(&app.settings, &["privacy", "erase", "--customer-id", "1"]).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "erase failed: {stdout}");
    assert!(stdout.contains("lines left behind 1"), "{stdout}");
    assert_eq!(lines_left_behind(&app, 1).await, 0);
    assert_eq!(lines_left_behind(&app, 2).await, 1);
}
