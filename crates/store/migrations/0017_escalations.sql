-- Market situation and complaint reports, delivered to every superior's inbox.
CREATE TABLE escalations (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    author_id BIGINT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    customer_id BIGINT REFERENCES customers(id),
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX escalations_author ON escalations(org_id, author_id, created_at);

CREATE TABLE inbox (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    escalation_id BIGINT NOT NULL REFERENCES escalations(id),
    read_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX inbox_user ON inbox(org_id, user_id, read_at);
