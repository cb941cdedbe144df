-- Keeps `updated_at` true on every table that opts in with a trigger.
CREATE FUNCTION set_updated_at() RETURNS trigger AS $$
BEGIN
    NEW.updated_at = now();
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

-- One row per shopper session. The raw session token lives only in the shopper's cookie: a
-- leaked table must not let anyone impersonate a shopper, so we keep its SHA-256 alone.
CREATE TABLE sessions (
    id uuid PRIMARY KEY,
    token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    -- The BigCommerce cart behind this session, once the shopper has added something.
    cart_id uuid,
    -- The signed-in BigCommerce customer, if any.
    customer_id bigint,
    channel_id bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- Written at most about once a minute (see session.touch_interval_seconds), not per request.
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    -- Sliding expiry, pushed forward on touch...
    idle_expires_at timestamptz NOT NULL,
    -- ...and the hard limit it never passes.
    absolute_expires_at timestamptz NOT NULL,
    -- The moment the session dies, whichever limit comes first: what the sweeper's index scans.
    expires_at timestamptz GENERATED ALWAYS AS (LEAST(idle_expires_at, absolute_expires_at)) STORED
);

CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);
CREATE INDEX sessions_cart_id_idx ON sessions (cart_id) WHERE cart_id IS NOT NULL;

CREATE TRIGGER sessions_set_updated_at BEFORE UPDATE ON sessions
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
