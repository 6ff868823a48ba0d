-- Dealer data (NULL = not a dealer) and new-customer development reports with review.
ALTER TABLE customers ADD COLUMN dealer TEXT;
CREATE TABLE development_reports (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    author_id BIGINT NOT NULL REFERENCES users(id),
    report TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    reviewed_by BIGINT REFERENCES users(id),
    reviewed_at TEXT,
    review_comment TEXT,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX development_reports_customer ON development_reports(org_id, customer_id);
