-- v2 records the sales channel; a nullable column old versions can ignore.
ALTER TABLE orders ADD COLUMN channel text;
