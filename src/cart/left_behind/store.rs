//! Persistence of lines left behind: the customer's rows, their claims and the intent written
//! before each add. Each function is one short statement: nothing here is ever held open
//! across a BigCommerce call.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::postgres::types::PgInterval;
use sqlx::types::Json;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use super::item::StoredItem;
use crate::domain::{CartId, CartLineItem, NewLineItem};

fn interval(duration: Duration) -> PgInterval {
    PgInterval {
        months: 0,
        days: 0,
        microseconds: i64::try_from(duration.as_micros()).unwrap_or(i64::MAX),
    }
}

/// Whose lines: a customer, on a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Owner {
    pub customer: i64,
    pub channel: i64,
}

/// The cart (and its version) a refusal holds for: while the shopper's cart is this one, as
/// it was then, the line cools down. `(None, None)`: the shopper had no cart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct CartState {
    pub cart: Option<Uuid>,
    pub version: Option<i64>,
}

/// A line to keep, as a sign-in leaves it behind.
pub(super) struct NewRow<'a> {
    pub line: &'a CartLineItem,
    pub item: Option<StoredItem>,
    pub reason: &'a str,
    /// BigCommerce refused it: it cools down.
    pub refused: bool,
    /// It may already be in the customer's cart: never added again by us.
    pub outcome_unknown: bool,
    /// Its add lost its answer and may still land: settled by the next move once the settle
    /// window has passed.
    pub intent: Option<Intent>,
}

/// Keeps `rows` as `owner`'s lines left behind. Refused ones cool down for `cooldown` while
/// the customer's cart stays `refused_by`.
#[tracing::instrument(name = "Keep lines left behind", skip_all, fields(customer.id = owner.customer))]
pub(super) async fn insert(
    pool: &PgPool,
    owner: Owner,
    rows: &[NewRow<'_>],
    refused_by: CartState,
    cooldown: Duration,
) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let lines: Vec<serde_json::Value> = rows
        .iter()
        .map(|row| serde_json::to_value(row.line).unwrap_or_default())
        .collect();
    let items: Vec<Option<serde_json::Value>> = rows
        .iter()
        .map(|row| {
            row.item
                .as_ref()
                .and_then(|item| serde_json::to_value(item).ok())
        })
        .collect();
    let reasons: Vec<String> = rows.iter().map(|row| row.reason.to_owned()).collect();
    let refused: Vec<bool> = rows.iter().map(|row| row.refused).collect();
    let unknown: Vec<bool> = rows.iter().map(|row| row.outcome_unknown).collect();
    let intents: Vec<Option<serde_json::Value>> = rows
        .iter()
        .map(|row| {
            row.intent
                .as_ref()
                .and_then(|intent| serde_json::to_value(intent).ok())
        })
        .collect();
    sqlx::query!(
        r#"
        INSERT INTO left_behind_lines (customer_id, channel_id, position, line, item, reason,
                                       outcome_unknown, next_try_at, refused_cart_id,
                                       refused_cart_version, intent)
        SELECT $1, $2, t.position, t.line, t.item, t.reason, t.unknown,
               CASE WHEN t.refused THEN now() + $8::interval END,
               CASE WHEN t.refused THEN $9::uuid END,
               CASE WHEN t.refused THEN $10::bigint END,
               t.intent
        FROM UNNEST($3::jsonb[], $4::jsonb[], $5::text[], $6::bool[], $7::bool[],
                    $11::jsonb[])
             WITH ORDINALITY AS t (line, item, reason, refused, unknown, intent, position)
        "#,
        owner.customer,
        owner.channel,
        &lines,
        &items as &[Option<serde_json::Value>],
        &reasons,
        &refused,
        &unknown,
        interval(cooldown),
        refused_by.cart,
        refused_by.version,
        &intents as &[Option<serde_json::Value>],
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// One of the owner's lines, as shown.
pub(super) struct Listed {
    pub line: CartLineItem,
    pub reason: String,
    /// It can be added again (it has an item, and is not marked as possibly in the cart).
    pub movable: bool,
    /// It may already be in the cart (marked so, or a move's outcome is still to be read).
    pub outcome_unknown: bool,
}

/// The owner's lines left behind, in the order they were left: no BigCommerce call.
#[tracing::instrument(name = "List lines left behind", skip_all, fields(customer.id = owner.customer))]
pub(super) async fn list(pool: &PgPool, owner: Owner) -> Result<Vec<Listed>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        SELECT line AS "line: Json<CartLineItem>", reason,
               item IS NOT NULL AND NOT outcome_unknown AS "movable!",
               outcome_unknown OR intent IS NOT NULL AS "outcome_unknown!"
        FROM left_behind_lines
        WHERE customer_id = $1 AND channel_id = $2 AND expires_at > now()
        ORDER BY created_at, position, id
        "#,
        owner.customer,
        owner.channel,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| Listed {
            line: row.line.0,
            reason: row.reason,
            movable: row.movable,
            outcome_unknown: row.outcome_unknown,
        })
        .collect())
}

