-- Guest carts merged into a customer's cart at sign-in, written before the first line is added.
-- A sign-in that failed after lines moved (the lines left behind could not be written, the
-- process died) is settled from it instead of merged again; a guest cart whose delete failed,
-- or that another session (another device, a recovery link) still holds, is let go instead of
-- merged a second time: by a later sign-in of any customer, and by recovery.
CREATE TABLE merged_guest_carts (
    guest_cart_id uuid PRIMARY KEY,
    customer_id bigint NOT NULL,
    channel_id bigint NOT NULL,
    customer_cart_id uuid NOT NULL,
    -- The customer's cart as it was before the first add (a Cart): what moved is what grew.
    customer_cart_before jsonb NOT NULL,
    -- The lines the merge did not move are written as the customer's lines left behind.
    rows_written boolean NOT NULL DEFAULT false,
    -- BigCommerce deleted the guest cart.
    deleted boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- Like BigCommerce's carts: forgotten after 30 days.
    expires_at timestamptz NOT NULL DEFAULT now() + interval '30 days'
);

CREATE INDEX merged_guest_carts_expires_at_idx ON merged_guest_carts (expires_at);
