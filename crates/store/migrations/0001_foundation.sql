-- Yingpan schema v1. `ID_PK` becomes the backend's auto-increment primary key.
-- Every table carries org_id so a large deployment can shard by organization.
-- Times are UTC, stored as fixed-width RFC 3339 text (sorts correctly on both backends).

CREATE TABLE organizations (
    id ID_PK,
    org_id BIGINT NOT NULL DEFAULT 0,
    name TEXT NOT NULL,
    protection_days BIGINT NOT NULL DEFAULT 7,
    clerk_visibility TEXT NOT NULL DEFAULT 'all',
    version BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);

CREATE TABLE users (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    username TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    superior_id BIGINT REFERENCES users(id),
    active BIGINT NOT NULL DEFAULT 1,
    locale TEXT NOT NULL DEFAULT 'zh-CN',
    time_zone TEXT NOT NULL DEFAULT 'Asia/Shanghai',
    version BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
-- Logins name no organization, so usernames are unique across the installation.
CREATE UNIQUE INDEX users_username ON users(username);
CREATE INDEX users_superior ON users(org_id, superior_id);

CREATE TABLE sessions (
    id ID_PK,
    org_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL,
    kind TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE UNIQUE INDEX sessions_token ON sessions(token_hash);
CREATE INDEX sessions_user ON sessions(org_id, user_id);

CREATE TABLE login_failures (
    id ID_PK,
    org_id BIGINT NOT NULL DEFAULT 0,
    username TEXT NOT NULL,
    failed_at TEXT NOT NULL
);
CREATE INDEX login_failures_user ON login_failures(username, failed_at);

CREATE TABLE customers (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    phone TEXT,
    phone_norm TEXT,
    email TEXT,
    address TEXT,
    region TEXT,
    industry TEXT,
    source TEXT,
    notes TEXT,
    owner_id BIGINT REFERENCES users(id),
    search_text TEXT NOT NULL,
    last_contact_at TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users(id),
    version BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE INDEX customers_owner ON customers(org_id, owner_id, updated_at);
CREATE INDEX customers_phone ON customers(org_id, phone_norm);
CREATE INDEX customers_last_contact ON customers(org_id, last_contact_at);

CREATE TABLE contacts (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    name TEXT NOT NULL,
    title TEXT,
    phone TEXT,
    phone_norm TEXT,
    email TEXT,
    is_decision_maker BIGINT NOT NULL DEFAULT 0,
    notes TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE INDEX contacts_customer ON contacts(org_id, customer_id);

CREATE TABLE activities (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    summary TEXT NOT NULL,
    occurred_at TEXT NOT NULL
);
CREATE INDEX activities_customer ON activities(org_id, customer_id, occurred_at);

CREATE TABLE ownership_changes (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    from_user_id BIGINT REFERENCES users(id),
    to_user_id BIGINT REFERENCES users(id),
    reason TEXT NOT NULL,
    actor_id BIGINT REFERENCES users(id),
    changed_at TEXT NOT NULL
);
CREATE INDEX ownership_changes_customer ON ownership_changes(org_id, customer_id);

CREATE TABLE audit_log (
    id ID_PK,
    org_id BIGINT NOT NULL,
    actor_id BIGINT,
    entity TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    action TEXT NOT NULL,
    changes TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log(org_id, entity, entity_id);
CREATE INDEX audit_log_at ON audit_log(org_id, at);
