-- v3: no live version reads products.legacy_code once v1 is gone (v2 stopped reading it).
SET lock_timeout = '2s';
ALTER TABLE products DROP COLUMN legacy_code;
