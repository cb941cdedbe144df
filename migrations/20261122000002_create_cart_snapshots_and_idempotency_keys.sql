-- While a session's first cart is being created, the creator holds this lease (a timestamp,
-- not a lock: no transaction stays open across the BigCommerce call). Concurrent first adds
-- wait for the cart instead of creating their own.
ALTER TABLE sessions ADD COLUMN cart_claim_expires_at timestamptz;

-- The last cart BigCommerce returned, so reads cost no BigCommerce call while it is fresh.
CREATE TABLE cart_snapshots (
    cart_id uuid PRIMARY KEY,
    -- 0 for a guest cart; a customer's cart may only be recovered by that customer.
    customer_id bigint NOT NULL DEFAULT 0,
    -- BigCommerce's cart version: an older answer arriving late never overwrites a newer one.
    version bigint NOT NULL DEFAULT 0,
    -- The cart as the storefront sees it (domain::Cart).
    body jsonb NOT NULL,
    fetched_at timestamptz NOT NULL DEFAULT now(),
    -- Set when the cart may have changed where we cannot see (hosted checkout, webhooks).
    stale boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER cart_snapshots_set_updated_at BEFORE UPDATE ON cart_snapshots
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Responses to mutations sent with an Idempotency-Key, per session. The row is reserved
-- before the BigCommerce call and completed after it; a retry replays the stored response.
CREATE TABLE idempotency_keys (
    session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    idempotency_key text NOT NULL,
    -- SHA-256 of method, path and body: the same key with another request is refused.
    fingerprint bytea NOT NULL,
    -- NULL while the first request is still in flight.
    response_status smallint,
    response_body bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (session_id, idempotency_key)
);

CREATE INDEX idempotency_keys_expires_at_idx ON idempotency_keys (expires_at);
