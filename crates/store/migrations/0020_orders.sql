-- Orders with lines, and deposits / payments / refunds recorded on them.
CREATE TABLE orders (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    owner_id BIGINT NOT NULL REFERENCES users(id),
    total TEXT NOT NULL,
    currency TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users(id),
    -- Receivable: deposits + payments - refunds so far, and whether nothing is owed any more.
    paid TEXT NOT NULL DEFAULT '0',
    settled BIGINT NOT NULL DEFAULT 0,
    due_date TEXT NOT NULL,
    delivery_status TEXT NOT NULL DEFAULT 'pending',
    delivered_at TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX orders_owner ON orders(org_id, owner_id, created_at);
CREATE INDEX orders_customer ON orders(org_id, customer_id);
CREATE INDEX orders_open ON orders(org_id, settled, due_date);

CREATE TABLE order_lines (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    order_id BIGINT NOT NULL REFERENCES orders(id),
    product_id BIGINT NOT NULL REFERENCES products(id),
    product_name TEXT NOT NULL,
    unit TEXT NOT NULL,
    quantity TEXT NOT NULL,
    unit_price TEXT NOT NULL,
    amount TEXT NOT NULL
);
CREATE INDEX order_lines_order ON order_lines(org_id, order_id);
CREATE INDEX order_lines_product ON order_lines(org_id, product_id);

CREATE TABLE order_payments (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    order_id BIGINT NOT NULL REFERENCES orders(id),
    kind TEXT NOT NULL,
    amount TEXT NOT NULL,
    note TEXT,
    recorded_by BIGINT NOT NULL REFERENCES users(id),
    recorded_at TEXT NOT NULL
);
CREATE INDEX order_payments_order ON order_payments(org_id, order_id);
