-- Each customer's purchases per month and per order owner (issue 11: customer economics at a
-- million customers). Written by the statistics fold beside `stat_contrib` from the same
-- contribution, so it follows the same rule: the folded rows plus the pending changes of the
-- customers marked in stat_dirty equal the raw orders at every moment. Only months with an
-- order in the reporting currency have a row. The customer's card values ride along, so that
-- lifetime value per segment needs no join to 1 M customers. Keyed by month first: economics
-- reads a range of months.
CREATE TABLE stat_customer_months (
    org_id BIGINT NOT NULL,
    month TEXT NOT NULL,
    person_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    sales TEXT NOT NULL,
    margin TEXT NOT NULL,
    orders BIGINT NOT NULL,
    region TEXT NOT NULL,
    industry TEXT NOT NULL,
    source TEXT NOT NULL,
    tier TEXT NOT NULL,
    man_class TEXT NOT NULL,
    key_account TEXT NOT NULL,
    dealer TEXT NOT NULL,
    kind TEXT NOT NULL,
    PRIMARY KEY (org_id, month, person_id, customer_id)
)
-- sqlite:begin
WITHOUT ROWID
-- sqlite:end
;
CREATE INDEX stat_customer_months_customer ON stat_customer_months (org_id, customer_id);
