//! A customer's privacy requests: export (what this service keeps of a customer, as JSON) and
//! erase (delete it). What the service keeps of a customer is their sessions, their remembered
//! cart (`customer_carts`), the snapshots of their carts and the lines a sign-in left behind
//! for them (`left_behind_lines`); the idempotency records of their sessions go with the
//! sessions. Their account and carts on BigCommerce are the merchant's to
//! export or erase there.
//!
//! A customer's carts are those of their sessions and their remembered cart, plus any snapshot
//! recorded with their customer id.

use serde::Serialize;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::CustomerId;

/// Everything this service keeps of one customer.
#[derive(Debug, Serialize)]
pub struct CustomerExport {
    pub customer_id: i64,
    pub sessions: Vec<ExportedSession>,
    pub remembered_carts: Vec<ExportedRememberedCart>,
    pub cart_snapshots: Vec<ExportedSnapshot>,
    pub lines_left_behind: Vec<ExportedLineLeftBehind>,
}

/// A session, without its token hash (a credential's digest, not the customer's data).
#[derive(Debug, Serialize)]
pub struct ExportedSession {
    pub id: Uuid,
    pub cart_id: Option<Uuid>,
    pub channel_id: i64,
    pub customer_email: Option<String>,
    pub flash: Option<serde_json::Value>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// The cart a customer picks up when they sign in on another device.
#[derive(Debug, Serialize)]
pub struct ExportedRememberedCart {
    pub cart_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// The last copy of a cart BigCommerce returned.
#[derive(Debug, Serialize)]
pub struct ExportedSnapshot {
    pub cart_id: Uuid,
    pub customer_id: i64,
    pub body: serde_json::Value,
    #[serde(with = "time::serde::rfc3339")]
    pub fetched_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A line a sign-in could not merge, kept for the customer.
#[derive(Debug, Serialize)]
pub struct ExportedLineLeftBehind {
    pub id: Uuid,
    pub channel_id: i64,
    /// The line as the guest cart showed it.
    pub line: serde_json::Value,
    /// What would add it again (`null`: it cannot be).
    pub item: Option<serde_json::Value>,
    pub reason: String,
    pub outcome_unknown: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// How many rows an erasure deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Erased {
    pub sessions: u64,
    pub remembered_carts: u64,
    pub cart_snapshots: u64,
    pub lines_left_behind: u64,
}

/// What this service keeps of `customer`, read in one consistent snapshot of the database.
pub async fn export_customer(
    pool: &PgPool,
    customer: CustomerId,
) -> Result<CustomerExport, sqlx::Error> {
    let customer_id = customer.get();
    let mut transaction = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *transaction)
        .await?;
    let sessions = sqlx::query_as!(
        ExportedSession,
        r#"
        SELECT id, cart_id, channel_id, customer_email, flash, created_at, last_seen_at,
               expires_at AS "expires_at!"
        FROM sessions
        WHERE customer_id = $1
        ORDER BY created_at, id
        "#,
        customer_id
    )
    .fetch_all(&mut *transaction)
    .await?;
    let remembered_carts = sqlx::query_as!(
        ExportedRememberedCart,
        r#"
        SELECT cart_id, created_at, updated_at
        FROM customer_carts
        WHERE customer_id = $1
        "#,
        customer_id
    )
    .fetch_all(&mut *transaction)
    .await?;
    let carts = customer_carts(&mut transaction, customer).await?;
    let cart_snapshots = sqlx::query_as!(
        ExportedSnapshot,
        r#"
        SELECT cart_id, customer_id, body, fetched_at, updated_at
        FROM cart_snapshots
        WHERE customer_id = $1 OR cart_id = ANY($2)
        ORDER BY cart_id
        "#,
        customer_id,
        &carts
    )
    .fetch_all(&mut *transaction)
    .await?;
    let lines_left_behind = sqlx::query_as!(
        ExportedLineLeftBehind,
        r#"
        SELECT id, channel_id, line, item, reason, outcome_unknown, created_at, expires_at
        FROM left_behind_lines
        WHERE customer_id = $1
        ORDER BY created_at, position, id
        "#,
        customer_id
    )
    .fetch_all(&mut *transaction)
    .await?;
    transaction.commit().await?;
    tracing::info!(target: "audit", event = "admin_action", action = "privacy_export", customer.id = customer_id, sessions = sessions.len(), remembered_carts = remembered_carts.len(), cart_snapshots = cart_snapshots.len(), lines_left_behind = lines_left_behind.len());
    Ok(CustomerExport {
        customer_id,
        sessions,
        remembered_carts,
        cart_snapshots,
        lines_left_behind,
    })
}

/// Deletes what this service keeps of `customer`, in one transaction. Every instance's cache
/// hears of the deleted sessions and snapshots through the database's notifications.
pub async fn erase_customer(pool: &PgPool, customer: CustomerId) -> Result<Erased, sqlx::Error> {
    let customer_id = customer.get();
    let mut transaction = pool.begin().await?;
    let carts = customer_carts(&mut transaction, customer).await?;
    let cart_snapshots = sqlx::query!(
        "DELETE FROM cart_snapshots WHERE customer_id = $1 OR cart_id = ANY($2)",
        customer_id,
        &carts
    )
    .execute(&mut *transaction)
    .await?
    .rows_affected();
    let remembered_carts = sqlx::query!(
        "DELETE FROM customer_carts WHERE customer_id = $1",
        customer_id
    )
    .execute(&mut *transaction)
    .await?
    .rows_affected();
    let sessions = sqlx::query!("DELETE FROM sessions WHERE customer_id = $1", customer_id)
        .execute(&mut *transaction)
        .await?
        .rows_affected();
    let lines_left_behind = sqlx::query!(
        "DELETE FROM left_behind_lines WHERE customer_id = $1",
        customer_id
    )
    .execute(&mut *transaction)
    .await?
    .rows_affected();
    transaction.commit().await?;
    tracing::info!(target: "audit", event = "admin_action", action = "privacy_erase", customer.id = customer_id, sessions, remembered_carts, cart_snapshots, lines_left_behind);
    Ok(Erased {
        sessions,
        remembered_carts,
        cart_snapshots,
        lines_left_behind,
    })
}

/// The carts of `customer`'s sessions and their remembered cart.
async fn customer_carts(
    transaction: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    customer: CustomerId,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"
        SELECT cart_id AS "cart_id!" FROM sessions WHERE customer_id = $1 AND cart_id IS NOT NULL
        UNION
        SELECT cart_id FROM customer_carts WHERE customer_id = $1
        "#,
        customer.get()
    )
    .fetch_all(&mut **transaction)
    .await
}
