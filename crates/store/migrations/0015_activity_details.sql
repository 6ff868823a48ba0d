-- An activity's outcome, the agreed next step, and for visits the check-in location.
ALTER TABLE activities ADD COLUMN outcome TEXT;
ALTER TABLE activities ADD COLUMN next_step TEXT;
ALTER TABLE activities ADD COLUMN location TEXT;
