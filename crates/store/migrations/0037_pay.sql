-- Pay (issue 12): plans by the month they take effect, managers' rewards and penalties, the
-- review and approval of each sheet, closed months with their sheets frozen.
CREATE TABLE pay_plans (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    effective_month TEXT NOT NULL,
    plan TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    updated_by BIGINT NOT NULL REFERENCES users(id),
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX pay_plans_month ON pay_plans(org_id, effective_month);
CREATE TABLE pay_adjustments (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    month TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    amount TEXT NOT NULL,
    reason TEXT NOT NULL,
    entered_by BIGINT NOT NULL REFERENCES users(id),
    entered_at TEXT NOT NULL
);
CREATE INDEX pay_adjustments_month ON pay_adjustments(org_id, month, user_id);
CREATE TABLE pay_reviews (
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    month TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    reviewed_by BIGINT REFERENCES users(id),
    reviewed_at TEXT,
    approved_by BIGINT REFERENCES users(id),
    approved_at TEXT,
    PRIMARY KEY (org_id, month, user_id)
);
CREATE TABLE pay_months (
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    month TEXT NOT NULL,
    closed_by BIGINT NOT NULL REFERENCES users(id),
    closed_at TEXT NOT NULL,
    PRIMARY KEY (org_id, month)
);
CREATE TABLE pay_sheets (
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    month TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    sheet TEXT NOT NULL,
    PRIMARY KEY (org_id, month, user_id)
);
-- Rule 7: the commission right arises with the first deposit, for whoever owned the customer
-- then, and survives a refund and a later change of owner.
ALTER TABLE orders ADD COLUMN commission_owner_id BIGINT;
ALTER TABLE orders ADD COLUMN commission_at TEXT;
UPDATE orders SET commission_owner_id = owner_id,
    commission_at = (SELECT MIN(p.recorded_at) FROM order_payments p WHERE p.order_id = orders.id AND p.kind = 'deposit')
    WHERE EXISTS (SELECT 1 FROM order_payments p WHERE p.order_id = orders.id AND p.kind = 'deposit');
CREATE INDEX orders_commission ON orders(org_id, commission_owner_id, commission_at);
