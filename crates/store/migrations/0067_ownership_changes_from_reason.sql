-- The weekly report lists the customers recycled from the team's people in the week. Without an
-- index by (person, reason, time) SQLite started from every customer and probed their changes
-- (1 M customers, a recycle of 300,000 in the week: 1.3 s per report); with it, the team's few
-- people are range lookups. PostgreSQL reads ownership_changes_time (0041).
-- sqlite:begin
CREATE INDEX IF NOT EXISTS ownership_changes_from_reason ON ownership_changes(org_id, from_user_id, reason, changed_at);
-- sqlite:end
