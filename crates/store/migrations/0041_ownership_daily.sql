-- The pool's intake and claims on the director's dashboard (issue 11): ownership changes counted
-- per organization, day (company time, UTC+8) and reason.
-- SQLite: kept by a trigger in the writing transaction (one writer, so no hot row to queue on);
-- the dashboard reads a few rows per day instead of a month of changes.
-- PostgreSQL: a row per (organization, day, reason) would serialise every registration of an
-- organization on it; there the month is counted from an index in (organization, time) order.
-- sqlite:begin
CREATE TABLE ownership_daily (
    org_id INTEGER NOT NULL,
    day TEXT NOT NULL,
    reason TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (org_id, day, reason)
) WITHOUT ROWID;
INSERT INTO ownership_daily (org_id, day, reason, n)
    SELECT org_id, date(changed_at, '+8 hours'), reason, COUNT(*) FROM ownership_changes GROUP BY 1, 2, 3;
CREATE TRIGGER ownership_daily_insert AFTER INSERT ON ownership_changes BEGIN
    INSERT INTO ownership_daily (org_id, day, reason, n)
        VALUES (new.org_id, date(new.changed_at, '+8 hours'), new.reason, 1)
        ON CONFLICT (org_id, day, reason) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER ownership_daily_delete AFTER DELETE ON ownership_changes BEGIN
    UPDATE ownership_daily SET n = n - 1
        WHERE org_id = old.org_id AND day = date(old.changed_at, '+8 hours') AND reason = old.reason;
END;
-- sqlite:end
-- postgres:begin
CREATE INDEX ownership_changes_time ON ownership_changes(org_id, changed_at, reason);
-- postgres:end
