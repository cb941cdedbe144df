-- Each service instance caches sessions and cart snapshots in memory; these triggers tell every
-- instance (LISTEN bff_cache) what changed, so the caches stay coherent. Payloads: 's' + session
-- id, 'c' + cart id. A notification is sent at commit, and identical ones are merged.

CREATE FUNCTION notify_sessions_changed() RETURNS trigger AS $$
BEGIN
    -- Sessions deleted because they expired need no message: a cache never serves an expired
    -- session. That keeps sweeps of millions of rows quiet.
    PERFORM pg_notify('bff_cache', 's' || id::text)
    FROM changed_sessions
    WHERE TG_OP = 'UPDATE' OR expires_at > now();
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER sessions_updated_notify AFTER UPDATE ON sessions
    REFERENCING OLD TABLE AS changed_sessions
    FOR EACH STATEMENT EXECUTE FUNCTION notify_sessions_changed();

CREATE TRIGGER sessions_deleted_notify AFTER DELETE ON sessions
    REFERENCING OLD TABLE AS changed_sessions
    FOR EACH STATEMENT EXECUTE FUNCTION notify_sessions_changed();

CREATE FUNCTION notify_snapshots_changed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('bff_cache', 'c' || cart_id::text) FROM changed_snapshots;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER cart_snapshots_inserted_notify AFTER INSERT ON cart_snapshots
    REFERENCING NEW TABLE AS changed_snapshots
    FOR EACH STATEMENT EXECUTE FUNCTION notify_snapshots_changed();

CREATE TRIGGER cart_snapshots_updated_notify AFTER UPDATE ON cart_snapshots
    REFERENCING NEW TABLE AS changed_snapshots
    FOR EACH STATEMENT EXECUTE FUNCTION notify_snapshots_changed();

CREATE TRIGGER cart_snapshots_deleted_notify AFTER DELETE ON cart_snapshots
    REFERENCING OLD TABLE AS changed_snapshots
    FOR EACH STATEMENT EXECUTE FUNCTION notify_snapshots_changed();
