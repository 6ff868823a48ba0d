-- The customer list's default order (last updated first) over live customers: with this index a
-- page of a large scope is read in order instead of sorting every customer in it.
CREATE INDEX customers_live_updated ON customers(org_id, updated_at) WHERE deleted_at IS NULL;
-- Dealers are few: the dashboard's dealer statistics read them through this index.
CREATE INDEX customers_dealers ON customers(org_id) WHERE dealer IS NOT NULL;
