-- Where a visit checked in, as the browser reported it with the person's consent (issue 13):
-- decimal degrees as text, both or neither (`domain::geo`).
ALTER TABLE activities ADD COLUMN latitude TEXT;
ALTER TABLE activities ADD COLUMN longitude TEXT;
