-- Several public pools (by region or team), each with members, pool admins and its own
-- protection periods per customer tier. Customers without a pool belong to the company pool.
CREATE TABLE pools (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    name TEXT NOT NULL,
    region TEXT,
    protection_days BIGINT,
    priority_days BIGINT,
    general_days BIGINT,
    last_days BIGINT,
    active BIGINT NOT NULL DEFAULT 1,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
CREATE INDEX pools_org ON pools(org_id, region);

CREATE TABLE pool_members (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    pool_id BIGINT NOT NULL REFERENCES pools(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    is_admin BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX pool_members_unique ON pool_members(org_id, pool_id, user_id);
CREATE INDEX pool_members_user ON pool_members(org_id, user_id);

ALTER TABLE customers ADD COLUMN pool_id BIGINT REFERENCES pools(id);
CREATE INDEX customers_pool ON customers(org_id, pool_id, owner_id);
