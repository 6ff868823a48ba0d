-- The statistics cube (issue 11: every statistics query p95 ≤ 300 ms at a million customers).
-- stat_cells: each person's month of facts summed per dimension value ("" for all facts, each
-- card field, product, category); bitmaps (base64 roaring) of the customers who ordered and who
-- were visited keep distinct counts exact. stat_contrib: what each customer adds for each
-- person, so that a change is applied as "take back the old, add the new". stat_dirty: the
-- customers changed since they were last folded in; triggers mark them in the writing
-- transaction (every path that writes an order, a line, a payment, a visit or a card field),
-- readers add their pending change, and `Store::fold_statistics` folds them in.
CREATE TABLE stat_cells (
    org_id BIGINT NOT NULL,
    dim TEXT NOT NULL,
    month TEXT NOT NULL,
    person_id BIGINT NOT NULL,
    value TEXT NOT NULL,
    sales TEXT NOT NULL,
    margin TEXT NOT NULL,
    lines_without_cost BIGINT NOT NULL,
    orders BIGINT NOT NULL,
    collected TEXT NOT NULL,
    new_customers BIGINT NOT NULL,
    visits BIGINT NOT NULL,
    buyers TEXT NOT NULL,
    visited TEXT NOT NULL,
    PRIMARY KEY (org_id, dim, month, person_id, value)
)
-- sqlite:begin
WITHOUT ROWID
-- sqlite:end
;
CREATE TABLE stat_contrib (
    org_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    person_id BIGINT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (org_id, customer_id, person_id)
)
-- sqlite:begin
WITHOUT ROWID
-- sqlite:end
;
CREATE TABLE stat_dirty (
    org_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (org_id, customer_id)
)
-- sqlite:begin
WITHOUT ROWID
-- sqlite:end
;
-- sqlite:begin
CREATE TRIGGER stat_dirty_customer_insert AFTER INSERT ON customers BEGIN
    INSERT INTO stat_dirty (org_id, customer_id, seq) VALUES (new.org_id, new.id, 1)
        ON CONFLICT (org_id, customer_id) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER stat_dirty_customer_update AFTER UPDATE OF region, industry, source, tier,
    man_money, man_authority, man_need, attractiveness, ability_to_win, dealer, kind, created_by,
    created_at, deleted_at ON customers BEGIN
    INSERT INTO stat_dirty (org_id, customer_id, seq) VALUES (new.org_id, new.id, 1)
        ON CONFLICT (org_id, customer_id) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER stat_dirty_order_insert AFTER INSERT ON orders BEGIN
    INSERT INTO stat_dirty (org_id, customer_id, seq) VALUES (new.org_id, new.customer_id, 1)
        ON CONFLICT (org_id, customer_id) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER stat_dirty_order_update AFTER UPDATE OF customer_id, owner_id, created_at, currency
    ON orders BEGIN
    INSERT INTO stat_dirty (org_id, customer_id, seq) VALUES (old.org_id, old.customer_id, 1)
        ON CONFLICT (org_id, customer_id) DO UPDATE SET seq = seq + 1;
    INSERT INTO stat_dirty (org_id, customer_id, seq) VALUES (new.org_id, new.customer_id, 1)
        ON CONFLICT (org_id, customer_id) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER stat_dirty_order_delete AFTER DELETE ON orders BEGIN
    INSERT INTO stat_dirty (org_id, customer_id, seq) VALUES (old.org_id, old.customer_id, 1)
        ON CONFLICT (org_id, customer_id) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER stat_dirty_line_insert AFTER INSERT ON order_lines BEGIN
    INSERT INTO stat_dirty (org_id, customer_id, seq)
        SELECT o.org_id, o.customer_id, 1 FROM orders o WHERE o.org_id = new.org_id AND o.id = new.order_id
        ON CONFLICT (org_id, customer_id) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER stat_dirty_line_update AFTER UPDATE ON order_lines BEGIN
    INSERT INTO stat_dirty (org_id, customer_id, seq)
        SELECT o.org_id, o.customer_id, 1 FROM orders o WHERE o.org_id = new.org_id AND o.id IN (old.order_id, new.order_id)
        ON CONFLICT (org_id, customer_id) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER stat_dirty_line_delete AFTER DELETE ON order_lines BEGIN
    INSERT INTO stat_dirty (org_id, customer_id, seq)
        SELECT o.org_id, o.customer_id, 1 FROM orders o WHERE o.org_id = old.org_id AND o.id = old.order_id
        ON CONFLICT (org_id, customer_id) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER stat_dirty_payment_insert AFTER INSERT ON order_payments BEGIN
    INSERT INTO stat_dirty (org_id, customer_id, seq)
        SELECT o.org_id, o.customer_id, 1 FROM orders o WHERE o.org_id = new.org_id AND o.id = new.order_id
        ON CONFLICT (org_id, customer_id) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER stat_dirty_payment_update AFTER UPDATE ON order_payments BEGIN
    INSERT INTO stat_dirty (org_id, customer_id, seq)
        SELECT o.org_id, o.customer_id, 1 FROM orders o WHERE o.org_id = new.org_id AND o.id IN (old.order_id, new.order_id)
        ON CONFLICT (org_id, customer_id) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER stat_dirty_payment_delete AFTER DELETE ON order_payments BEGIN
    INSERT INTO stat_dirty (org_id, customer_id, seq)
        SELECT o.org_id, o.customer_id, 1 FROM orders o WHERE o.org_id = old.org_id AND o.id = old.order_id
        ON CONFLICT (org_id, customer_id) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER stat_dirty_visit_insert AFTER INSERT ON activities WHEN new.kind = 'visit' BEGIN
    INSERT INTO stat_dirty (org_id, customer_id, seq) VALUES (new.org_id, new.customer_id, 1)
        ON CONFLICT (org_id, customer_id) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER stat_dirty_visit_update AFTER UPDATE OF kind, user_id, customer_id, occurred_at
    ON activities WHEN old.kind = 'visit' OR new.kind = 'visit' BEGIN
    INSERT INTO stat_dirty (org_id, customer_id, seq) VALUES (old.org_id, old.customer_id, 1)
        ON CONFLICT (org_id, customer_id) DO UPDATE SET seq = seq + 1;
    INSERT INTO stat_dirty (org_id, customer_id, seq) VALUES (new.org_id, new.customer_id, 1)
        ON CONFLICT (org_id, customer_id) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER stat_dirty_visit_delete AFTER DELETE ON activities WHEN old.kind = 'visit' BEGIN
    INSERT INTO stat_dirty (org_id, customer_id, seq) VALUES (old.org_id, old.customer_id, 1)
        ON CONFLICT (org_id, customer_id) DO UPDATE SET seq = seq + 1;
