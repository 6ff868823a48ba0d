-- The prospecting funnel's activity counts per person and day (issue 11: the funnel at a million
-- customers read a month of raw activities per request, 0.73 s on PostgreSQL). One row per
-- (person, company-time day, kind, reached, purpose) with how many and their minutes, kept by
-- triggers in the transaction that writes the activity, so it equals the raw rows at every
-- commit. `reached` -1 and `purpose` '' stand for none (key columns cannot be NULL).
CREATE TABLE activity_daily (
    org_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    day TEXT NOT NULL,
    kind TEXT NOT NULL,
    reached BIGINT NOT NULL,
    purpose TEXT NOT NULL,
    n BIGINT NOT NULL,
    minutes BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id, day, kind, reached, purpose)
);
CREATE INDEX activity_daily_day ON activity_daily(org_id, day);
-- sqlite:begin
CREATE TRIGGER activity_daily_insert AFTER INSERT ON activities BEGIN
    INSERT INTO activity_daily (org_id, user_id, day, kind, reached, purpose, n, minutes)
        VALUES (new.org_id, new.user_id, date(new.occurred_at, '+8 hours'), new.kind,
                COALESCE(new.reached, -1), COALESCE(new.purpose, ''), 1, COALESCE(new.duration_minutes, 0))
        ON CONFLICT (org_id, user_id, day, kind, reached, purpose)
        DO UPDATE SET n = n + 1, minutes = minutes + excluded.minutes;
END;
CREATE TRIGGER activity_daily_delete AFTER DELETE ON activities BEGIN
    UPDATE activity_daily SET n = n - 1, minutes = minutes - COALESCE(old.duration_minutes, 0)
        WHERE org_id = old.org_id AND user_id = old.user_id AND day = date(old.occurred_at, '+8 hours')
          AND kind = old.kind AND reached = COALESCE(old.reached, -1) AND purpose = COALESCE(old.purpose, '');
END;
CREATE TRIGGER activity_daily_update AFTER UPDATE OF org_id, user_id, occurred_at, kind, reached, purpose,
    duration_minutes ON activities BEGIN
    UPDATE activity_daily SET n = n - 1, minutes = minutes - COALESCE(old.duration_minutes, 0)
        WHERE org_id = old.org_id AND user_id = old.user_id AND day = date(old.occurred_at, '+8 hours')
          AND kind = old.kind AND reached = COALESCE(old.reached, -1) AND purpose = COALESCE(old.purpose, '');
    INSERT INTO activity_daily (org_id, user_id, day, kind, reached, purpose, n, minutes)
        VALUES (new.org_id, new.user_id, date(new.occurred_at, '+8 hours'), new.kind,
                COALESCE(new.reached, -1), COALESCE(new.purpose, ''), 1, COALESCE(new.duration_minutes, 0))
        ON CONFLICT (org_id, user_id, day, kind, reached, purpose)
        DO UPDATE SET n = n + 1, minutes = minutes + excluded.minutes;
END;
INSERT INTO activity_daily (org_id, user_id, day, kind, reached, purpose, n, minutes)
    SELECT org_id, user_id, date(occurred_at, '+8 hours'), kind, COALESCE(reached, -1), COALESCE(purpose, ''),
           COUNT(*), SUM(COALESCE(duration_minutes, 0))
    FROM activities GROUP BY 1, 2, 3, 4, 5, 6;
-- sqlite:end
-- postgres:begin
CREATE FUNCTION activity_day(at TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
    SELECT to_char((at::timestamptz AT TIME ZONE 'UTC') + interval '8 hours', 'YYYY-MM-DD')
$$;
-- Per statement from the transition tables: an import of many activities adds a few rows. One
-- function per event: a transition table exists only for the events that have it.
CREATE FUNCTION activity_daily_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO activity_daily (org_id, user_id, day, kind, reached, purpose, n, minutes)
        SELECT org_id, user_id, day, kind, reached, purpose, SUM(n), SUM(minutes) FROM (
            SELECT org_id, user_id, activity_day(occurred_at) AS day, kind, COALESCE(reached, -1) AS reached,
                   COALESCE(purpose, '') AS purpose, 1 AS n, COALESCE(duration_minutes, 0) AS minutes
                FROM new_rows
        ) d GROUP BY org_id, user_id, day, kind, reached, purpose
        HAVING SUM(n) <> 0 OR SUM(minutes) <> 0
        ORDER BY 1, 2, 3, 4, 5, 6
        ON CONFLICT (org_id, user_id, day, kind, reached, purpose)
        DO UPDATE SET n = activity_daily.n + excluded.n, minutes = activity_daily.minutes + excluded.minutes;
    RETURN NULL;
END
$$;
CREATE FUNCTION activity_daily_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO activity_daily (org_id, user_id, day, kind, reached, purpose, n, minutes)
        SELECT org_id, user_id, day, kind, reached, purpose, SUM(n), SUM(minutes) FROM (
            SELECT org_id, user_id, activity_day(occurred_at) AS day, kind, COALESCE(reached, -1) AS reached,
                   COALESCE(purpose, '') AS purpose, -1 AS n, -COALESCE(duration_minutes, 0) AS minutes
                FROM old_rows
        ) d GROUP BY org_id, user_id, day, kind, reached, purpose
        HAVING SUM(n) <> 0 OR SUM(minutes) <> 0
        ORDER BY 1, 2, 3, 4, 5, 6
        ON CONFLICT (org_id, user_id, day, kind, reached, purpose)
        DO UPDATE SET n = activity_daily.n + excluded.n, minutes = activity_daily.minutes + excluded.minutes;
    RETURN NULL;
END
$$;
CREATE FUNCTION activity_daily_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO activity_daily (org_id, user_id, day, kind, reached, purpose, n, minutes)
        SELECT org_id, user_id, day, kind, reached, purpose, SUM(n), SUM(minutes) FROM (
            SELECT org_id, user_id, activity_day(occurred_at) AS day, kind, COALESCE(reached, -1) AS reached,
                   COALESCE(purpose, '') AS purpose, -1 AS n, -COALESCE(duration_minutes, 0) AS minutes
                FROM old_rows
            UNION ALL
            SELECT org_id, user_id, activity_day(occurred_at) AS day, kind, COALESCE(reached, -1) AS reached,
                   COALESCE(purpose, '') AS purpose, 1 AS n, COALESCE(duration_minutes, 0) AS minutes
                FROM new_rows
        ) d GROUP BY org_id, user_id, day, kind, reached, purpose
        HAVING SUM(n) <> 0 OR SUM(minutes) <> 0
        ORDER BY 1, 2, 3, 4, 5, 6
        ON CONFLICT (org_id, user_id, day, kind, reached, purpose)
        DO UPDATE SET n = activity_daily.n + excluded.n, minutes = activity_daily.minutes + excluded.minutes;
    RETURN NULL;
END
$$;
CREATE TRIGGER activity_daily_insert AFTER INSERT ON activities
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION activity_daily_inserted();
CREATE TRIGGER activity_daily_delete AFTER DELETE ON activities
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION activity_daily_deleted();
CREATE TRIGGER activity_daily_update AFTER UPDATE ON activities
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION activity_daily_updated();
INSERT INTO activity_daily (org_id, user_id, day, kind, reached, purpose, n, minutes)
    SELECT org_id, user_id, activity_day(occurred_at), kind, COALESCE(reached, -1), COALESCE(purpose, ''),
           COUNT(*), SUM(COALESCE(duration_minutes, 0))
    FROM activities GROUP BY 1, 2, 3, 4, 5, 6;
-- postgres:end
