-- Account plans (issue 15): one plan per key account and year, written by its account manager
-- as revisions that are never changed once submitted; approved actions become tasks; the
-- manager's superiors evaluate the account's management and the people.
CREATE TABLE account_plans (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    manager_id BIGINT NOT NULL REFERENCES users(id),
    year BIGINT NOT NULL,
    latest_revision BIGINT NOT NULL,
    status TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX account_plans_customer_year ON account_plans(org_id, customer_id, year);
CREATE INDEX account_plans_manager ON account_plans(org_id, manager_id, year);

CREATE TABLE account_plan_revisions (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    plan_id BIGINT NOT NULL REFERENCES account_plans(id),
    number BIGINT NOT NULL,
    content TEXT NOT NULL,
    stamps TEXT NOT NULL,
    status TEXT NOT NULL,
    submitted_at TEXT,
    reviewer_id BIGINT REFERENCES users(id),
    reviewed_at TEXT,
    review_note TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX account_plan_revisions_number ON account_plan_revisions(org_id, plan_id, number);

CREATE TABLE account_plan_tasks (
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    plan_id BIGINT NOT NULL REFERENCES account_plans(id),
    action_key TEXT NOT NULL,
    task_id BIGINT NOT NULL REFERENCES tasks(id),
    PRIMARY KEY (org_id, plan_id, action_key)
);

CREATE TABLE account_plan_evaluations (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    plan_id BIGINT NOT NULL REFERENCES account_plans(id),
    evaluator_id BIGINT NOT NULL REFERENCES users(id),
    management_score BIGINT NOT NULL,
    people_score BIGINT NOT NULL,
    note TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX account_plan_evaluations_plan ON account_plan_evaluations(org_id, plan_id, id);
