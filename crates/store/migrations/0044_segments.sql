-- Saved segments (issue 14): a customer-list filter under a name, personal or shared with the
-- owner's team (`domain::segment`). Members are computed when the segment is used.
CREATE TABLE segments (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    owner_id BIGINT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    shared BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE INDEX segments_owner ON segments(org_id, owner_id);
