-- Imports people can trust (issue 16): the column mapping chosen for a file layout is
-- remembered per company; an uploaded file waits as a draft while its columns are mapped and
-- a dry run is read (a day at most), so that no server keeps it in memory.
CREATE TABLE import_layouts (
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    signature TEXT NOT NULL,
    mapping TEXT NOT NULL,
    updated_by BIGINT REFERENCES users(id),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (org_id, signature)
);

CREATE TABLE import_drafts (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    file_name TEXT NOT NULL,
    content TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX import_drafts_of ON import_drafts(org_id, user_id);
CREATE INDEX import_drafts_age ON import_drafts(created_at);
