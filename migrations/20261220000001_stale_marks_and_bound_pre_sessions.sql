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
