-- Most customers have no scheduled call or visit and no e-mail: indexing only the rows that have
-- one keeps registrations and imports from maintaining index entries nobody looks up.
DROP INDEX customers_call_due;
DROP INDEX customers_visit_due;
DROP INDEX customers_email_norm;
CREATE INDEX customers_call_due ON customers(org_id, owner_id, next_call_due) WHERE next_call_due IS NOT NULL;
CREATE INDEX customers_visit_due ON customers(org_id, owner_id, next_visit_due) WHERE next_visit_due IS NOT NULL;
CREATE INDEX customers_email_norm ON customers(org_id, email_norm) WHERE email_norm IS NOT NULL;
