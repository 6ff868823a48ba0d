-- Recycle exemptions: customers with an open opportunity, or with a deal (a won opportunity),
-- may keep their owner past the protection period. Off by default (the seed's plain 7-day rule).
ALTER TABLE organizations ADD COLUMN exempt_open_opportunity BIGINT NOT NULL DEFAULT 0;
ALTER TABLE organizations ADD COLUMN exempt_with_deal BIGINT NOT NULL DEFAULT 0;
