//! Persistence of the session → cart mapping and of cart snapshots. Each function is one
//! short statement: nothing here is ever held open across a BigCommerce call.

use std::time::Duration;

use sqlx::postgres::types::PgInterval;
use sqlx::types::Json;
use sqlx::PgPool;
use uuid::Uuid;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::bigcommerce::{Echoes, StoreCart};
use crate::domain::{Cart, CartId, SnapshotBody};

fn interval(duration: Duration) -> PgInterval {
    PgInterval {
        months: 0,
        days: 0,
        microseconds: i64::try_from(duration.as_micros()).unwrap_or(i64::MAX),
    }
}

/// How long after one of our own changes a callback may still be its echo. Callbacks arrive
/// within seconds; this bounds how long a change made elsewhere could be taken for one of
/// ours when BigCommerce sent fewer callbacks than expected (README, "Webhooks").
pub const OWN_CHANGE_WINDOW: Duration = Duration::from_secs(10);

/// Saves what BigCommerce just returned, unless a newer version is already stored. An answer
/// to our own change also records that change and the callbacks it will cause. An answer of
/// the Carts API says nothing about the checkout, so the checkout's last word stays in the
/// snapshot (stamped with the cart it was said about: `domain::checkout`). Returns the cart
/// as stored (with what still holds of the checkout), or `None` when a newer one was kept.
///
/// The answer clears a stale mark only if its request was sent after the mark: a change made
/// elsewhere that was reported (and marked) while our request was on its way may be missing
/// from the answer, so the snapshot stays stale and the next read asks BigCommerce. The first
/// snapshot of a cart takes in the callbacks that came before it (`claim_early_reports`).
#[tracing::instrument(name = "Save cart snapshot", skip_all, fields(cart.id = %cart.id))]
pub async fn save_snapshot(pool: &PgPool, cart: &StoreCart) -> Result<Option<Cart>, sqlx::Error> {
    let own_change = cart.echoes != Echoes::default();
    let updated_at = OffsetDateTime::parse(&cart.cart.updated_time, &Rfc3339)
        .ok()
        .map(OffsetDateTime::unix_timestamp);
    let stored = sqlx::query!(
        r#"
        INSERT INTO cart_snapshots (cart_id, customer_id, version, body, fetched_at, stale,
                                    own_change_at, own_updated_echoes, own_line_echoes,
                                    upstream_updated_at)
        VALUES ($1, $2, $3, $4, now(), false, CASE WHEN $5 THEN now() END, $6, $7, $8)
        ON CONFLICT (cart_id) DO UPDATE
        SET customer_id = EXCLUDED.customer_id,
            version = EXCLUDED.version,
            body = CASE
                WHEN EXCLUDED.body ? 'checkout' OR NOT cart_snapshots.body ? 'checkout'
                THEN EXCLUDED.body
                ELSE jsonb_set(EXCLUDED.body, '{checkout}', cart_snapshots.body -> 'checkout')
            END,
            fetched_at = now(),
            -- Kept stale when marked after this answer's request went, or when a callback
            -- taken for our own change reported an event this answer does not show.
            stale = COALESCE(cart_snapshots.stale AND cart_snapshots.stale_since >= $10, false)
                OR COALESCE(cart_snapshots.unseen_event_at > EXCLUDED.upstream_updated_at + 1,
                            false),
            stale_since = CASE
                WHEN COALESCE(cart_snapshots.unseen_event_at > EXCLUDED.upstream_updated_at + 1,
                              false)
                THEN GREATEST(cart_snapshots.stale_since, $11)
                WHEN cart_snapshots.stale AND cart_snapshots.stale_since >= $10
                THEN cart_snapshots.stale_since END,
            unseen_event_at = NULL,
            upstream_updated_at = EXCLUDED.upstream_updated_at,
            own_change_at = COALESCE(EXCLUDED.own_change_at, cart_snapshots.own_change_at),
            -- Echoes still expected from an earlier change of ours add up, unless that change
            -- is too old for them to be echoes any more.
            own_updated_echoes = EXCLUDED.own_updated_echoes + CASE
                WHEN cart_snapshots.own_change_at > now() - $9::interval
                THEN cart_snapshots.own_updated_echoes ELSE 0 END,
            own_line_echoes = EXCLUDED.own_line_echoes + CASE
                WHEN cart_snapshots.own_change_at > now() - $9::interval
                THEN cart_snapshots.own_line_echoes ELSE 0 END
        WHERE cart_snapshots.version <= EXCLUDED.version
        RETURNING body AS "body: Json<Cart>", (xmax = 0) AS "inserted!"
        "#,
        cart.id.as_uuid(),
        cart.customer_id,
        cart.version,
        Json(SnapshotBody::of(&cart.cart)) as _,
        own_change,
        cart.echoes.updated,
        cart.echoes.line_items,
        updated_at,
        interval(OWN_CHANGE_WINDOW),
        cart.requested_at,
        OffsetDateTime::now_utc(),
    )
    .fetch_optional(pool)
    .await?;
    if stored.as_ref().is_some_and(|row| row.inserted) {
        claim_early_reports(pool, cart.id, cart.requested_at).await?;
    }
    Ok(stored.map(|row| row.body.0))
}

