-- v2 records the sales channel; a nullable column old versions can ignore.
SET lock_timeout = '2s';
ALTER TABLE orders ADD COLUMN channel text;
