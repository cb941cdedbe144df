-- BigCommerce reports the service's own cart changes back through webhooks. To tell those
-- echoes from changes made elsewhere, the snapshot remembers when the service itself last
-- changed the cart and how many callbacks that change is expected to cause (README, "Webhooks").
ALTER TABLE cart_snapshots ADD COLUMN own_change_at timestamptz;
-- Expected `store/cart/updated` callbacks not yet received for our own changes.
ALTER TABLE cart_snapshots ADD COLUMN own_updated_echoes integer NOT NULL DEFAULT 0;
-- Expected `store/cart/lineItem/*` callbacks not yet received for our own changes.
ALTER TABLE cart_snapshots ADD COLUMN own_line_echoes integer NOT NULL DEFAULT 0;
-- The cart's `updated_time` in Unix seconds on BigCommerce's clock, to compare with a
-- callback's `created_at` (when that is the event's time) without clock skew.
ALTER TABLE cart_snapshots ADD COLUMN upstream_updated_at bigint;

-- Deliveries are deduplicated by what every payload carries, its scope and hash: `created_at`
-- may be absent, and may be the hook's creation time, the same for every event.
DELETE FROM webhook_deliveries a
USING webhook_deliveries b
WHERE a.hash = b.hash AND a.scope = b.scope AND a.received_at < b.received_at;
DELETE FROM webhook_deliveries a
USING webhook_deliveries b
WHERE a.hash = b.hash AND a.scope = b.scope AND a.ctid < b.ctid;
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_pkey;
ALTER TABLE webhook_deliveries ALTER COLUMN event_created_at DROP NOT NULL;
ALTER TABLE webhook_deliveries ADD PRIMARY KEY (hash, scope);
