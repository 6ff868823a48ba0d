-- Whether customers with a deal count towards a salesperson's holding cap (they do by default).
ALTER TABLE organizations ADD COLUMN holding_cap_counts_deals BIGINT NOT NULL DEFAULT 1;
