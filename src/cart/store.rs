//! Persistence of the session → cart mapping and of cart snapshots. Each function is one
//! short statement: nothing here is ever held open across a BigCommerce call.

use std::time::Duration;

use sqlx::postgres::types::PgInterval;
use sqlx::types::Json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::bigcommerce::StoreCart;
use crate::domain::CartId;

fn interval(duration: Duration) -> PgInterval {
    PgInterval {
        months: 0,
        days: 0,
        microseconds: i64::try_from(duration.as_micros()).unwrap_or(i64::MAX),
    }
}

/// Saves what BigCommerce just returned, unless a newer version is already stored.
#[tracing::instrument(name = "Save cart snapshot", skip_all, fields(cart.id = %cart.id))]
pub async fn save_snapshot(pool: &PgPool, cart: &StoreCart) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"
        INSERT INTO cart_snapshots (cart_id, customer_id, version, body, fetched_at, stale)
        VALUES ($1, $2, $3, $4, now(), false)
        ON CONFLICT (cart_id) DO UPDATE
        SET customer_id = EXCLUDED.customer_id,
            version = EXCLUDED.version,
            body = EXCLUDED.body,
            fetched_at = now(),
            stale = false
        WHERE cart_snapshots.version <= EXCLUDED.version
        "#,
        cart.id.as_uuid(),
        cart.customer_id,
        cart.version,
        Json(&cart.cart) as _,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The cart may change where we cannot see it: the next read asks BigCommerce.
#[tracing::instrument(name = "Mark cart snapshot stale", skip_all, fields(cart.id = %cart))]
pub async fn mark_snapshot_stale(pool: &PgPool, cart: CartId) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE cart_snapshots SET stale = true WHERE cart_id = $1",
        cart.as_uuid()
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The cart is gone from BigCommerce: no session or customer holds it any more, and its
/// snapshot goes.
#[tracing::instrument(name = "Forget cart", skip_all, fields(cart.id = %cart))]
pub async fn forget_cart(pool: &PgPool, cart: CartId) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"
        WITH unmapped AS (
            UPDATE sessions SET cart_id = NULL WHERE cart_id = $1
        ), unremembered AS (
            DELETE FROM customer_carts WHERE cart_id = $1
        )
        DELETE FROM cart_snapshots WHERE cart_id = $1
        "#,
        cart.as_uuid()
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Where a session stands on getting its first cart.
pub enum CartClaim {
    /// This request holds the lease: create the cart, then `bind_new_cart`.
    Claimed,
    /// The session already has a cart.
    Existing(CartId),
    /// Another request is creating the cart right now.
    InProgress,
}

/// Tries to take the lease on creating the session's first cart.
#[tracing::instrument(name = "Claim cart creation", skip_all, fields(session.id = %session))]
pub async fn claim_cart_creation(
    pool: &PgPool,
    session: Uuid,
    lease: Duration,
) -> Result<CartClaim, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        WITH claimed AS (
            UPDATE sessions
            SET cart_claim_expires_at = now() + $2::interval
            WHERE id = $1
              AND cart_id IS NULL
              AND (cart_claim_expires_at IS NULL OR cart_claim_expires_at < now())
            RETURNING id
        )
        SELECT
            EXISTS (SELECT 1 FROM claimed) AS "claimed!",
            (SELECT cart_id FROM sessions WHERE id = $1) AS "cart_id?"
        "#,
        session,
        interval(lease),
    )
    .fetch_one(pool)
    .await?;
    Ok(match (row.claimed, row.cart_id) {
        (true, _) => CartClaim::Claimed,
        (false, Some(cart)) => CartClaim::Existing(CartId::new(cart)),
        (false, None) => CartClaim::InProgress,
    })
}

/// Gives the session the cart its creator just made. If another cart got there first (only
/// possible when a lease ran out), returns that winner instead.
#[tracing::instrument(name = "Bind new cart", skip_all, fields(session.id = %session, cart.id = %cart))]
pub async fn bind_new_cart(
    pool: &PgPool,
    session: Uuid,
    cart: CartId,
) -> Result<Option<CartId>, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        WITH bound AS (
            UPDATE sessions
            SET cart_id = $2, cart_claim_expires_at = NULL
            WHERE id = $1 AND cart_id IS NULL
            RETURNING cart_id
        )
        SELECT
            (SELECT cart_id FROM bound) AS "bound?",
            (SELECT cart_id FROM sessions WHERE id = $1) AS "current?"
        "#,
        session,
        cart.as_uuid(),
    )
    .fetch_one(pool)
    .await?;
    Ok(match (row.bound, row.current) {
        (Some(_), _) => None,
        (None, Some(winner)) => Some(CartId::new(winner)),
        // The session itself is gone; nothing to hand the cart to.
        (None, None) => None,
    })
}

/// Gives up the creation lease after a failed create, so a waiting request can try.
pub async fn release_cart_claim(pool: &PgPool, session: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE sessions SET cart_claim_expires_at = NULL WHERE id = $1 AND cart_id IS NULL",
        session
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Points the session at `cart`, replacing whatever it held.
#[tracing::instrument(name = "Bind cart", skip_all, fields(session.id = %session, cart.id = %cart))]
pub async fn bind_cart(pool: &PgPool, session: Uuid, cart: CartId) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE sessions SET cart_id = $2, cart_claim_expires_at = NULL WHERE id = $1",
        session,
        cart.as_uuid()
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Remembers `cart` as `customer`'s cart, gives it to the customer's other signed-in
/// sessions that have none (so every device sees the same cart), and takes it from every
/// session that is not the customer's: a guest cart shared through a recovery link or held by
/// another browser is the customer's alone from now on.
#[tracing::instrument(name = "Remember customer cart", skip_all, fields(cart.id = %cart))]
pub async fn remember_customer_cart(
    pool: &PgPool,
    customer: i64,
    cart: CartId,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"
        WITH remembered AS (
            INSERT INTO customer_carts (customer_id, cart_id) VALUES ($1, $2)
            ON CONFLICT (customer_id) DO UPDATE SET cart_id = EXCLUDED.cart_id
        ), detached AS (
            UPDATE sessions SET cart_id = NULL
            WHERE cart_id = $2 AND customer_id IS DISTINCT FROM $1
        )
        UPDATE sessions SET cart_id = $2
        WHERE customer_id = $1 AND cart_id IS NULL AND expires_at > now()
        "#,
        customer,
        cart.as_uuid()
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Takes `cart` from the session, if the session still holds it.
#[tracing::instrument(name = "Unbind cart", skip_all, fields(session.id = %session, cart.id = %cart))]
pub async fn unbind_cart(pool: &PgPool, session: Uuid, cart: CartId) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE sessions SET cart_id = NULL WHERE id = $1 AND cart_id = $2",
        session,
        cart.as_uuid()
    )
    .execute(pool)
    .await?;
    Ok(())
}