/// Takes a lock that orders a callback's look for a cart's snapshot against the first snapshot
/// of that cart taking in what came before it, so no callback falls between the two.
async fn lock_cart_reports(
    transaction: &mut sqlx::PgConnection,
    cart: CartId,
) -> Result<(), sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT true AS "locked!" FROM (SELECT pg_advisory_xact_lock(hashtextextended($1::text, 12))) AS l"#,
        cart.as_uuid().to_string(),
    )
    .fetch_one(transaction)
    .await?;
    Ok(())
}

/// A cart's first snapshot was just stored: the callbacks that came before it (the echo of the
/// cart's creation often overtakes the answer) use up the echoes it expects; any beyond those
/// are changes made elsewhere, and one reported after `requested_at` (the answer may lack it)
/// marks the snapshot stale.
async fn claim_early_reports(
    pool: &PgPool,
    cart: CartId,
    requested_at: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    let mut transaction = pool.begin().await?;
    lock_cart_reports(&mut transaction, cart).await?;
    sqlx::query!(
        r#"
        WITH early AS (
            DELETE FROM early_cart_reports WHERE cart_id = $1
            RETURNING updated_reports, line_reports, other_reports, last_reported_at
        ), judged AS (
            SELECT e.*,
                   e.last_reported_at >= $2
                   AND (e.other_reports > 0 OR e.updated_reports > s.own_updated_echoes
                        OR e.line_reports > s.own_line_echoes) AS elsewhere
            FROM early e, cart_snapshots s
            WHERE s.cart_id = $1
        )
        UPDATE cart_snapshots s
        SET own_updated_echoes = GREATEST(0, s.own_updated_echoes - j.updated_reports),
            own_line_echoes = GREATEST(0, s.own_line_echoes - j.line_reports),
            stale = s.stale OR j.elsewhere,
            stale_since = CASE WHEN j.elsewhere THEN GREATEST(s.stale_since, j.last_reported_at)
                               ELSE s.stale_since END
        FROM judged j
        WHERE s.cart_id = $1
        "#,
        cart.as_uuid(),
        requested_at,
    )
    .execute(&mut *transaction)
    .await?;
    transaction.commit().await
}

