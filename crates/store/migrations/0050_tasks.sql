-- Written commands (issue 15): who does what, by when, where, with which plan and how it is
-- checked; acknowledged, reported on and completed by the assignee; and their history.
CREATE TABLE tasks (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    assigner_id BIGINT NOT NULL REFERENCES users(id),
    assignee_id BIGINT NOT NULL REFERENCES users(id),
    title TEXT NOT NULL,
    place TEXT NOT NULL,
    plan TEXT NOT NULL,
    check_method TEXT NOT NULL,
    customer_id BIGINT REFERENCES customers(id),
    due_at TEXT NOT NULL,
    status TEXT NOT NULL,
    acknowledged_at TEXT,
    done_at TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX tasks_assignee ON tasks(org_id, assignee_id, status, due_at);
CREATE INDEX tasks_assigner ON tasks(org_id, assigner_id, status, due_at);

CREATE TABLE task_events (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    task_id BIGINT NOT NULL REFERENCES tasks(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    step TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX task_events_task ON task_events(org_id, task_id, id);
