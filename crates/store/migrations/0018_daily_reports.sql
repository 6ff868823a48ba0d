-- Daily sales reports, one per salesperson and day, reviewed by a superior.
CREATE TABLE daily_reports (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    report_date TEXT NOT NULL,
    content TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    late BIGINT NOT NULL DEFAULT 0,
    reviewed_by BIGINT REFERENCES users(id),
    reviewed_at TEXT,
    review_comment TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX daily_reports_day ON daily_reports(org_id, user_id, report_date);
