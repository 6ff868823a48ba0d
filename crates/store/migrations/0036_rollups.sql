-- Rollups (issue 11): each person's figures per day and per month, kept in the writing
-- transaction (store::rollup), so that a company's month or year reads a few rows per person.
-- Amounts are exact decimal text, as everywhere; counts are integers.
-- A visit remembers whether its customer ordered (from anyone) in the visit's month, company
-- time: what makes an outcome-only visit effective (weekly_report::is_effective_visit).
ALTER TABLE activities ADD COLUMN customer_ordered BIGINT NOT NULL DEFAULT 0;
CREATE TABLE figures_daily (
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    user_id BIGINT NOT NULL,
    day TEXT NOT NULL,
    sales TEXT NOT NULL,
    orders BIGINT NOT NULL,
    gross_margin TEXT NOT NULL,
    orders_without_cost BIGINT NOT NULL,
    other_currency_orders BIGINT NOT NULL,
    collected TEXT NOT NULL,
    new_customers BIGINT NOT NULL,
    new_dealers BIGINT NOT NULL,
    visits BIGINT NOT NULL,
    effective_visits BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id, day)
);
CREATE INDEX figures_daily_day ON figures_daily(org_id, day);
CREATE TABLE figures_monthly (
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    user_id BIGINT NOT NULL,
    month TEXT NOT NULL,
    sales TEXT NOT NULL,
    orders BIGINT NOT NULL,
    gross_margin TEXT NOT NULL,
    orders_without_cost BIGINT NOT NULL,
    other_currency_orders BIGINT NOT NULL,
    collected TEXT NOT NULL,
    new_customers BIGINT NOT NULL,
    new_dealers BIGINT NOT NULL,
    visits BIGINT NOT NULL,
    effective_visits BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id, month)
);
CREATE INDEX figures_monthly_month ON figures_monthly(org_id, month);
-- Who registered what, by day: a registration recounts its registrar's day.
CREATE INDEX customers_created_by ON customers(org_id, created_by, created_at);
