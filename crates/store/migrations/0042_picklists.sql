-- The values a company allows for a customer's region, industry and source (issue 13), kept by
-- admins: a JSON object of field → list (`domain::picklist`); a field without a list stays
-- free text.
ALTER TABLE organizations ADD COLUMN picklists TEXT NOT NULL DEFAULT '{}';
