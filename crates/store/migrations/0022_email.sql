-- E-mail notifications: a person's address, and an outbox written in the same transaction as
-- what it announces, sent by any server when SMTP is configured (claimed rows expire, so a
-- server that dies mid-send does not lose a message).
ALTER TABLE users ADD COLUMN email TEXT;

CREATE TABLE email_outbox (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    claimed_at TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    sent_at TEXT,
    last_error TEXT
);
CREATE INDEX email_outbox_pending ON email_outbox(sent_at, claimed_at);
