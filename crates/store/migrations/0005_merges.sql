-- Merging duplicate customers, kept so that a merge can be undone.
ALTER TABLE customers ADD COLUMN merged_into BIGINT;
CREATE TABLE customer_merges (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    survivor_id BIGINT NOT NULL REFERENCES customers(id),
    merged_id BIGINT NOT NULL REFERENCES customers(id),
    -- What moved, as JSON: {"contacts": [...], "activities": [...], "ownership_changes": [...], "filled": [...]}
    moved TEXT NOT NULL,
    actor_id BIGINT NOT NULL REFERENCES users(id),
    merged_at TEXT NOT NULL,
    undone_at TEXT,
    undone_by BIGINT REFERENCES users(id)
);
CREATE INDEX customer_merges_org ON customer_merges(org_id, merged_at);
