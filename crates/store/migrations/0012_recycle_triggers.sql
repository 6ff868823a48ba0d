-- More recycle triggers (0 = off): an owner who opens no opportunity, or wins no deal, on a
-- customer within N days of holding it loses it to the pool.
ALTER TABLE organizations ADD COLUMN no_opportunity_days BIGINT NOT NULL DEFAULT 0;
ALTER TABLE organizations ADD COLUMN no_deal_days BIGINT NOT NULL DEFAULT 0;
