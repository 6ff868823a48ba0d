-- Skip-level appeals (issue 15): past one's own superior to someone higher up, with the
-- reason; seen by the appellant and the person appealed to, who answers.
CREATE TABLE appeals (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    appellant_id BIGINT NOT NULL REFERENCES users(id),
    to_id BIGINT NOT NULL REFERENCES users(id),
    subject TEXT NOT NULL,
    reason TEXT NOT NULL,
    task_id BIGINT REFERENCES tasks(id),
    answer TEXT,
    answered_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX appeals_to ON appeals(org_id, to_id, answered_at);
CREATE INDEX appeals_appellant ON appeals(org_id, appellant_id);
