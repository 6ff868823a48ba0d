-- The latest follow-up of each customer, kept on the customer by a trigger in the same
-- transaction as every logged activity (a merge that moves activities recomputes both customers,
-- `activity::refresh_last_activity`): the list's
-- "no follow-up for N days" and "latest follow-up was a …" filters — the commonest segments,
-- sleeping customers — read one index range instead of probing every customer's activities
-- (a director's 100,000 customers: 230 ms). '' is "never": it sorts before every instant.
ALTER TABLE customers ADD COLUMN last_activity_at TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN last_activity_kind TEXT;
UPDATE customers SET last_activity_at = COALESCE((SELECT MAX(a.occurred_at) FROM activities a
    WHERE a.org_id = customers.org_id AND a.customer_id = customers.id), '');
UPDATE customers SET last_activity_kind = (SELECT a.kind FROM activities a
    WHERE a.org_id = customers.org_id AND a.customer_id = customers.id
    ORDER BY a.occurred_at DESC, a.id DESC LIMIT 1)
    WHERE last_activity_at <> '';
CREATE INDEX customers_last_activity ON customers(org_id, last_activity_at, owner_id) WHERE deleted_at IS NULL;
-- sqlite:begin
CREATE TRIGGER customers_last_activity AFTER INSERT ON activities BEGIN
    UPDATE customers SET last_activity_at = new.occurred_at, last_activity_kind = new.kind
        WHERE id = new.customer_id AND last_activity_at <= new.occurred_at;
END;
-- sqlite:end
-- postgres:begin
CREATE FUNCTION customers_last_activity() RETURNS trigger AS $$
BEGIN
    UPDATE customers SET last_activity_at = NEW.occurred_at, last_activity_kind = NEW.kind
        WHERE id = NEW.customer_id AND last_activity_at <= NEW.occurred_at;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER customers_last_activity AFTER INSERT ON activities
    FOR EACH ROW EXECUTE FUNCTION customers_last_activity();
-- postgres:end
