-- Lines a sign-in merge leaves behind (BigCommerce refused them: out of stock, a purchase limit
-- the summed quantity exceeds, ...) now belong to the customer, not to a session or to the guest
-- cart they came from: each is copied here at sign-in, and the guest cart is let go like one
-- whose every line moved. So no guest cart, recovery link or session holds anything for the
-- customer, signing out loses nothing, and the lines are shown again at the customer's next
-- sign-in on any device (never to another customer or a guest).

CREATE TABLE left_behind_lines_v2 (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    customer_id bigint NOT NULL,
    channel_id bigint NOT NULL,
    -- Order of the lines within one sign-in.
    position integer NOT NULL DEFAULT 0,
    -- The line as the guest cart showed it (a CartLineItem), for display.
    line jsonb NOT NULL,
    -- What to add to put it back: the item rebuilt at sign-in, with the catalog, as BigCommerce
    -- showed the line. NULL when it cannot be added again here (a custom item, a gift
    -- certificate): shown with its reason, it can only be discarded.
    item jsonb,
    -- BigCommerce's reason it did not move (or ours, when the store could not be asked).
    reason text NOT NULL,
    -- BigCommerce refused it: no move tries it again before then while the shopper's cart is the
    -- one it was refused by, at the same version (NULLs: the shopper had no cart).
    next_try_at timestamptz,
    refused_cart_id uuid,
    refused_cart_version bigint,
    -- Whether a move reached the cart could not be told: it may already be there. Never added
    -- again by us; the shopper checks the cart and discards it.
    outcome_unknown boolean NOT NULL DEFAULT false,
    -- The move holding the line until `claimed_until` (a lease, not a lock: no transaction stays
    -- open across a BigCommerce call), so a double click moves it once.
    claim_id uuid,
    claimed_until timestamptz,
    -- Written before an add is sent, cleared once its outcome is known: the target cart (NULL:
    -- the session had none, see `session`), how much of this line's purchase it held before,
    -- its version, and the call. A claim whose lease ran out with an intent left (the process
    -- died) is settled by one read of that cart before anything is added again.
    intent jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- Like BigCommerce's carts: gone after 30 days (the session sweeper deletes them).
    expires_at timestamptz NOT NULL DEFAULT now() + interval '30 days'
);

CREATE INDEX left_behind_lines_v2_customer_idx
    ON left_behind_lines_v2 (customer_id, channel_id, created_at, position);
CREATE INDEX left_behind_lines_v2_expires_at_idx ON left_behind_lines_v2 (expires_at);

CREATE TRIGGER left_behind_lines_v2_set_updated_at BEFORE UPDATE ON left_behind_lines_v2
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- The lines signed-in sessions remember in a guest cart, copied as their customer's. A line
-- without options gets its item back here (its product and variant); one with options needs the
-- catalog to be rebuilt, so it comes without one and can only be discarded (the shopper sees it,
-- with its reason, and adds it again from the shop).
INSERT INTO left_behind_lines_v2 (customer_id, channel_id, position, line, item, reason, created_at)
SELECT DISTINCT ON (s.customer_id, s.channel_id, l.cart_id, l.line_id)
       s.customer_id, s.channel_id, 0, line.value,
       CASE
           WHEN line.value ->> 'product_id' IS NOT NULL
                AND line.value ->> 'type' IN ('physical', 'digital')
                AND NOT COALESCE((line.value ->> 'added_by_promotion')::boolean, false)
                AND jsonb_array_length(COALESCE(line.value -> 'options', '[]'::jsonb)) = 0
           THEN jsonb_build_object(
               'product_id', (line.value ->> 'product_id')::bigint,
               'variant_id', (line.value ->> 'variant_id')::bigint,
               'quantity', (line.value ->> 'quantity')::bigint,
               'option_selections', '[]'::jsonb)
       END,
       l.reason, l.created_at
FROM left_behind_lines l
JOIN sessions s ON s.left_behind_cart_id = l.cart_id AND s.customer_id IS NOT NULL
JOIN cart_snapshots c ON c.cart_id = l.cart_id
CROSS JOIN LATERAL jsonb_array_elements(c.body -> 'line_items') AS line (value)
WHERE line.value ->> 'id' = l.line_id
ORDER BY s.customer_id, s.channel_id, l.cart_id, l.line_id, s.created_at DESC;

DROP TABLE left_behind_lines;
DROP INDEX sessions_left_behind_cart_id_idx;
ALTER TABLE sessions DROP COLUMN left_behind_cart_id;

ALTER TABLE left_behind_lines_v2 RENAME TO left_behind_lines;
ALTER INDEX left_behind_lines_v2_pkey RENAME TO left_behind_lines_pkey;
ALTER INDEX left_behind_lines_v2_customer_idx RENAME TO left_behind_lines_customer_idx;
ALTER INDEX left_behind_lines_v2_expires_at_idx RENAME TO left_behind_lines_expires_at_idx;
ALTER TRIGGER left_behind_lines_v2_set_updated_at ON left_behind_lines
    RENAME TO left_behind_lines_set_updated_at;
