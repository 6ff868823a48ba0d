-- Opportunities through the stages of a sale, with amount, expected close and outcome.
CREATE TABLE opportunities (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    owner_id BIGINT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    stage TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    amount TEXT NOT NULL,
    currency TEXT NOT NULL DEFAULT 'CNY',
    probability BIGINT NOT NULL,
    expected_close TEXT,
    closed_at TEXT,
    lost_reason TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX opportunities_owner ON opportunities(org_id, owner_id, status, stage);
CREATE INDEX opportunities_customer ON opportunities(org_id, customer_id);
