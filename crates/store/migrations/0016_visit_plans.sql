-- Daily visit plans: one per salesperson and day, revised by new revisions once approved.
CREATE TABLE visit_plans (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    plan_date TEXT NOT NULL,
    revision BIGINT NOT NULL DEFAULT 1,
    items TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'draft',
    submitted_at TEXT,
    late BIGINT NOT NULL DEFAULT 0,
    reviewed_by BIGINT REFERENCES users(id),
    reviewed_at TEXT,
    review_comment TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX visit_plans_day ON visit_plans(org_id, user_id, plan_date, revision);
CREATE INDEX visit_plans_status ON visit_plans(org_id, status, plan_date);
