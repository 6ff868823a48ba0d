-- Joint visits and coaching notes (issue 15): a superior joins a planned visit and reviews it;
-- notes on weak and new salespeople are kept per person.
CREATE TABLE joint_visits (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    plan_id BIGINT NOT NULL REFERENCES visit_plans(id),
    item_index BIGINT NOT NULL,
    salesperson_id BIGINT NOT NULL REFERENCES users(id),
    supervisor_id BIGINT NOT NULL REFERENCES users(id),
    customer_id BIGINT REFERENCES customers(id),
    customer_name TEXT NOT NULL,
    visit_date TEXT NOT NULL,
    start_time TEXT NOT NULL,
    strengths TEXT NOT NULL DEFAULT '',
    corrections TEXT NOT NULL DEFAULT '',
    score BIGINT,
    activity_id BIGINT REFERENCES activities(id),
    reviewed_at TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX joint_visits_item ON joint_visits(org_id, plan_id, item_index, supervisor_id);
CREATE INDEX joint_visits_salesperson ON joint_visits(org_id, salesperson_id, visit_date);
CREATE INDEX joint_visits_supervisor ON joint_visits(org_id, supervisor_id, visit_date);

CREATE TABLE coaching_notes (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    person_id BIGINT NOT NULL REFERENCES users(id),
    author_id BIGINT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX coaching_notes_person ON coaching_notes(org_id, person_id, id);
