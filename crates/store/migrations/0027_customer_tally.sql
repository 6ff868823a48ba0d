-- Live customers counted per (owner, pool), kept by triggers in the same transaction as every
-- change of a customer's owner, pool or deletion. A list's exact "total" over a whole scope
-- (a supervisor's quarter of the company, the director's all) and the dashboard's pool count
-- then add up a few hundred tally rows instead of counting a million index entries.
-- Owner 0 is "no owner" (the pool), pool 0 is "no pool".
-- SQLite only: it has one writer, so the tally rows cannot deadlock or queue writers. On
-- PostgreSQL every claim and recycle would serialise on the pool's tally row; there the counts
-- stay index-only scans.
-- sqlite:begin
CREATE TABLE customer_tally (
    org_id INTEGER NOT NULL,
    owner_id INTEGER NOT NULL,
    pool_id INTEGER NOT NULL,
    live INTEGER NOT NULL,
    PRIMARY KEY (org_id, owner_id, pool_id)
) WITHOUT ROWID;
CREATE TRIGGER customer_tally_insert AFTER INSERT ON customers WHEN new.deleted_at IS NULL BEGIN
    INSERT INTO customer_tally (org_id, owner_id, pool_id, live)
        VALUES (new.org_id, COALESCE(new.owner_id, 0), COALESCE(new.pool_id, 0), 1)
        ON CONFLICT (org_id, owner_id, pool_id) DO UPDATE SET live = live + 1;
END;
CREATE TRIGGER customer_tally_delete AFTER DELETE ON customers WHEN old.deleted_at IS NULL BEGIN
    UPDATE customer_tally SET live = live - 1
        WHERE org_id = old.org_id AND owner_id = COALESCE(old.owner_id, 0) AND pool_id = COALESCE(old.pool_id, 0);
END;
CREATE TRIGGER customer_tally_update AFTER UPDATE OF org_id, owner_id, pool_id, deleted_at ON customers
WHEN old.org_id IS NOT new.org_id OR old.owner_id IS NOT new.owner_id OR old.pool_id IS NOT new.pool_id
     OR (old.deleted_at IS NULL) <> (new.deleted_at IS NULL) BEGIN
    UPDATE customer_tally SET live = live - 1
        WHERE old.deleted_at IS NULL
          AND org_id = old.org_id AND owner_id = COALESCE(old.owner_id, 0) AND pool_id = COALESCE(old.pool_id, 0);
    INSERT INTO customer_tally (org_id, owner_id, pool_id, live)
        SELECT new.org_id, COALESCE(new.owner_id, 0), COALESCE(new.pool_id, 0), 1 WHERE new.deleted_at IS NULL
        ON CONFLICT (org_id, owner_id, pool_id) DO UPDATE SET live = live + 1;
END;
INSERT INTO customer_tally (org_id, owner_id, pool_id, live)
    SELECT org_id, COALESCE(owner_id, 0), COALESCE(pool_id, 0), COUNT(*) FROM customers
    WHERE deleted_at IS NULL GROUP BY org_id, COALESCE(owner_id, 0), COALESCE(pool_id, 0);
-- sqlite:end
-- The customer list's default order (updated, then id) with the owner in the index: a deep page
-- of a subtree skips its OFFSET rows inside the index instead of reading each customer row to
-- test its owner. The id must come before the owner, or rows updated at the same instant (an
-- import) are sorted again on every request.
DROP INDEX customers_live_updated;
CREATE INDEX customers_live_updated ON customers(org_id, updated_at, id, owner_id) WHERE deleted_at IS NULL;
-- The pool's list (most recently contacted first) in index order: after a recycle the pool holds
-- a large share of the company, which the list otherwise sorted in full for every page.
CREATE INDEX customers_pool_order ON customers(org_id, last_contact_at, id, pool_id) WHERE owner_id IS NULL AND deleted_at IS NULL;
-- A team's overdue receivables (weekly report, ledgers) by owner: the company-wide open-orders
-- index made a small team's report read every open order of the company.
CREATE INDEX orders_owner_open ON orders(org_id, owner_id, settled, due_date);