/// What a move would find now.
pub(super) struct Plan {
    /// Lines it would add (free, out of their cooldown, with an item).
    pub movable: i64,
    /// Lines with an earlier move's intent left (its process died): read before anything.
    pub to_settle: i64,
}

/// What a move by `owner`, whose cart is now `cart`, would find (for what it will cost).
pub(super) async fn plan(
    pool: &PgPool,
    owner: Owner,
    cart: CartState,
    shortened: Duration,
) -> Result<Plan, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        SELECT count(*) FILTER (WHERE intent IS NULL) AS "movable!",
               count(*) FILTER (WHERE intent IS NOT NULL) AS "to_settle!"
        FROM left_behind_lines
        WHERE customer_id = $1 AND channel_id = $2 AND expires_at > now()
          AND (claimed_until IS NULL OR claimed_until < now())
          AND (intent IS NOT NULL
               OR (item IS NOT NULL AND NOT outcome_unknown
                   AND (next_try_at IS NULL OR next_try_at <= now()
                        OR ((refused_cart_id IS DISTINCT FROM $3
                             OR refused_cart_version IS DISTINCT FROM $4)
                            AND next_try_at - $5::interval <= now()))))
        "#,
        owner.customer,
        owner.channel,
        cart.cart,
        cart.version,
        interval(shortened),
    )
    .fetch_one(pool)
    .await?;
    Ok(Plan {
        movable: row.movable,
        to_settle: row.to_settle,
    })
}

/// What a move writes before it sends an add: enough to tell afterwards, with one read,
/// whether the add landed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Intent {
    /// The call: the lines of one add share it.
    pub attempt: Uuid,
    /// The cart added to; `None`: the session had none, so the add made one (then it is the
    /// session's cart, or the customer's remembered one).
    pub cart: Option<Uuid>,
    pub session: Uuid,
    /// How much of this line's purchase (product, variant, options) the cart held before.
    pub before: u64,
    /// The cart's version before (0: not known).
    pub version: i64,
    /// When the add was sent (Unix milliseconds; `None`: written before this was kept). An add
    /// whose answer was lost may still be applied until the settle window has passed since:
    /// until then a read that does not find it says nothing.
    #[serde(default)]
    pub sent_at_ms: Option<i64>,
}

impl Intent {
    /// How much of the settle window is left for this add to land.
    pub fn settling_for(&self, window: Duration) -> Option<Duration> {
        let sent = self.sent_at_ms?;
        let now = now_ms();
        let window = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
        let left = sent.saturating_add(window).saturating_sub(now);
        u64::try_from(left)
            .ok()
            .filter(|left| *left > 0)
            .map(Duration::from_millis)
    }
}

