-- Calendar feeds (issue 16): one secret, revocable subscription URL per person; only the
-- token's SHA-256 digest is kept.
CREATE TABLE calendar_feeds (
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    token_digest TEXT NOT NULL,
    include_team BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE UNIQUE INDEX calendar_feeds_digest ON calendar_feeds(token_digest);
