-- The director's dashboard at a million customers (issue 11: p95 ≤ 150 ms; 421 ms on
-- PostgreSQL): the month's ownership changes by reason and the open receivables by due date were
-- counted from the raw rows on every visit (68 and 88 ms).
--
-- Open receivables: orders not settled, per (owner, due date), with the amount still owed in
-- integer fen (every amount has at most two decimals, far below 10^13, so the conversion is
-- exact; an amount beyond ¥10^12, which only rows written before amounts were bounded can hold,
-- counts as ¥10^12 so that no sum overflows). SQLite keeps the rows by triggers (one writer); PostgreSQL, like its customer tally
-- (0063), appends each statement's net change to receivables_changes, which readers add and
-- `Store::compact_tally` folds in, so orders and payments of different people never wait on one
-- row.
CREATE TABLE receivables_open (
    org_id BIGINT NOT NULL,
    owner_id BIGINT NOT NULL,
    due_date TEXT NOT NULL,
    n BIGINT NOT NULL,
    fen BIGINT NOT NULL,
    PRIMARY KEY (org_id, owner_id, due_date)
);
-- sqlite:begin
CREATE TRIGGER receivables_open_insert AFTER INSERT ON orders WHEN new.settled = 0 BEGIN
    INSERT INTO receivables_open (org_id, owner_id, due_date, n, fen)
        VALUES (new.org_id, COALESCE(new.owner_id, 0), new.due_date, 1,
                CAST(MAX(MIN(ROUND(CAST(new.total AS REAL) * 100), 100000000000000), -100000000000000) AS INTEGER) - CAST(MAX(MIN(ROUND(CAST(COALESCE(new.paid, '0') AS REAL) * 100), 100000000000000), -100000000000000) AS INTEGER))
        ON CONFLICT (org_id, owner_id, due_date) DO UPDATE SET n = n + 1, fen = fen + excluded.fen;
END;
CREATE TRIGGER receivables_open_delete AFTER DELETE ON orders WHEN old.settled = 0 BEGIN
    UPDATE receivables_open SET n = n - 1,
        fen = fen - (CAST(MAX(MIN(ROUND(CAST(old.total AS REAL) * 100), 100000000000000), -100000000000000) AS INTEGER) - CAST(MAX(MIN(ROUND(CAST(COALESCE(old.paid, '0') AS REAL) * 100), 100000000000000), -100000000000000) AS INTEGER))
        WHERE org_id = old.org_id AND owner_id = COALESCE(old.owner_id, 0) AND due_date = old.due_date;
END;
CREATE TRIGGER receivables_open_update AFTER UPDATE OF org_id, owner_id, due_date, total, paid, settled ON orders BEGIN
    UPDATE receivables_open SET n = n - 1,
        fen = fen - (CAST(MAX(MIN(ROUND(CAST(old.total AS REAL) * 100), 100000000000000), -100000000000000) AS INTEGER) - CAST(MAX(MIN(ROUND(CAST(COALESCE(old.paid, '0') AS REAL) * 100), 100000000000000), -100000000000000) AS INTEGER))
        WHERE old.settled = 0 AND org_id = old.org_id AND owner_id = COALESCE(old.owner_id, 0) AND due_date = old.due_date;
    INSERT INTO receivables_open (org_id, owner_id, due_date, n, fen)
        SELECT new.org_id, COALESCE(new.owner_id, 0), new.due_date, 1,
               CAST(MAX(MIN(ROUND(CAST(new.total AS REAL) * 100), 100000000000000), -100000000000000) AS INTEGER) - CAST(MAX(MIN(ROUND(CAST(COALESCE(new.paid, '0') AS REAL) * 100), 100000000000000), -100000000000000) AS INTEGER)
        WHERE new.settled = 0
        ON CONFLICT (org_id, owner_id, due_date) DO UPDATE SET n = n + 1, fen = fen + excluded.fen;
END;
INSERT INTO receivables_open (org_id, owner_id, due_date, n, fen)
    SELECT org_id, COALESCE(owner_id, 0), due_date, COUNT(*),
           SUM(CAST(MAX(MIN(ROUND(CAST(total AS REAL) * 100), 100000000000000), -100000000000000) AS INTEGER) - CAST(MAX(MIN(ROUND(CAST(COALESCE(paid, '0') AS REAL) * 100), 100000000000000), -100000000000000) AS INTEGER))
    FROM orders WHERE settled = 0 GROUP BY 1, 2, 3;
