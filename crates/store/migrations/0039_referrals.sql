-- The referral register (issue 12, rule 6): a referral counts only when the referred customer
-- was brought in person or the referral was registered before the customer. Registered with the
-- referred person's name (and phone) before they are a customer, and linked when they register.
CREATE TABLE referrals (
    id ID_PK,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    referrer_id BIGINT NOT NULL REFERENCES customers(id),
    referred_customer_id BIGINT REFERENCES customers(id),
    referred_name TEXT NOT NULL,
    referred_phone TEXT,
    brought_in_person BIGINT NOT NULL DEFAULT 0,
    -- The salesperson credited: who owned the referring customer when the referral was registered.
    credited_to BIGINT REFERENCES users(id),
    note TEXT,
    registered_by BIGINT NOT NULL REFERENCES users(id),
    registered_at TEXT NOT NULL,
    linked_at TEXT
);
CREATE UNIQUE INDEX referrals_referred ON referrals(org_id, referred_customer_id) WHERE referred_customer_id IS NOT NULL;
CREATE INDEX referrals_referrer ON referrals(org_id, referrer_id);
CREATE INDEX referrals_credited ON referrals(org_id, credited_to);
