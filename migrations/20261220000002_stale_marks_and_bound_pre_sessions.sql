-- When the snapshot was last marked stale (a callback about a change made elsewhere, a
-- hand-off), on the marking instance's clock. An answer to a request sent before that mark
-- (one of our own changes, a read) is saved, but leaves the mark: it cannot hold the change
-- that caused it (README, "Webhooks").
ALTER TABLE cart_snapshots ADD COLUMN stale_since timestamptz;

-- The pre-session (SHA-256 of its value) of the request that stored the session, if it carried
-- one: pages shown to that browser before its first write keep posting, and no other
-- pre-session's tokens are accepted for the session. A rotated session (sign-in) has none, so
-- every token shown before signing in dies with the session it was shown to.
ALTER TABLE sessions ADD COLUMN pre_session_hash bytea;

-- Change reports (webhook callbacks) about a cart of which no snapshot is stored yet: the
-- callback of a cart's creation can overtake the answer that stores its first snapshot. That
-- first snapshot takes them in (as echoes it expected, or else as a stale mark); rows nobody
-- claims are swept. Losing them (the table is unlogged) costs at most a hidden change until
-- the TTL, as before.
CREATE UNLOGGED TABLE early_cart_reports (
    cart_id uuid PRIMARY KEY,
    updated_reports integer NOT NULL DEFAULT 0,
    line_reports integer NOT NULL DEFAULT 0,
    other_reports integer NOT NULL DEFAULT 0,
    -- On the receiving instance's clock, like `cart_snapshots.stale_since`.
    last_reported_at timestamptz NOT NULL
);
CREATE INDEX early_cart_reports_by_time ON early_cart_reports (last_reported_at);

-- The latest `created_at` (BigCommerce's clock, Unix seconds) of a callback taken for the echo
-- of our own change still on its way, though newer than the snapshot: the answer to that change
-- must show it (its `updated_time` at least as new, give or take a second), or the snapshot is
-- marked stale when the answer is saved (or when the change fails).
ALTER TABLE cart_snapshots ADD COLUMN unseen_event_at bigint;
