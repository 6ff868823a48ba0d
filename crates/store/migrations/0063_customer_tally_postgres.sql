-- The live-customer tally of migration 0027 on PostgreSQL too (issue 17): the director's list
-- at 100,000 customers spent 15 of its 15.5 ms counting the scope, and a million would take
-- 150 ms. SQLite's triggers update one tally row per change, which its single writer makes
-- safe; on PostgreSQL every claim and recycle would then queue on the pool's row. So here a
-- change only *adds* a row to customer_tally_changes (one per statement and key, from the
-- statement's transition tables: an import of a thousand rows adds a handful), readers add the
-- changes to the tally, and `Store::compact_tally` folds them in every minute.
-- postgres:begin
CREATE TABLE customer_tally (
    org_id BIGINT NOT NULL,
    owner_id BIGINT NOT NULL,
    pool_id BIGINT NOT NULL,
    live BIGINT NOT NULL,
    PRIMARY KEY (org_id, owner_id, pool_id)
);
CREATE TABLE customer_tally_changes (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL,
    owner_id BIGINT NOT NULL,
    pool_id BIGINT NOT NULL,
    live BIGINT NOT NULL
);
CREATE INDEX customer_tally_changes_org ON customer_tally_changes(org_id, owner_id, pool_id);
CREATE FUNCTION customer_tally_note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO customer_tally_changes (org_id, owner_id, pool_id, live)
            SELECT org_id, COALESCE(owner_id, 0), COALESCE(pool_id, 0), COUNT(*)
            FROM new_rows WHERE deleted_at IS NULL GROUP BY 1, 2, 3;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO customer_tally_changes (org_id, owner_id, pool_id, live)
            SELECT org_id, COALESCE(owner_id, 0), COALESCE(pool_id, 0), -COUNT(*)
            FROM old_rows WHERE deleted_at IS NULL GROUP BY 1, 2, 3;
    ELSE
        INSERT INTO customer_tally_changes (org_id, owner_id, pool_id, live)
            SELECT org_id, owner_id, pool_id, SUM(live) FROM (
                SELECT org_id, COALESCE(owner_id, 0) AS owner_id, COALESCE(pool_id, 0) AS pool_id, -1 AS live
                    FROM old_rows WHERE deleted_at IS NULL
                UNION ALL
                SELECT org_id, COALESCE(owner_id, 0), COALESCE(pool_id, 0), 1
                    FROM new_rows WHERE deleted_at IS NULL
            ) d GROUP BY org_id, owner_id, pool_id HAVING SUM(live) <> 0;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER customer_tally_insert AFTER INSERT ON customers
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_tally_note();
CREATE TRIGGER customer_tally_update AFTER UPDATE ON customers
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_tally_note();
CREATE TRIGGER customer_tally_delete AFTER DELETE ON customers
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_tally_note();
INSERT INTO customer_tally (org_id, owner_id, pool_id, live)
    SELECT org_id, COALESCE(owner_id, 0), COALESCE(pool_id, 0), COUNT(*) FROM customers
    WHERE deleted_at IS NULL GROUP BY org_id, COALESCE(owner_id, 0), COALESCE(pool_id, 0);
-- postgres:end
