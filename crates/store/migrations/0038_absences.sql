-- Act for an absent owner (issue 12, rule 4): who is away, from which day to which (company
-- time, inclusive), entered by the person or a manager above them.
CREATE TABLE absences (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    note TEXT,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL
);
CREATE INDEX absences_user ON absences(org_id, user_id, ends_on);
CREATE INDEX absences_day ON absences(org_id, ends_on);
