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
/// (it no longer names any row). Returns the new session's id. (Lines a merge left behind are
/// the customer's, not the session's: see `cart::left_behind`.)
#[tracing::instrument(name = "Rotate session", skip_all, fields(session.id = %old_session))]
pub async fn rotate_into_signed_in_session(
    pool: &PgPool,
    old_session: Uuid,
    new_token: &TokenHash,
    signed_in: SignedInSession<'_>,
    lifetimes: &SessionSettings,
) -> Result<Uuid, sqlx::Error> {
    let new_id = Uuid::new_v4();
    let customer = signed_in.customer.get();
    let mut transaction = pool.begin().await?;
    let old = sqlx::query_scalar!(
        "SELECT channel_id FROM sessions WHERE id = $1 FOR UPDATE",
        old_session,
    )
    .fetch_optional(&mut *transaction)
    .await?;
    let channel_id = old.unwrap_or(signed_in.default_channel);
    sqlx::query!(
        r#"
        INSERT INTO sessions (id, token_hash, cart_id, customer_id, customer_email, channel_id,
                              idle_expires_at, absolute_expires_at)
        VALUES ($1, $2, $3, $4, $5, $6, now() + $7::interval, now() + $8::interval)
        "#,
        new_id,
        &new_token.0[..],
        signed_in.cart.map(|cart| cart.as_uuid()),
        customer,
        signed_in.email,
        channel_id,
        interval(lifetimes.idle_timeout()),
        interval(lifetimes.absolute_timeout()),
    )
    .execute(&mut *transaction)
    .await?;
    // A retry sent with the new cookie of a change sent just before signing in (its answer
    // lost) still finds its Idempotency-Key, and is not applied again. Only a guest's keys or
    // the same customer's come over: another customer's stored answers (their cart, their
    // lines left behind) are never replayed to this one.
    sqlx::query!(
        r#"
        UPDATE idempotency_keys SET session_id = $2
        WHERE session_id = $1
          AND EXISTS (SELECT 1 FROM sessions
                      WHERE id = $1 AND (customer_id IS NULL OR customer_id = $3))
        "#,
        old_session,
        new_id,
        customer,
    )
    .execute(&mut *transaction)
    .await?;
    sqlx::query!("DELETE FROM sessions WHERE id = $1", old_session)
        .execute(&mut *transaction)
        .await?;
    transaction.commit().await?;
    Ok(new_id)
}

/// Who the new session is signed in as, and which carts it holds.
pub struct SignedInSession<'a> {
    pub customer: CustomerId,
    /// Never logged.
    pub email: &'a str,
    pub cart: Option<CartId>,
    /// The channel when the old session is gone (another sign-in of it finished first).
    pub default_channel: i64,
}

/// Where a session stands on signing in.
pub enum SignInClaim {
    /// This request holds the lease: apply the cart rule, then rotate.
    Claimed,
    /// Another sign-in of this session is under way.
    Busy,
    /// The session is gone: another sign-in of it finished (and rotated it) meanwhile.
    Gone,
}

/// Tries to take the lease on signing the session in.
pub async fn claim_sign_in(
    pool: &PgPool,
    session: Uuid,
    lease: Duration,
) -> Result<SignInClaim, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        WITH claimed AS (
            UPDATE sessions SET sign_in_claim_expires_at = now() + $2::interval
            WHERE id = $1
              AND (sign_in_claim_expires_at IS NULL OR sign_in_claim_expires_at < now())
            RETURNING id
        )
        SELECT
            EXISTS (SELECT 1 FROM claimed) AS "claimed!",
            EXISTS (SELECT 1 FROM sessions WHERE id = $1) AS "exists!"
        "#,
        session,
        interval(lease),
    )
    .fetch_one(pool)
    .await?;
    Ok(match (row.claimed, row.exists) {
        (true, _) => SignInClaim::Claimed,
        (false, true) => SignInClaim::Busy,
        (false, false) => SignInClaim::Gone,
    })
}

/// Keeps the lease of a sign-in still at work (a slow merge), so no other sign-in of the
/// session takes over while it runs.
pub async fn renew_sign_in_claim(
    pool: &PgPool,
    session: Uuid,
    lease: Duration,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"
        UPDATE sessions SET sign_in_claim_expires_at = now() + $2::interval
        WHERE id = $1 AND sign_in_claim_expires_at IS NOT NULL
        "#,
        session,
        interval(lease),
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Gives the lease up after a sign-in that did not rotate the session (wrong password, an
/// outage), so the next attempt need not wait.
pub async fn release_sign_in_claim(pool: &PgPool, session: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE sessions SET sign_in_claim_expires_at = NULL WHERE id = $1",
        session
    )
    .execute(pool)
    .await?;
    Ok(())
}
