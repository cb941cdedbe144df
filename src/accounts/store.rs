//! Persistence of sign-in: customers' carts, and session rotation.

use std::time::Duration;

use sqlx::postgres::types::PgInterval;
use sqlx::PgPool;
use uuid::Uuid;

use crate::configuration::SessionSettings;
use crate::domain::{CartId, CustomerId};
use crate::session::TokenHash;

fn interval(duration: Duration) -> PgInterval {
    PgInterval {
        months: 0,
        days: 0,
        microseconds: i64::try_from(duration.as_micros()).unwrap_or(i64::MAX),
    }
}

/// The cart the service remembers for `customer`.
pub async fn customer_cart(
    pool: &PgPool,
    customer: CustomerId,
) -> Result<Option<CartId>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT cart_id FROM customer_carts WHERE customer_id = $1",
        customer.get()
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|row| CartId::new(row.cart_id)))
}

/// Replaces the session with a signed-in one under a new token: the old token is dead at once
/// (it no longer names any row). Returns the new session's id.
#[tracing::instrument(name = "Rotate session", skip_all, fields(session.id = %old_session))]
pub async fn rotate_into_signed_in_session(
    pool: &PgPool,
    old_session: Uuid,
    new_token: &TokenHash,
    customer: CustomerId,
    email: &str,
    cart: Option<CartId>,
    lifetimes: &SessionSettings,
) -> Result<Uuid, sqlx::Error> {
    let new_id = Uuid::new_v4();
    let mut transaction = pool.begin().await?;
    let pending = sqlx::query!(
        "DELETE FROM sessions WHERE id = $1 RETURNING channel_id, pending_recovery_token",
        old_session
    )
    .fetch_optional(&mut *transaction)
    .await?;
    let (channel_id, pending_recovery) = pending
        .map(|row| (row.channel_id, row.pending_recovery_token))
        .unwrap_or((1, None));
    sqlx::query!(
        r#"
        INSERT INTO sessions (id, token_hash, cart_id, customer_id, customer_email, channel_id,
                              pending_recovery_token, idle_expires_at, absolute_expires_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, now() + $8::interval, now() + $9::interval)
        "#,
        new_id,
        &new_token.0[..],
        cart.map(|cart| cart.as_uuid()),
        customer.get(),
        email,
        channel_id,
        pending_recovery,
        interval(lifetimes.idle_timeout()),
        interval(lifetimes.absolute_timeout()),
    )
    .execute(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(new_id)
}

/// Remembers an abandoned-cart link to finish once the shopper has signed in.
pub async fn set_pending_recovery(
    pool: &PgPool,
    session: Uuid,
    token: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE sessions SET pending_recovery_token = $2 WHERE id = $1",
        session,
        token
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Takes the session's pending abandoned-cart link, if any.
pub async fn take_pending_recovery(
    pool: &PgPool,
    session: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        UPDATE sessions AS s SET pending_recovery_token = NULL
        FROM (SELECT id, pending_recovery_token FROM sessions
              WHERE id = $1 AND pending_recovery_token IS NOT NULL FOR UPDATE) AS old
        WHERE s.id = old.id
        RETURNING old.pending_recovery_token AS "token!""#,
        session
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|row| row.token))
}
