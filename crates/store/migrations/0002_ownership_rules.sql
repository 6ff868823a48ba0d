-- Duplicate check keys, pool rules per organization, notes on ownership changes.
ALTER TABLE customers ADD COLUMN name_norm TEXT;
ALTER TABLE customers ADD COLUMN email_norm TEXT;
CREATE INDEX customers_name_norm ON customers(org_id, name_norm);
CREATE INDEX customers_email_norm ON customers(org_id, email_norm);
CREATE INDEX contacts_phone ON contacts(org_id, phone_norm);

ALTER TABLE ownership_changes ADD COLUMN note TEXT;
CREATE INDEX ownership_changes_to ON ownership_changes(org_id, to_user_id, reason, changed_at);
CREATE INDEX ownership_changes_from ON ownership_changes(org_id, customer_id, from_user_id, changed_at);

-- 0 means "no limit".
ALTER TABLE organizations ADD COLUMN claim_daily_limit BIGINT NOT NULL DEFAULT 20;
ALTER TABLE organizations ADD COLUMN holding_cap BIGINT NOT NULL DEFAULT 0;
ALTER TABLE organizations ADD COLUMN reclaim_cooldown_days BIGINT NOT NULL DEFAULT 0;
