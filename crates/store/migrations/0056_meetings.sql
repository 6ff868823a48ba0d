-- Sales meetings (issue 15): a team's morning, evening and weekly meetings with attendance,
-- minutes and the decisions given as tasks.
CREATE TABLE meetings (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    organizer_id BIGINT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    held_on TEXT NOT NULL,
    minutes TEXT NOT NULL DEFAULT '',
    closed_at TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX meetings_organizer ON meetings(org_id, organizer_id, held_on);

CREATE TABLE meeting_attendance (
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    meeting_id BIGINT NOT NULL REFERENCES meetings(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    status TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (org_id, meeting_id, user_id)
);
CREATE INDEX meeting_attendance_user ON meeting_attendance(org_id, user_id);

CREATE TABLE meeting_tasks (
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    meeting_id BIGINT NOT NULL REFERENCES meetings(id),
    task_id BIGINT NOT NULL REFERENCES tasks(id),
    PRIMARY KEY (org_id, meeting_id, task_id)
);
