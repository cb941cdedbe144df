//! The merge journal: a guest cart merged into a customer's cart at sign-in, recorded before
//! the first line is added. Each function is one short statement.

use sqlx::types::Json;
use sqlx::PgPool;

use crate::domain::{Cart, CartId};

/// A merge recorded earlier.
pub(in crate::cart) struct Merged {
    pub customer: i64,
    pub customer_cart: CartId,
    pub before: Cart,
    pub rows_written: bool,
}

/// Records that `guest` is being merged into `customer_cart` (as it was: `before`). Returns
/// the merge recorded earlier instead, when there is one (nothing is then written).
pub(in crate::cart) async fn begin(
    pool: &PgPool,
    guest: CartId,
    customer: i64,
    channel: i64,
    customer_cart: CartId,
    before: &Cart,
) -> Result<Option<Merged>, sqlx::Error> {
    let inserted = sqlx::query_scalar!(
        r#"
        INSERT INTO merged_guest_carts (guest_cart_id, customer_id, channel_id, customer_cart_id,
                                        customer_cart_before)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (guest_cart_id) DO NOTHING
        RETURNING guest_cart_id
        "#,
        guest.as_uuid(),
        customer,
        channel,
        customer_cart.as_uuid(),
        Json(before) as _,
    )
    .fetch_optional(pool)
    .await?;
    if inserted.is_some() {
        return Ok(None);
    }
    find(pool, guest).await
}

/// The merge recorded for `guest`, if any (and not expired).
pub(in crate::cart) async fn find(
    pool: &PgPool,
    guest: CartId,
) -> Result<Option<Merged>, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        SELECT customer_id, customer_cart_id, customer_cart_before AS "before: Json<Cart>",
               rows_written
        FROM merged_guest_carts
        WHERE guest_cart_id = $1 AND expires_at > now()
        "#,
        guest.as_uuid(),
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|row| Merged {
        customer: row.customer_id,
        customer_cart: CartId::new(row.customer_cart_id),
        before: row.before.0,
        rows_written: row.rows_written,
    }))
}

/// A merge that certainly moved nothing is forgotten: the guest cart may be merged again.
pub(in crate::cart) async fn forget(pool: &PgPool, guest: CartId) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM merged_guest_carts WHERE guest_cart_id = $1 AND NOT rows_written",
        guest.as_uuid()
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The lines the merge left behind are written.
pub(in crate::cart) async fn rows_written(pool: &PgPool, guest: CartId) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE merged_guest_carts SET rows_written = true WHERE guest_cart_id = $1",
        guest.as_uuid()
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// BigCommerce deleted the merged guest cart.
pub(in crate::cart) async fn deleted(pool: &PgPool, guest: CartId) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE merged_guest_carts SET deleted = true WHERE guest_cart_id = $1",
        guest.as_uuid()
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Whether `cart` is a guest cart already merged into a customer's (its lines moved or kept
/// for the customer): it is never merged again.
pub(in crate::cart) async fn was_merged(pool: &PgPool, cart: CartId) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"
        SELECT EXISTS (SELECT 1 FROM merged_guest_carts
                       WHERE guest_cart_id = $1 AND expires_at > now()) AS "merged!"
        "#,
        cart.as_uuid(),
    )
    .fetch_one(pool)
    .await
}