-- sqlite:end
-- postgres:begin
CREATE TABLE receivables_changes (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL,
    owner_id BIGINT NOT NULL,
    due_date TEXT NOT NULL,
    n BIGINT NOT NULL,
    fen BIGINT NOT NULL
);
CREATE INDEX receivables_changes_org ON receivables_changes(org_id, owner_id, due_date);
CREATE FUNCTION receivable_fen(total TEXT, paid TEXT) RETURNS BIGINT LANGUAGE sql IMMUTABLE AS $$
    SELECT CAST(LEAST(GREATEST(ROUND(CAST(total AS NUMERIC) * 100), -100000000000000), 100000000000000) AS BIGINT)
         - CAST(LEAST(GREATEST(ROUND(CAST(COALESCE(paid, '0') AS NUMERIC) * 100), -100000000000000), 100000000000000) AS BIGINT)
$$;
CREATE FUNCTION receivables_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO receivables_changes (org_id, owner_id, due_date, n, fen)
        SELECT org_id, COALESCE(owner_id, 0), due_date, COUNT(*), SUM(receivable_fen(total, paid))
        FROM new_rows WHERE settled = 0 GROUP BY 1, 2, 3;
    RETURN NULL;
END
$$;
CREATE FUNCTION receivables_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO receivables_changes (org_id, owner_id, due_date, n, fen)
        SELECT org_id, COALESCE(owner_id, 0), due_date, -COUNT(*), -SUM(receivable_fen(total, paid))
        FROM old_rows WHERE settled = 0 GROUP BY 1, 2, 3;
    RETURN NULL;
END
$$;
CREATE FUNCTION receivables_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO receivables_changes (org_id, owner_id, due_date, n, fen)
        SELECT org_id, owner_id, due_date, SUM(n), SUM(fen) FROM (
            SELECT org_id, COALESCE(owner_id, 0) AS owner_id, due_date, -1 AS n, -receivable_fen(total, paid) AS fen
                FROM old_rows WHERE settled = 0
            UNION ALL
            SELECT org_id, COALESCE(owner_id, 0), due_date, 1, receivable_fen(total, paid)
                FROM new_rows WHERE settled = 0
        ) d GROUP BY org_id, owner_id, due_date HAVING SUM(n) <> 0 OR SUM(fen) <> 0;
    RETURN NULL;
END
$$;
CREATE TRIGGER receivables_insert AFTER INSERT ON orders
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION receivables_inserted();
CREATE TRIGGER receivables_delete AFTER DELETE ON orders
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION receivables_deleted();
CREATE TRIGGER receivables_update AFTER UPDATE ON orders
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION receivables_updated();
INSERT INTO receivables_open (org_id, owner_id, due_date, n, fen)
    SELECT org_id, COALESCE(owner_id, 0), due_date, COUNT(*), SUM(receivable_fen(total, paid))
    FROM orders WHERE settled = 0 GROUP BY 1, 2, 3;

-- Ownership changes per day and reason, as SQLite has kept them since 0041, the same way.
CREATE TABLE ownership_daily (
    org_id BIGINT NOT NULL,
    day TEXT NOT NULL,
    reason TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (org_id, day, reason)
);
CREATE TABLE ownership_daily_changes (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL,
    day TEXT NOT NULL,
    reason TEXT NOT NULL,
    n BIGINT NOT NULL
);
CREATE INDEX ownership_daily_changes_org ON ownership_daily_changes(org_id, day);
CREATE FUNCTION ownership_daily_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ownership_daily_changes (org_id, day, reason, n)
        SELECT org_id, activity_day(changed_at), reason, COUNT(*) FROM new_rows GROUP BY 1, 2, 3;
    RETURN NULL;
END
$$;
CREATE FUNCTION ownership_daily_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ownership_daily_changes (org_id, day, reason, n)
        SELECT org_id, activity_day(changed_at), reason, -COUNT(*) FROM old_rows GROUP BY 1, 2, 3;
    RETURN NULL;
END
$$;
CREATE TRIGGER ownership_daily_insert AFTER INSERT ON ownership_changes
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ownership_daily_inserted();
CREATE TRIGGER ownership_daily_delete AFTER DELETE ON ownership_changes
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ownership_daily_deleted();
INSERT INTO ownership_daily (org_id, day, reason, n)
    SELECT org_id, activity_day(changed_at), reason, COUNT(*) FROM ownership_changes GROUP BY 1, 2, 3;
-- postgres:end
