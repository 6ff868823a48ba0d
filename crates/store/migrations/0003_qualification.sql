-- Qualification: MAN analysis, key-account screening, tier and the contact cadence it implies.
ALTER TABLE customers ADD COLUMN man_money BIGINT;
ALTER TABLE customers ADD COLUMN man_authority BIGINT;
ALTER TABLE customers ADD COLUMN man_need BIGINT;
ALTER TABLE customers ADD COLUMN attractiveness TEXT;
ALTER TABLE customers ADD COLUMN ability_to_win TEXT;
ALTER TABLE customers ADD COLUMN tier TEXT;
ALTER TABLE customers ADD COLUMN next_call_due TEXT;
ALTER TABLE customers ADD COLUMN next_visit_due TEXT;
CREATE INDEX customers_call_due ON customers(org_id, owner_id, next_call_due);
CREATE INDEX customers_visit_due ON customers(org_id, owner_id, next_visit_due);
-- Owners are warned this many days before a silent customer returns to the pool.
ALTER TABLE organizations ADD COLUMN warning_days BIGINT NOT NULL DEFAULT 2;
