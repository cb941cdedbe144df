-- Two sign-ins of one session at once (a double click, a client's retry) must merge its cart
-- once: the first takes this lease (a timestamp, not a lock: no transaction stays open across
-- the BigCommerce calls) and the second waits for it.
ALTER TABLE sessions ADD COLUMN sign_in_claim_expires_at timestamptz;

-- An abandoned-cart link no longer waits on the session for a sign-in: the link itself comes
-- back through the login form, so opening a link writes nothing.
ALTER TABLE sessions DROP COLUMN pending_recovery_token;

-- An Idempotency-Key whose first attempt ended without a known outcome (BigCommerce timed out,
-- the connection broke, the process died) stays pinned until that outcome is settled.
-- `settle_plan` says how to tell whether the change landed (which cart, what it held before,
-- what the change adds), and `outcome_unknown_since` when the first attempt lost track of it.
ALTER TABLE idempotency_keys
    ADD COLUMN settle_plan jsonb,
    ADD COLUMN outcome_unknown_since timestamptz;