/// Before one of our changes to `cart` is sent (`sign` 1), or after it failed (`sign` -1):
/// the callbacks it causes are expected, and the change counts as ours from now. A failed
/// change causes no callback: one already taken for its echo as an event the snapshot did not
/// show (`unseen_event_at`) was a change made elsewhere, so the snapshot is marked stale.
#[tracing::instrument(name = "Expect cart callbacks", skip_all, fields(cart.id = %cart))]
pub async fn expect_echoes(
    pool: &PgPool,
    cart: CartId,
    echoes: Echoes,
    sign: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"
        UPDATE cart_snapshots
        SET own_updated_echoes = GREATEST(0, $2 + CASE
                WHEN own_change_at > now() - $4::interval THEN own_updated_echoes ELSE 0 END),
            own_line_echoes = GREATEST(0, $3 + CASE
                WHEN own_change_at > now() - $4::interval THEN own_line_echoes ELSE 0 END),
            own_change_at = CASE WHEN $5 THEN now() ELSE own_change_at END,
            stale = stale OR (NOT $5 AND unseen_event_at IS NOT NULL),
            stale_since = CASE WHEN NOT $5 AND unseen_event_at IS NOT NULL
                               THEN GREATEST(stale_since, $6) ELSE stale_since END,
            unseen_event_at = CASE WHEN $5 THEN unseen_event_at END
        WHERE cart_id = $1
        "#,
        cart.as_uuid(),
        echoes.updated * sign,
        echoes.line_items * sign,
        interval(OWN_CHANGE_WINDOW),
        sign > 0,
        OffsetDateTime::now_utc(),
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// What a callback says about a cart, as far as telling our own changes from others goes.
#[derive(Debug, Clone, Copy)]
pub struct ReportedChange {
    pub cart: CartId,
    /// Which of our expected echoes it could be: `None` for scopes our changes never cause.
    pub echo: Option<EchoKind>,
    /// The payload's `created_at`, if any (event time or hook creation time: unconfirmed).
    pub created_at: Option<i64>,
}

/// The two kinds of callback our own changes cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EchoKind {
    Updated,
    LineItem,
}

/// A callback reports a change: unless it is the echo of a change we made and already hold,
/// the snapshot is marked stale. Returns `Some(true)` for an echo (nothing marked), `Some(false)`
/// when the snapshot was marked stale, `None` when there is no snapshot.
///
/// It is an echo when all of these hold: the snapshot answers our own change made within
/// `OWN_CHANGE_WINDOW`; that change still expects a callback of this kind; and `created_at`
/// does not prove the event newer than the snapshot (if it is the event's time, a later
/// second than the cart's `updated_time` plus one is a change we do not hold), unless a change
/// of ours is still on its way (sent after the snapshot was saved): the event may be that
/// change, so it is taken for its echo on condition that its answer shows it
/// (`unseen_event_at`; `save_snapshot` marks the snapshot stale otherwise, and so does the
/// change failing). Each echo spends one expected callback, so a change made elsewhere is an
/// extra callback and marks the snapshot stale even when it overtakes our own echo.
#[tracing::instrument(name = "Note reported cart change", skip_all, fields(cart.id = %change.cart))]
pub async fn note_reported_change(
    pool: &PgPool,
    change: ReportedChange,
) -> Result<Option<bool>, sqlx::Error> {
    if let Some(known) = note_on_snapshot(pool, change).await? {
        return Ok(Some(known));
    }
    // No snapshot (yet): the callback may have overtaken the answer that stores the cart's
    // first snapshot. Under the lock, look again, or leave the report for that snapshot.
    let mut transaction = pool.begin().await?;
    lock_cart_reports(&mut transaction, change.cart).await?;
    let known = note_on_snapshot(&mut *transaction, change).await?;
    if known.is_none() {
        let (updated, line) = echo_kinds(change.echo);
        sqlx::query!(
            r#"
            INSERT INTO early_cart_reports AS r (cart_id, updated_reports, line_reports,
                                                 other_reports, last_reported_at)
            VALUES ($1, $2::int, $3::int, $4::int, $5)
            ON CONFLICT (cart_id) DO UPDATE
            SET updated_reports = r.updated_reports + EXCLUDED.updated_reports,
                line_reports = r.line_reports + EXCLUDED.line_reports,
                other_reports = r.other_reports + EXCLUDED.other_reports,
                last_reported_at = GREATEST(r.last_reported_at, EXCLUDED.last_reported_at)
            "#,
            change.cart.as_uuid(),
            i32::from(updated),
            i32::from(line),
            i32::from(!updated && !line),
            OffsetDateTime::now_utc(),
        )
        .execute(&mut *transaction)
        .await?;
    }
    transaction.commit().await?;
    Ok(known)
}

