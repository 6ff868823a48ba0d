-- Customer economics (issue 11): each customer's estimated yearly spending in our category,
-- so that our share of it can be followed (partial defection).
CREATE TABLE customer_spend_estimates (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    year BIGINT NOT NULL,
    amount TEXT NOT NULL,
    updated_by BIGINT NOT NULL REFERENCES users(id),
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX customer_spend_estimates_year ON customer_spend_estimates(org_id, customer_id, year);
CREATE INDEX customer_spend_estimates_by_year ON customer_spend_estimates(org_id, year);
