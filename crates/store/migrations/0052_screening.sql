-- Scored screening of key accounts (issue 15): each screening is kept with its factor scores;
-- the customer carries the latest scores beside the levels the matrix reads.
ALTER TABLE organizations ADD COLUMN screening_settings TEXT NOT NULL DEFAULT '{}';
ALTER TABLE customers ADD COLUMN attractiveness_score BIGINT;
ALTER TABLE customers ADD COLUMN ability_score BIGINT;

CREATE TABLE screenings (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    scores TEXT NOT NULL,
    attractiveness_score BIGINT NOT NULL,
    ability_score BIGINT NOT NULL,
    class TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX screenings_customer ON screenings(org_id, customer_id, id);
-- The matrix page counts and lists each quadrant within a scope.
CREATE INDEX customers_matrix ON customers(org_id, attractiveness, ability_to_win, owner_id) WHERE deleted_at IS NULL;