fn echo_kinds(echo: Option<EchoKind>) -> (bool, bool) {
    match echo {
        Some(EchoKind::Updated) => (true, false),
        Some(EchoKind::LineItem) => (false, true),
        None => (false, false),
    }
}

/// `note_reported_change` on the snapshot; `None` when there is none.
async fn note_on_snapshot(
    executor: impl sqlx::PgExecutor<'_>,
    change: ReportedChange,
) -> Result<Option<bool>, sqlx::Error> {
    let (updated, line) = echo_kinds(change.echo);
    sqlx::query_scalar!(
        r#"
        WITH expected AS (
            SELECT cart_id,
                   COALESCE(own_change_at > now() - $5::interval, false)
                   AND (($2 AND own_updated_echoes > 0) OR ($3 AND own_line_echoes > 0))
                   AS echo,
                   COALESCE($4::bigint > upstream_updated_at + 1, false) AS newer,
                   -- A change of ours was sent after the snapshot was saved: its answer is
                   -- still on its way (or lost), so its echo may be newer than the snapshot.
                   COALESCE(own_change_at > fetched_at, false) AS outstanding
            FROM cart_snapshots
            WHERE cart_id = $1
            FOR UPDATE
        ), target AS (
            SELECT cart_id, echo AND (NOT newer OR outstanding) AS known,
                   echo AND newer AND outstanding AS unseen
            FROM expected
        ), noted AS (
            UPDATE cart_snapshots s
            SET stale = s.stale OR NOT t.known,
                stale_since = CASE WHEN t.known THEN s.stale_since
                                   ELSE GREATEST(s.stale_since, $6) END,
                unseen_event_at = CASE WHEN t.unseen THEN GREATEST(s.unseen_event_at, $4)
                                       ELSE s.unseen_event_at END,
                own_updated_echoes = s.own_updated_echoes
                    - CASE WHEN t.known AND $2 THEN 1 ELSE 0 END,
                own_line_echoes = s.own_line_echoes
                    - CASE WHEN t.known AND $3 THEN 1 ELSE 0 END
            FROM target t
            WHERE s.cart_id = t.cart_id
            RETURNING t.known
        )
        SELECT known AS "known!" FROM noted
        "#,
        change.cart.as_uuid(),
        updated,
        line,
        change.created_at,
        interval(OWN_CHANGE_WINDOW),
        OffsetDateTime::now_utc(),
    )
    .fetch_optional(executor)
    .await
}

/// The cart may change where we cannot see it: the next read asks BigCommerce.
#[tracing::instrument(name = "Mark cart snapshot stale", skip_all, fields(cart.id = %cart))]
pub async fn mark_snapshot_stale(pool: &PgPool, cart: CartId) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"
        UPDATE cart_snapshots
        SET stale = true, stale_since = GREATEST(stale_since, $2), unseen_event_at = NULL
        WHERE cart_id = $1
        "#,
        cart.as_uuid(),
        OffsetDateTime::now_utc(),
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

/// Whether more than one session holds `cart` (a shared recovery link, a forwarded one).
pub async fn held_by_several_sessions(pool: &PgPool, cart: CartId) -> Result<bool, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        SELECT count(*) > 1 AS "several!" FROM sessions
        WHERE cart_id = $1 AND idle_expires_at > now() AND absolute_expires_at > now()
        "#,
        cart.as_uuid()
    )
    .fetch_one(pool)
    .await?;
    Ok(row.several)
}

/// The cart `session` holds now, if any.
pub async fn cart_of_session(pool: &PgPool, session: Uuid) -> Result<Option<CartId>, sqlx::Error> {
    let row = sqlx::query!("SELECT cart_id FROM sessions WHERE id = $1", session)
        .fetch_optional(pool)
        .await?;
    Ok(row.and_then(|row| row.cart_id).map(CartId::new))
}
