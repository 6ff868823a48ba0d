-- A supervisor's or a salesperson's list in the default order walks the organization's live
-- customers newest first and keeps those in scope (customer.rs, `walk_in_order`). After a pool
-- recycle the newest are the recycled ones, owned by nobody and in no one's scope: a top
-- supervisor's first page walked 300,000 of them (1 M customers: 1.7 ms -> 15 ms). Owned
-- customers have their own walk. SQLite only: PostgreSQL plans these pages itself.
-- sqlite:begin
CREATE INDEX customers_owned_updated ON customers(org_id, updated_at, id, owner_id)
    WHERE deleted_at IS NULL AND owner_id IS NOT NULL;
-- sqlite:end
