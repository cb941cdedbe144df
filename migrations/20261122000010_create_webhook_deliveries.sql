-- BigCommerce webhook callbacks already acted on, so a retried delivery is processed once.
-- BigCommerce's `hash` is the SHA-1 of the event's `data` alone, which two `updated` events
-- for the same cart share; with the scope and the event's own `created_at` it names one
-- event, and every retry of that event repeats all three.
CREATE TABLE webhook_deliveries (
    hash text NOT NULL,
    scope text NOT NULL,
    -- The payload's `created_at` (Unix seconds), set by BigCommerce when the event happened.
    event_created_at bigint NOT NULL,
    -- Rows are never updated; this is their created_at, and what the sweeper's index scans.
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (hash, scope, event_created_at)
);

CREATE INDEX webhook_deliveries_received_at_idx ON webhook_deliveries (received_at);
