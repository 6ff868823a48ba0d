-- Quotations (issue 15): lines from the price list with discounts, a validity and terms; each
-- submitted change is a new version, kept; an accepted quotation becomes an order.
ALTER TABLE organizations ADD COLUMN quotation_settings TEXT NOT NULL DEFAULT '{}';

CREATE TABLE quotations (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    owner_id BIGINT NOT NULL REFERENCES users(id),
    current_version BIGINT NOT NULL,
    status TEXT NOT NULL,
    total TEXT NOT NULL,
    currency TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    order_id BIGINT REFERENCES orders(id),
    version BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX quotations_owner ON quotations(org_id, owner_id, updated_at);
CREATE INDEX quotations_customer ON quotations(org_id, customer_id);

CREATE TABLE quotation_versions (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    quotation_id BIGINT NOT NULL REFERENCES quotations(id),
    number BIGINT NOT NULL,
    lines TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    terms TEXT NOT NULL,
    total TEXT NOT NULL,
    max_discount TEXT NOT NULL,
    approver_id BIGINT REFERENCES users(id),
    approved_at TEXT,
    note TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX quotation_versions_number ON quotation_versions(org_id, quotation_id, number);