END;
-- sqlite:end
-- postgres:begin
-- Inserts (imports of many rows) mark per statement from the transition table; updates and
-- deletes per row, for the columns statistics read.
CREATE FUNCTION stat_mark(o BIGINT, c BIGINT) RETURNS void LANGUAGE sql AS $$
    INSERT INTO stat_dirty (org_id, customer_id, seq) VALUES (o, c, 1)
        ON CONFLICT (org_id, customer_id) DO UPDATE SET seq = stat_dirty.seq + 1
$$;
CREATE FUNCTION stat_mark_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'customers' THEN
        INSERT INTO stat_dirty (org_id, customer_id, seq)
            SELECT org_id, id, 1 FROM new_rows ORDER BY 1, 2
            ON CONFLICT (org_id, customer_id) DO UPDATE SET seq = stat_dirty.seq + 1;
    ELSIF TG_TABLE_NAME = 'orders' THEN
        INSERT INTO stat_dirty (org_id, customer_id, seq)
            SELECT DISTINCT org_id, customer_id, 1 FROM new_rows ORDER BY 1, 2
            ON CONFLICT (org_id, customer_id) DO UPDATE SET seq = stat_dirty.seq + 1;
    ELSIF TG_TABLE_NAME = 'activities' THEN
        INSERT INTO stat_dirty (org_id, customer_id, seq)
            SELECT DISTINCT org_id, customer_id, 1 FROM new_rows WHERE kind = 'visit' ORDER BY 1, 2
            ON CONFLICT (org_id, customer_id) DO UPDATE SET seq = stat_dirty.seq + 1;
    ELSE
        INSERT INTO stat_dirty (org_id, customer_id, seq)
            SELECT DISTINCT o.org_id, o.customer_id, 1 FROM new_rows n
            JOIN orders o ON o.org_id = n.org_id AND o.id = n.order_id ORDER BY 1, 2
            ON CONFLICT (org_id, customer_id) DO UPDATE SET seq = stat_dirty.seq + 1;
    END IF;
    RETURN NULL;
