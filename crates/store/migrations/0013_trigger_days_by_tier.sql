-- Per-tier periods for the opportunity and deal triggers (NULL = the company-wide value).
ALTER TABLE organizations ADD COLUMN no_opportunity_days_priority BIGINT;
ALTER TABLE organizations ADD COLUMN no_opportunity_days_general BIGINT;
ALTER TABLE organizations ADD COLUMN no_opportunity_days_last BIGINT;
ALTER TABLE organizations ADD COLUMN no_deal_days_priority BIGINT;
ALTER TABLE organizations ADD COLUMN no_deal_days_general BIGINT;
ALTER TABLE organizations ADD COLUMN no_deal_days_last BIGINT;
