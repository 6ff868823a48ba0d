-- The objection library (issue 15): typical refusals by product and stage, prepared answers,
-- and each time an activity met one (which answer, whether it worked).
CREATE TABLE objections (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    text TEXT NOT NULL,
    concern TEXT NOT NULL,
    product_id BIGINT REFERENCES products(id),
    stage TEXT,
    active BIGINT NOT NULL DEFAULT 1,
    created_by BIGINT NOT NULL REFERENCES users(id),
    version BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX objections_org ON objections(org_id, active);

CREATE TABLE objection_answers (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    objection_id BIGINT NOT NULL REFERENCES objections(id),
    text TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL
);
CREATE INDEX objection_answers_objection ON objection_answers(org_id, objection_id);

CREATE TABLE activity_objections (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    activity_id BIGINT NOT NULL REFERENCES activities(id),
    objection_id BIGINT NOT NULL REFERENCES objections(id),
    answer_id BIGINT REFERENCES objection_answers(id),
    worked BIGINT,
    user_id BIGINT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL
);
CREATE INDEX activity_objections_objection ON activity_objections(org_id, objection_id, answer_id);
CREATE INDEX activity_objections_activity ON activity_objections(org_id, activity_id);
