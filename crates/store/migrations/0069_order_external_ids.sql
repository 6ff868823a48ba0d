-- Orders imported from another system keep its order number (issue 16), so that importing the
-- same file again changes nothing.
ALTER TABLE orders ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX orders_external ON orders(org_id, external_id) WHERE external_id IS NOT NULL;
