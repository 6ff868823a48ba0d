-- Satisfaction surveys (issue 14): questionnaires, and invitations answered once through an
-- expiring link (only a SHA-256 digest of the link's token is kept) or recorded by staff on
-- the phone. The customer's owner at the time of sending is kept for the results by
-- salesperson; scores are kept as a sum and a count so averages stay exact.
CREATE TABLE surveys (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    name TEXT NOT NULL,
    questions TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX surveys_org ON surveys(org_id, active);

CREATE TABLE survey_invitations (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    survey_id BIGINT NOT NULL REFERENCES surveys(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    order_id BIGINT REFERENCES orders(id),
    ticket_id BIGINT REFERENCES tickets(id),
    owner_id BIGINT REFERENCES users(id),
    token_digest TEXT UNIQUE,
    channel TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    answered_at TEXT,
    answers TEXT,
    score_sum BIGINT NOT NULL DEFAULT 0,
    score_count BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX survey_invitations_survey ON survey_invitations(org_id, survey_id, answered_at);
CREATE INDEX survey_invitations_customer ON survey_invitations(org_id, customer_id);
