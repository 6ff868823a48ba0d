-- Admin-defined customer fields and their values (one row per customer and field, so that
-- filtering and grouping are plain indexed SQL on both backends).
CREATE TABLE custom_fields (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    field_key TEXT NOT NULL,
    label TEXT NOT NULL,
    kind TEXT NOT NULL,
    choices TEXT NOT NULL DEFAULT '[]',
    position BIGINT NOT NULL DEFAULT 0,
    active BIGINT NOT NULL DEFAULT 1,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX custom_fields_key ON custom_fields(org_id, field_key);

CREATE TABLE custom_values (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    field_id BIGINT NOT NULL REFERENCES custom_fields(id),
    value TEXT NOT NULL
);
CREATE UNIQUE INDEX custom_values_customer ON custom_values(org_id, customer_id, field_id);
CREATE INDEX custom_values_field ON custom_values(org_id, field_id, value);
