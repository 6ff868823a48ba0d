-- Customer economics ranks every buyer of a period: at a million customers that is half a
-- million buyers to read and rank, about a second per report. The answer changes only when
-- what it is computed from changes, so a computed report is kept with the generation of its
-- inputs and served again while that generation holds (store/src/economics.rs, `basis`).
--
-- report_generations.economics: bumped in the same transaction as any change of the folded
-- customer months (`stat_customer_months`: the fold when a customer's months change, a
-- rebuild, a refill) or of the spending estimates.
CREATE TABLE report_generations (
    org_id BIGINT NOT NULL PRIMARY KEY,
    economics BIGINT NOT NULL
);

-- A computed report: key = what was asked (the report, its parameters and the viewer's scope,
-- hashed), body = the answer before the customers shown are named (names are read per request).
-- Rows of an older generation are never served and are pruned when a newer one is saved.
CREATE TABLE report_snapshots (
    org_id BIGINT NOT NULL,
    key TEXT NOT NULL,
    generation BIGINT NOT NULL,
    computed_at TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (org_id, key)
);
