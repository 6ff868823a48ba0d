-- Gross margin (issue 11): the price list gains a cost and a category per product; each order
-- line keeps the cost and category its product had when the order was taken.
ALTER TABLE products ADD COLUMN cost TEXT;
ALTER TABLE products ADD COLUMN category TEXT;
ALTER TABLE order_lines ADD COLUMN unit_cost TEXT;
ALTER TABLE order_lines ADD COLUMN category TEXT;
