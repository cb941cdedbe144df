-- A sign-in that merges only some guest lines into the customer's cart (BigCommerce refused the
-- rest: out of stock, a purchase limit the summed quantity exceeds) leaves those lines in the
-- guest cart. The signed-in session remembers that cart here, so the shopper sees the lines and
-- can move them again or discard them. It is only ever read from the session row, never taken
-- from a request, so only the session that signed in reaches it.
ALTER TABLE sessions ADD COLUMN left_behind_cart_id uuid;

CREATE INDEX sessions_left_behind_cart_id_idx ON sessions (left_behind_cart_id)
    WHERE left_behind_cart_id IS NOT NULL;

-- Which lines of a left-behind cart did not move, and why. The lines that did move are not
-- removed from that cart (that would cost a BigCommerce call each); the cart is shown and moved
-- through these rows only, and deleted once none is left. The line itself comes from the cart's
-- snapshot, which goes (and these rows with it) when the cart is forgotten or swept.
CREATE TABLE left_behind_lines (
    cart_id uuid NOT NULL REFERENCES cart_snapshots (cart_id) ON DELETE CASCADE,
    -- BigCommerce's line-item id in that cart.
    line_id text NOT NULL,
    -- BigCommerce's reason the line did not move (or ours, when the store could not be asked).
    reason text NOT NULL,
    -- A move of these lines under way holds them until then (a timestamp, not a lock: no
    -- transaction stays open across the BigCommerce calls), so a double click moves them once.
    moving_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cart_id, line_id)
);

CREATE TRIGGER left_behind_lines_set_updated_at BEFORE UPDATE ON left_behind_lines
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
