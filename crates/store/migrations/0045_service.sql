-- After-sales service (issue 14): tickets with deadlines per severity, their history, return
-- visits after deliveries and resolved tickets, and the company's service settings (a JSON
-- object, `domain::service::ServiceSettings`; missing fields take the defaults).
ALTER TABLE organizations ADD COLUMN service_settings TEXT NOT NULL DEFAULT '{}';

CREATE TABLE tickets (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    category TEXT NOT NULL,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    subject TEXT NOT NULL,
    description TEXT NOT NULL,
    product_id BIGINT REFERENCES products(id),
    order_id BIGINT REFERENCES orders(id),
    assignee_id BIGINT NOT NULL REFERENCES users(id),
    filed_by BIGINT NOT NULL REFERENCES users(id),
    response_due TEXT NOT NULL,
    resolution_due TEXT NOT NULL,
    first_response_at TEXT,
    resolved_at TEXT,
    closed_at TEXT,
    resolution TEXT,
    escalated_response_at TEXT,
    escalated_resolution_at TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX tickets_customer ON tickets(org_id, customer_id, created_at);
CREATE INDEX tickets_assignee ON tickets(org_id, assignee_id, status);
-- The deadline sweep reads open tickets only, across organizations.
CREATE INDEX tickets_open ON tickets(resolution_due) WHERE status IN ('new', 'in_progress');

CREATE TABLE ticket_events (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    ticket_id BIGINT NOT NULL REFERENCES tickets(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    step TEXT NOT NULL,
    body TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    assignee_id BIGINT REFERENCES users(id),
    created_at TEXT NOT NULL
);
CREATE INDEX ticket_events_ticket ON ticket_events(org_id, ticket_id, id);

-- A deadline escalation names its ticket; the message is written by the reader's page.
ALTER TABLE escalations ADD COLUMN ticket_id BIGINT REFERENCES tickets(id);

CREATE TABLE return_visits (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    source TEXT NOT NULL,
    source_id BIGINT NOT NULL,
    due_at TEXT NOT NULL,
    done_at TEXT,
    done_by BIGINT REFERENCES users(id),
    result TEXT,
    activity_id BIGINT REFERENCES activities(id),
    attempts BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    UNIQUE (org_id, source, source_id)
);
CREATE INDEX return_visits_due ON return_visits(org_id, due_at) WHERE done_at IS NULL;
CREATE INDEX return_visits_customer ON return_visits(org_id, customer_id);
