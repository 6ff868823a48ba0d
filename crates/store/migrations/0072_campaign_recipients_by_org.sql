-- A campaign's recipients are read and updated by (organization, campaign, status). With the
-- campaign first, SQLite's sampled statistics (about a thousand rows behind any org_id) made
-- the customer index, which starts with org_id, look as good, and cancelling a campaign walked
-- every recipient the company ever had (four million after four campaigns to a million).
-- Leading with org_id also suits a distribution by organization.
DROP INDEX campaign_recipients_campaign;
CREATE INDEX campaign_recipients_campaign ON campaign_recipients(org_id, campaign_id, status, id);
