-- Each signed-in customer's cart, so that signing in on another device picks it up. Lasts
-- until the cart is converted or deleted.
CREATE TABLE customer_carts (
    customer_id bigint PRIMARY KEY,
    cart_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX customer_carts_cart_id_idx ON customer_carts (cart_id);

CREATE TRIGGER customer_carts_set_updated_at BEFORE UPDATE ON customer_carts
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Shown on the pages as "Signed in as ...": the address the shopper signed in with. It lives
-- and dies with the session, and is never logged.
ALTER TABLE sessions ADD COLUMN customer_email text;

-- An abandoned-cart link that needs the shopper to sign in first; finished after sign-in.
ALTER TABLE sessions ADD COLUMN pending_recovery_token text;
