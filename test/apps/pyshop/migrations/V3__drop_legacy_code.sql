-- No version from v2 on reads or writes legacy_code: safe once no v1 is live.
SET lock_timeout = '2s';
ALTER TABLE items DROP COLUMN legacy_code;
ALTER TABLE orders DROP COLUMN legacy_code;