/// Now, in Unix milliseconds.
pub(super) fn now_ms() -> i64 {
    i64::try_from(OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

/// Whether this service made another change to `cart` (another request, another device) after
/// an add was sent to it at `version`: then a read that finds the add's quantity cannot tell
/// whose change it was.
pub(super) async fn changed_by_us_since(
    pool: &PgPool,
    cart: Uuid,
    intent: &Intent,
) -> Result<bool, sqlx::Error> {
    let sent_at = intent.sent_at_ms.unwrap_or(0);
    sqlx::query_scalar!(
        r#"
        SELECT EXISTS (
            SELECT 1 FROM cart_snapshots
            WHERE cart_id = $1 AND version > $2
              AND own_change_at >= to_timestamp($3::bigint / 1000.0)
        ) AS "changed!"
        "#,
        cart,
        intent.version,
        sent_at,
    )
    .fetch_one(pool)
    .await
}

/// A line a move holds.
pub(super) struct Claimed {
    pub id: Uuid,
    pub line: CartLineItem,
    pub item: Option<NewLineItem>,
    /// An earlier move's intent, left when its process died.
    pub intent: Option<Intent>,
}

/// Takes, under `claim` until the lease runs out, the owner's lines a move should act on now:
/// free ones (no other move holds them) that can be added and are out of their cooldown, and
/// those an earlier move left an intent in. A change to the shopper's cart ends a cooldown
/// early, but never by more than `shortened` (so never sooner than its minimum). One
/// statement, so two moves never hold one line.
#[tracing::instrument(name = "Claim lines left behind", skip_all, fields(customer.id = owner.customer))]
pub(super) async fn claim(
    pool: &PgPool,
    owner: Owner,
    claim: Uuid,
    lease: Duration,
    cart: CartState,
    shortened: Duration,
) -> Result<Vec<Claimed>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        UPDATE left_behind_lines SET claim_id = $3, claimed_until = now() + $4::interval
        WHERE customer_id = $1 AND channel_id = $2 AND expires_at > now()
          AND (claimed_until IS NULL OR claimed_until < now())
          AND (intent IS NOT NULL
               OR (item IS NOT NULL AND NOT outcome_unknown
                   AND (next_try_at IS NULL OR next_try_at <= now()
                        OR ((refused_cart_id IS DISTINCT FROM $5
                             OR refused_cart_version IS DISTINCT FROM $6)
                            AND next_try_at - $7::interval <= now()))))
        RETURNING id, line AS "line: Json<CartLineItem>", item, intent, created_at, position
        "#,
        owner.customer,
        owner.channel,
        claim,
        interval(lease),
        cart.cart,
        cart.version,
        interval(shortened),
    )
    .fetch_all(pool)
    .await?;
    let mut rows: Vec<_> = rows.into_iter().collect();
    rows.sort_by_key(|row| (row.created_at, row.position, row.id));
    Ok(rows
        .into_iter()
        .map(|row| Claimed {
            id: row.id,
            line: row.line.0,
            item: row
                .item
                .and_then(|item| serde_json::from_value::<StoredItem>(item).ok())
                .and_then(|item| item.to_item()),
            intent: row
                .intent
                .and_then(|intent| serde_json::from_value(intent).ok()),
        })
        .collect())
}

/// When the last live claim on the owner's lines runs out; `None` when no move holds any.
pub(super) async fn held_until(
    pool: &PgPool,
    owner: Owner,
) -> Result<Option<OffsetDateTime>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"
        SELECT max(claimed_until) AS "until"
        FROM left_behind_lines
        WHERE customer_id = $1 AND channel_id = $2 AND expires_at > now()
          AND claimed_until > now()
        "#,
        owner.customer,
        owner.channel,
    )
    .fetch_one(pool)
    .await
}

