-- Webhooks and group robots (issue 16). Deliveries are written in the transaction of what
-- they report and sent later by whichever server claims them, so a restart loses nothing.
CREATE TABLE webhooks (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    format TEXT NOT NULL,
    -- Subscribed event names, space separated, with a space at each end (LIKE '% name %').
    events TEXT NOT NULL,
    team_head_id BIGINT REFERENCES users(id),
    -- The language of a robot's messages.
    locale TEXT NOT NULL DEFAULT 'zh-CN',
    -- The signing secret: generated for plain webhooks, the platform's for signed robots.
    secret TEXT NOT NULL DEFAULT '',
    allow_private BIGINT NOT NULL DEFAULT 0,
    failures BIGINT NOT NULL DEFAULT 0,
    paused_at TEXT,
    pause_reason TEXT,
    created_by BIGINT REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    deleted_at TEXT
);
CREATE INDEX webhooks_org ON webhooks(org_id);

CREATE TABLE webhook_deliveries (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    webhook_id BIGINT NOT NULL REFERENCES webhooks(id),
    event TEXT NOT NULL,
    -- The event's data as JSON; the envelope is written when it is sent.
    data TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    -- pending → delivered | failed (given up); a paused endpoint's pending ones wait.
    status TEXT NOT NULL DEFAULT 'pending',
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_at TEXT,
    last_attempt_at TEXT,
    response_status BIGINT,
    response_body TEXT,
    error TEXT,
    delivered_at TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at);
CREATE INDEX webhook_deliveries_of ON webhook_deliveries(org_id, webhook_id, id);
