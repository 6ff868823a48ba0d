-- Budgets (issue 12, seed 003): each team's (by its supervisor) sales and expense budget for a month.
CREATE TABLE budgets (
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    supervisor_id BIGINT NOT NULL REFERENCES users(id),
    month TEXT NOT NULL,
    sales TEXT,
    expenses TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    updated_by BIGINT NOT NULL REFERENCES users(id),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (org_id, supervisor_id, month)
);
