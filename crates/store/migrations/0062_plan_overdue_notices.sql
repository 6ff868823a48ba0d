-- Day plans not submitted by their deadline, announced once per person and day to the group
-- robots that take plan.overdue (issue 16).
CREATE TABLE plan_overdue_notices (
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    plan_date TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, user_id, plan_date)
);