/// Records `intents` in the lines `claim` holds (and renews its lease on all of them) before
/// an add is sent. Returns whether every one of them is still this claim's: if not, its lease
/// ran out and another move took them, and the add must not be sent.
#[tracing::instrument(name = "Record the intent of a move", skip_all)]
pub(super) async fn intend(
    pool: &PgPool,
    claim: Uuid,
    lease: Duration,
    intents: &[(Uuid, Intent)],
) -> Result<bool, sqlx::Error> {
    let ids: Vec<Uuid> = intents.iter().map(|(id, _)| *id).collect();
    let values: Vec<serde_json::Value> = intents
        .iter()
        .map(|(_, intent)| serde_json::to_value(intent).unwrap_or_default())
        .collect();
    let written = sqlx::query_scalar!(
        r#"
        WITH renewed AS (
            UPDATE left_behind_lines SET claimed_until = now() + $4::interval
            WHERE claim_id = $1 AND NOT (id = ANY($2))
        ), written AS (
            UPDATE left_behind_lines l
            SET intent = t.intent, claimed_until = now() + $4::interval
            FROM UNNEST($2::uuid[], $3::jsonb[]) AS t (id, intent)
            WHERE l.id = t.id AND l.claim_id = $1
            RETURNING l.id
        )
        SELECT count(*) AS "count!" FROM written
        "#,
        claim,
        &ids,
        &values,
        interval(lease),
    )
    .fetch_one(pool)
    .await?;
    Ok(usize::try_from(written).ok() == Some(ids.len()))
}

/// What became of one line of a move.
#[derive(Debug, Clone)]
pub(super) enum Note {
    /// Its intent is void: the add certainly did not land (or was never sent).
    Cleared,
    /// BigCommerce refused it, for this reason: it cools down.
    Refused(String),
    /// The store failed (or was not asked): it may be tried again at once.
    Failed(String),
    /// It may already be in the cart: never added again by us.
    Unknown(String),
    /// Whether it landed is still to be read: the intent stays, for the next move.
    Pending(String),
}

impl Note {
    fn parts(&self) -> (&'static str, Option<&str>) {
        match self {
            Note::Cleared => ("cleared", None),
            Note::Refused(reason) => ("refused", Some(reason)),
            Note::Failed(reason) => ("failed", Some(reason)),
            Note::Unknown(reason) => ("unknown", Some(reason)),
            Note::Pending(reason) => ("pending", Some(reason)),
        }
    }
}

