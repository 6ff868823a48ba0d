-- Lists and counts by owner always look at live customers: with the index limited to them, a
-- supervisor's "N customers" is counted from the index alone, without reading each row.
DROP INDEX customers_owner;
CREATE INDEX customers_owner ON customers(org_id, owner_id, updated_at) WHERE deleted_at IS NULL;
