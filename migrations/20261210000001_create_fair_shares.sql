-- What each client has spent of its fair share of the store's API quota in the current window
-- (README, "Rate limits"). Kept in Postgres so that every instance enforces the same share.
-- UNLOGGED: the counts are worth nothing after a crash (every window is 30 s), so they are not
-- worth a write-ahead log either; a crash simply starts every client afresh.
CREATE UNLOGGED TABLE fair_shares (
    -- SHA-256 of what spends (a session, a client address, an address and an e-mail): the table
    -- shows no address, session id or e-mail at a glance.
    spender bytea PRIMARY KEY CHECK (length(spender) = 32),
    -- Calls (or failed sign-ins) spent in the window ending at `window_ends_at`.
    spent integer NOT NULL,
    -- When the share refills: the end of the store's window when the row was opened. Rows are
    -- rewritten, never updated in place for long, so they carry no created_at/updated_at.
    window_ends_at timestamptz NOT NULL
);

CREATE INDEX fair_shares_window_ends_at_idx ON fair_shares (window_ends_at);
