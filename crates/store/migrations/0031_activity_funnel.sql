-- The prospecting funnel (issue 11): whether a call reached the person called, and what a
-- visit or meeting was for (appointment, presentation, closing, service, other).
ALTER TABLE activities ADD COLUMN reached BIGINT;
ALTER TABLE activities ADD COLUMN purpose TEXT;