/// Records what became of lines `claim` holds. Refused ones cool down for `cooldown` while
/// the shopper's cart stays `refused_by`.
#[tracing::instrument(name = "Note lines left behind", skip_all)]
pub(super) async fn note(
    pool: &PgPool,
    claim: Uuid,
    notes: &[(Uuid, Note)],
    refused_by: CartState,
    cooldown: Duration,
) -> Result<(), sqlx::Error> {
    if notes.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = notes.iter().map(|(id, _)| *id).collect();
    let kinds: Vec<String> = notes
        .iter()
        .map(|(_, note)| note.parts().0.to_owned())
        .collect();
    let reasons: Vec<Option<String>> = notes
        .iter()
        .map(|(_, note)| note.parts().1.map(str::to_owned))
        .collect();
    sqlx::query!(
        r#"
        UPDATE left_behind_lines l
        SET reason = COALESCE(t.reason, l.reason),
            intent = CASE WHEN t.kind = 'pending' THEN l.intent END,
            outcome_unknown = l.outcome_unknown OR t.kind = 'unknown',
            next_try_at = CASE t.kind WHEN 'refused' THEN now() + $5::interval
                                      WHEN 'failed' THEN NULL
                                      ELSE l.next_try_at END,
            refused_cart_id = CASE WHEN t.kind = 'refused' THEN $6 ELSE l.refused_cart_id END,
            refused_cart_version = CASE WHEN t.kind = 'refused' THEN $7
                                        ELSE l.refused_cart_version END
        FROM UNNEST($2::uuid[], $3::text[], $4::text[]) AS t (id, kind, reason)
        WHERE l.id = t.id AND l.claim_id = $1
        "#,
        claim,
        &ids,
        &kinds,
        &reasons as &[Option<String>],
        interval(cooldown),
        refused_by.cart,
        refused_by.version,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// After a move: what it refused cools down while the shopper's cart is as the move left it.
pub(super) async fn restamp_refusals(
    pool: &PgPool,
    claim: Uuid,
    ids: &[Uuid],
    refused_by: CartState,
) -> Result<(), sqlx::Error> {
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query!(
        r#"
        UPDATE left_behind_lines SET refused_cart_id = $3, refused_cart_version = $4
        WHERE claim_id = $1 AND id = ANY($2)
        "#,
        claim,
        ids,
        refused_by.cart,
        refused_by.version,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The lines that reached the cart go.
#[tracing::instrument(name = "Lines left behind landed", skip_all)]
pub(super) async fn landed(pool: &PgPool, claim: Uuid, ids: &[Uuid]) -> Result<(), sqlx::Error> {
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query!(
        "DELETE FROM left_behind_lines WHERE claim_id = $1 AND id = ANY($2)",
        claim,
        ids,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Gives up `claim` on every line it still holds (an intent left in one stays, for the next
/// move to settle).
pub(super) async fn release(pool: &PgPool, claim: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"
        UPDATE left_behind_lines SET claim_id = NULL, claimed_until = NULL
        WHERE claim_id = $1
        "#,
        claim,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// What a discard did.
pub(super) struct Discarded {
    /// Lines a move holds right now are not discarded (until when it holds them).
    pub held_until: Option<OffsetDateTime>,
}

/// Deletes the owner's lines, but those a move holds right now.
#[tracing::instrument(name = "Discard lines left behind", skip_all, fields(customer.id = owner.customer))]
pub(super) async fn discard(pool: &PgPool, owner: Owner) -> Result<Discarded, sqlx::Error> {
    let held_until = sqlx::query_scalar!(
        r#"
        WITH discarded AS (
            DELETE FROM left_behind_lines
            WHERE customer_id = $1 AND channel_id = $2
              AND (claimed_until IS NULL OR claimed_until < now())
        )
        SELECT max(claimed_until) AS "until"
        FROM left_behind_lines
        WHERE customer_id = $1 AND channel_id = $2 AND claimed_until >= now()
        "#,
        owner.customer,
        owner.channel,
    )
    .fetch_one(pool)
    .await?;
    Ok(Discarded { held_until })
}

/// Where an add made for a session without a cart went: the cart that session holds now, or
/// (once it is gone: signed out, signed in again) its customer's remembered cart.
pub(super) async fn cart_made_for(
    pool: &PgPool,
    session: Uuid,
    customer: i64,
) -> Result<Option<CartId>, sqlx::Error> {
    let cart = sqlx::query_scalar!(
        r#"
        SELECT CASE WHEN EXISTS (SELECT 1 FROM sessions WHERE id = $1)
                    THEN (SELECT cart_id FROM sessions WHERE id = $1)
                    ELSE (SELECT cart_id FROM customer_carts WHERE customer_id = $2)
               END AS "cart_id"
        "#,
        session,
        customer,
    )
    .fetch_one(pool)
    .await?;
    Ok(cart.map(CartId::new))
}

/// Deletes up to `batch_size` lines left behind past their expiry and reports how many went.
/// Rows another transaction holds are skipped, so the sweeper never waits on a request.
#[tracing::instrument(name = "Delete expired lines left behind", skip_all)]
async fn delete_expired(pool: &PgPool, batch_size: i64) -> Result<u64, sqlx::Error> {
    let result = sqlx::query!(
        r#"
        DELETE FROM left_behind_lines
        WHERE id IN (
            SELECT id FROM left_behind_lines
            WHERE expires_at <= now()
            ORDER BY expires_at
            LIMIT $1
            FOR UPDATE SKIP LOCKED
        )
        "#,
        batch_size,
    )
    .execute(pool)
    .await?;
    Ok(result.rows_affected())
}

/// Deletes every expired line left behind, one batch per statement; returns how many went.
pub async fn sweep_expired_left_behind(pool: &PgPool, batch_size: i64) -> Result<u64, sqlx::Error> {
    let mut total = 0;
    loop {
        let deleted = delete_expired(pool, batch_size).await?;
        if deleted == 0 {
            return Ok(total);
        }
        total += deleted;
        tokio::task::yield_now().await;
    }
}
