-- The statistics indicators a company shows by default (issue 11): a comma-separated list of
-- `domain::statistics::Indicator` names; empty shows them all.
ALTER TABLE organizations ADD COLUMN statistics_indicators TEXT NOT NULL DEFAULT '';
