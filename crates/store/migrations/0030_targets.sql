-- Targets (issue 11): one plan per organization and year, edited as draft lines and published
-- as numbered, immutable copies; attainment reads the latest publication.
CREATE TABLE target_plans (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    year BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    -- The draft version the latest publication copied (NULL: never published).
    published_plan_version BIGINT,
    publications BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX target_plans_year ON target_plans(org_id, year);

-- assignee_id 0 is the company; dim_kind '' is the whole measure.
CREATE TABLE target_lines (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    plan_id BIGINT NOT NULL REFERENCES target_plans(id),
    measure TEXT NOT NULL,
    assignee_id BIGINT NOT NULL,
    period TEXT NOT NULL,
    dim_kind TEXT NOT NULL DEFAULT '',
    dim_value TEXT NOT NULL DEFAULT '',
    amount TEXT NOT NULL
);
CREATE UNIQUE INDEX target_lines_key ON target_lines(org_id, plan_id, measure, assignee_id, period, dim_kind, dim_value);

CREATE TABLE target_publications (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    plan_id BIGINT NOT NULL REFERENCES target_plans(id),
    number BIGINT NOT NULL,
    plan_version BIGINT NOT NULL,
    gaps BIGINT NOT NULL,
    accepted_difference BIGINT NOT NULL,
    note TEXT,
    published_by BIGINT NOT NULL REFERENCES users(id),
    published_at TEXT NOT NULL
);
CREATE UNIQUE INDEX target_publications_number ON target_publications(org_id, plan_id, number);

CREATE TABLE published_target_lines (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    publication_id BIGINT NOT NULL REFERENCES target_publications(id),
    measure TEXT NOT NULL,
    assignee_id BIGINT NOT NULL,
    period TEXT NOT NULL,
    dim_kind TEXT NOT NULL DEFAULT '',
    dim_value TEXT NOT NULL DEFAULT '',
    amount TEXT NOT NULL
);
CREATE INDEX published_target_lines_assignee ON published_target_lines(org_id, publication_id, assignee_id);
