-- v2 records which version placed an order: a nullable column that v1's inserts leave NULL.
SET lock_timeout = '2s';
ALTER TABLE orders ADD COLUMN placed_by text;
