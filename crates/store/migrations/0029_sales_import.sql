-- Whether salespeople may import customers (issue 10): off by default, since an import can
-- register thousands of customers to one person at once.
ALTER TABLE organizations ADD COLUMN sales_may_import BIGINT NOT NULL DEFAULT 0;