END
$$;
-- One function per table: PL/pgSQL resolves OLD.kind at run time, and orders have none.
CREATE FUNCTION stat_mark_customer_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM stat_mark(NEW.org_id, NEW.id);
    RETURN NULL;
END
$$;
CREATE FUNCTION stat_mark_order_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM stat_mark(OLD.org_id, OLD.customer_id);
    IF TG_OP = 'UPDATE' THEN
        PERFORM stat_mark(NEW.org_id, NEW.customer_id);
    END IF;
    RETURN NULL;
END
$$;
CREATE FUNCTION stat_mark_order_child_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM stat_mark(o.org_id, o.customer_id) FROM orders o
        WHERE o.org_id = OLD.org_id AND o.id = OLD.order_id;
    IF TG_OP = 'UPDATE' THEN
        PERFORM stat_mark(o.org_id, o.customer_id) FROM orders o
            WHERE o.org_id = NEW.org_id AND o.id = NEW.order_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE FUNCTION stat_mark_visit_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.kind = 'visit' THEN
        PERFORM stat_mark(OLD.org_id, OLD.customer_id);
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF NEW.kind = 'visit' THEN
            PERFORM stat_mark(NEW.org_id, NEW.customer_id);
        END IF;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER stat_dirty_customer_insert AFTER INSERT ON customers
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stat_mark_inserted();
CREATE TRIGGER stat_dirty_customer_update AFTER UPDATE OF region, industry, source, tier,
    man_money, man_authority, man_need, attractiveness, ability_to_win, dealer, kind, created_by,
    created_at, deleted_at ON customers FOR EACH ROW EXECUTE FUNCTION stat_mark_customer_row();
CREATE TRIGGER stat_dirty_order_insert AFTER INSERT ON orders
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stat_mark_inserted();
CREATE TRIGGER stat_dirty_order_update AFTER UPDATE OF customer_id, owner_id, created_at, currency
    ON orders FOR EACH ROW EXECUTE FUNCTION stat_mark_order_row();
CREATE TRIGGER stat_dirty_order_delete AFTER DELETE ON orders FOR EACH ROW EXECUTE FUNCTION stat_mark_order_row();
CREATE TRIGGER stat_dirty_line_insert AFTER INSERT ON order_lines
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stat_mark_inserted();
CREATE TRIGGER stat_dirty_line_change AFTER UPDATE OR DELETE ON order_lines
    FOR EACH ROW EXECUTE FUNCTION stat_mark_order_child_row();
CREATE TRIGGER stat_dirty_payment_insert AFTER INSERT ON order_payments
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stat_mark_inserted();
CREATE TRIGGER stat_dirty_payment_change AFTER UPDATE OR DELETE ON order_payments
    FOR EACH ROW EXECUTE FUNCTION stat_mark_order_child_row();
CREATE TRIGGER stat_dirty_visit_insert AFTER INSERT ON activities
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stat_mark_inserted();
CREATE TRIGGER stat_dirty_visit_change AFTER UPDATE OF kind, user_id, customer_id, occurred_at OR DELETE
    ON activities FOR EACH ROW EXECUTE FUNCTION stat_mark_visit_row();
-- postgres:end
