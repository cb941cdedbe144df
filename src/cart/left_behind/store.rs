//! Persistence of lines left behind: which lines of a left-behind cart did not move, and why.
//! Each function is one short statement or transaction: nothing here is ever held open across
//! a BigCommerce call.

use std::time::Duration;

use sqlx::postgres::types::PgInterval;
use sqlx::types::Json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::{Cart, CartId};

fn interval(duration: Duration) -> PgInterval {
    PgInterval {
        months: 0,
        days: 0,
        microseconds: i64::try_from(duration.as_micros()).unwrap_or(i64::MAX),
    }
}

/// A line that stays left behind, and why.
pub struct Kept<'a> {
    pub line_id: &'a str,
    pub reason: &'a str,
}

/// Records that `lines` of `cart` stay left behind (replacing what was recorded for it), and
/// takes `cart` from every session but `signing_in` (whose row the sign-in replaces): the
/// lines are the signing-in shopper's alone from now on.
#[tracing::instrument(name = "Record lines left behind", skip_all, fields(cart.id = %cart))]
pub async fn record_left_behind(
    pool: &PgPool,
    cart: CartId,
    signing_in: Option<Uuid>,
    lines: &[Kept<'_>],
) -> Result<(), sqlx::Error> {
    let line_ids: Vec<String> = lines.iter().map(|line| line.line_id.to_owned()).collect();
    let reasons: Vec<String> = lines.iter().map(|line| line.reason.to_owned()).collect();
    let mut transaction = pool.begin().await?;
    sqlx::query!(
        "DELETE FROM left_behind_lines WHERE cart_id = $1",
        cart.as_uuid()
    )
    .execute(&mut *transaction)
    .await?;
    sqlx::query!(
        r#"
        INSERT INTO left_behind_lines (cart_id, line_id, reason)
        SELECT $1, line_id, reason FROM UNNEST($2::text[], $3::text[]) AS t (line_id, reason)
        ON CONFLICT (cart_id, line_id) DO UPDATE SET reason = EXCLUDED.reason
        "#,
        cart.as_uuid(),
        &line_ids,
        &reasons,
    )
    .execute(&mut *transaction)
    .await?;
    sqlx::query!(
        "UPDATE sessions SET cart_id = NULL WHERE cart_id = $1 AND id IS DISTINCT FROM $2",
        cart.as_uuid(),
        signing_in,
    )
    .execute(&mut *transaction)
    .await?;
    transaction.commit().await
}

/// What is recorded as left behind in `cart`: the cart's snapshot and, per line id, why.
pub struct Recorded {
    pub cart: Cart,
    pub reasons: Vec<(String, String)>,
}

/// The lines left behind in `cart`, with the cart's stored snapshot; `None` when none are.
#[tracing::instrument(name = "Load lines left behind", skip_all, fields(cart.id = %cart))]
pub async fn load_left_behind(
    pool: &PgPool,
    cart: CartId,
) -> Result<Option<Recorded>, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        SELECT c.body AS "body!: Json<Cart>",
               array_agg(l.line_id ORDER BY l.created_at, l.line_id) AS "line_ids!",
               array_agg(l.reason ORDER BY l.created_at, l.line_id) AS "reasons!"
        FROM left_behind_lines l
        JOIN cart_snapshots c ON c.cart_id = l.cart_id
        WHERE l.cart_id = $1
        GROUP BY c.cart_id
        "#,
        cart.as_uuid(),
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|row| Recorded {
        cart: row.body.0,
        reasons: row.line_ids.into_iter().zip(row.reasons).collect(),
    }))
}

/// Takes the lease on moving the lines left behind in `cart` that no other move holds, and
/// returns their ids.
#[tracing::instrument(name = "Claim lines left behind", skip_all, fields(cart.id = %cart))]
pub async fn claim_left_behind(
    pool: &PgPool,
    cart: CartId,
    lease: Duration,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"
        UPDATE left_behind_lines SET moving_until = now() + $2::interval
        WHERE cart_id = $1 AND (moving_until IS NULL OR moving_until < now())
        RETURNING line_id
        "#,
        cart.as_uuid(),
        interval(lease),
    )
    .fetch_all(pool)
    .await
}

/// Gives the lease on `claimed` up after a move that changed nothing.
pub async fn release_left_behind(
    pool: &PgPool,
    cart: CartId,
    claimed: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"
        UPDATE left_behind_lines SET moving_until = NULL
        WHERE cart_id = $1 AND line_id = ANY($2)
        "#,
        cart.as_uuid(),
        claimed,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// After a move of `claimed`: the lines in `kept` stay left behind (with the reason of this
/// attempt, the lease given up), every other claimed line goes (it moved, or may have). Returns
/// how many lines are still left behind in `cart`.
#[tracing::instrument(name = "Settle lines left behind", skip_all, fields(cart.id = %cart))]
pub async fn settle_left_behind(
    pool: &PgPool,
    cart: CartId,
    claimed: &[String],
    kept: &[Kept<'_>],
) -> Result<i64, sqlx::Error> {
    let kept_ids: Vec<String> = kept.iter().map(|line| line.line_id.to_owned()).collect();
    let reasons: Vec<String> = kept.iter().map(|line| line.reason.to_owned()).collect();
    let mut transaction = pool.begin().await?;
    sqlx::query!(
        r#"
        DELETE FROM left_behind_lines
        WHERE cart_id = $1 AND line_id = ANY($2) AND NOT line_id = ANY($3)
        "#,
        cart.as_uuid(),
        claimed,
        &kept_ids,
    )
    .execute(&mut *transaction)
    .await?;
    sqlx::query!(
        r#"
        UPDATE left_behind_lines l SET reason = t.reason, moving_until = NULL
        FROM UNNEST($2::text[], $3::text[]) AS t (line_id, reason)
        WHERE l.cart_id = $1 AND l.line_id = t.line_id
        "#,
        cart.as_uuid(),
        &kept_ids,
        &reasons,
    )
    .execute(&mut *transaction)
    .await?;
    let remaining = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM left_behind_lines WHERE cart_id = $1"#,
        cart.as_uuid(),
    )
    .fetch_one(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(remaining)
}
