-- Return on selling time (issue 11): how long a call, visit or meeting took, in minutes.
ALTER TABLE activities ADD COLUMN duration_minutes BIGINT;
