-- Campaigns to a segment (issue 14). Recipients are resolved when a campaign is launched,
-- within the sender's scope, and kept with what became of each; the sender claims queued ones
-- (claims expire, so a server that dies mid-send loses nothing). An opt-out is kept on the
-- customer (all campaign channels) or on one contact (`do_not_contact`).
ALTER TABLE organizations ADD COLUMN campaign_settings TEXT NOT NULL DEFAULT '{}';
ALTER TABLE customers ADD COLUMN opted_out_at TEXT;
ALTER TABLE contacts ADD COLUMN do_not_contact BIGINT NOT NULL DEFAULT 0;

CREATE TABLE campaigns (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    name TEXT NOT NULL,
    channel TEXT NOT NULL,
    -- The segment as it stood when the campaign was written (a segment may be deleted later).
    segment_id BIGINT,
    segment_name TEXT NOT NULL,
    segment_query TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    scheduled_at TEXT,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    launched_at TEXT,
    finished_at TEXT,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX campaigns_org ON campaigns(org_id, created_by, id);

CREATE TABLE campaign_recipients (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    campaign_id BIGINT NOT NULL REFERENCES campaigns(id),
    customer_id BIGINT REFERENCES customers(id),
    address TEXT,
    status TEXT NOT NULL,
    reason TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    claimed_at TEXT,
    sent_at TEXT,
    unsubscribe_digest TEXT UNIQUE,
    test BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX campaign_recipients_campaign ON campaign_recipients(campaign_id, status, id);
CREATE INDEX campaign_recipients_queue ON campaign_recipients(next_attempt_at) WHERE status = 'queued';
-- The frequency cap counts a customer's messages sent or queued in the window.
CREATE INDEX campaign_recipients_customer ON campaign_recipients(org_id, customer_id, status, sent_at);
