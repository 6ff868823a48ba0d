-- Weekly reports compiled for each supervisor's team, expense advances kept by the clerk,
-- and the index the period reports read activities through.
CREATE INDEX activities_user ON activities(org_id, user_id, occurred_at);
CREATE INDEX customers_created ON customers(org_id, created_at);
CREATE INDEX order_payments_recorded ON order_payments(org_id, recorded_at);
CREATE INDEX orders_created ON orders(org_id, created_at);

CREATE TABLE weekly_reports (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    supervisor_id BIGINT NOT NULL REFERENCES users(id),
    week_start TEXT NOT NULL,
    content TEXT NOT NULL,
    next_week_goals TEXT,
    compiled_at TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX weekly_reports_week ON weekly_reports(org_id, supervisor_id, week_start);

CREATE TABLE expense_advances (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    amount TEXT NOT NULL,
    purpose TEXT NOT NULL,
    occurred_on TEXT NOT NULL,
    recorded_by BIGINT NOT NULL REFERENCES users(id),
    recorded_at TEXT NOT NULL
);
CREATE INDEX expense_advances_user ON expense_advances(org_id, user_id, occurred_on);
