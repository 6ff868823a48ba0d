-- Card-field filters of the customer list and segments (issue 14): the region, industry,
-- source and tier of live customers, with the owner so that a team's scope is checked in the
-- index — a filtered count reads one index range instead of every customer row.
CREATE INDEX customers_card_region ON customers(org_id, region, owner_id) WHERE deleted_at IS NULL;
CREATE INDEX customers_card_industry ON customers(org_id, industry, owner_id) WHERE deleted_at IS NULL;
CREATE INDEX customers_card_source ON customers(org_id, source, owner_id) WHERE deleted_at IS NULL;
CREATE INDEX customers_card_tier ON customers(org_id, tier, owner_id) WHERE deleted_at IS NULL;
