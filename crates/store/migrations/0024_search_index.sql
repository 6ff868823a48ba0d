-- Substring search (name, pinyin, initials, phone, e-mail) through an index instead of a scan of
-- every customer: a trigram index on search_text. SQLite keeps an FTS5 trigram table in step with
-- customers by triggers; PostgreSQL uses pg_trgm, which LIKE '%…%' picks up by itself.
-- sqlite:begin
CREATE VIRTUAL TABLE customer_search USING fts5(search_text, content='customers', content_rowid='id', tokenize='trigram');
CREATE TRIGGER customer_search_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customer_search(rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER customer_search_delete AFTER DELETE ON customers BEGIN
    INSERT INTO customer_search(customer_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER customer_search_update AFTER UPDATE OF search_text ON customers BEGIN
    INSERT INTO customer_search(customer_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO customer_search(rowid, search_text) VALUES (new.id, new.search_text);
END;
INSERT INTO customer_search(customer_search) VALUES ('rebuild');
-- sqlite:end
-- postgres:begin
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX customers_search_trgm ON customers USING gin (search_text gin_trgm_ops);
-- postgres:end
