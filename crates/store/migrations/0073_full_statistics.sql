-- The planner statistics again, in full: `PRAGMA optimize` had analysed the big tables with a
-- temporary analysis limit, which made SQLite believe about 1,000 rows stand behind any org_id
-- (store::SQLITE_OPTIMIZE no longer sets the limit). Once, on start-up: about 3 s per million
-- customers. PostgreSQL's own ANALYZE samples each column and was never misled.
-- sqlite:begin
ANALYZE;
-- sqlite:end
