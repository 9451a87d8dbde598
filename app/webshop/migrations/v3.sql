-- v3: no live version reads products.legacy_code once v1 is gone (v2 stopped reading it).
ALTER TABLE products DROP COLUMN legacy_code;
