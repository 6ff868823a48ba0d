-- Contacts and follow-ups imported from another system keep its id (issue 16), so that the
-- same file imported twice updates instead of adding: unique within the company.
ALTER TABLE contacts ADD COLUMN external_id TEXT;
ALTER TABLE activities ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX contacts_external ON contacts(org_id, external_id) WHERE external_id IS NOT NULL;
CREATE UNIQUE INDEX activities_external ON activities(org_id, external_id) WHERE external_id IS NOT NULL;
