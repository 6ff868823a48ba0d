-- Login attempts are throttled per (username, client): the client is the address a request came
-- from, or a device that logged in as that person before. One guesser can no longer lock the
-- real person out from everywhere. Rows are attempts counted before the password is checked.
ALTER TABLE login_failures ADD COLUMN client TEXT NOT NULL DEFAULT '';
CREATE INDEX login_failures_client ON login_failures(username, client, failed_at);

-- Devices (browsers, API clients) that logged in successfully: a random cookie whose digest is
-- kept here, so the owner can still log in while someone else hammers the username.
CREATE TABLE known_devices (
    id ID_PK,
    org_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT NOT NULL
);
CREATE UNIQUE INDEX known_devices_token ON known_devices(token_hash);
CREATE INDEX known_devices_user ON known_devices(org_id, user_id);
