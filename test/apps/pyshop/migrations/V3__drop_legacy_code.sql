-- No version from v2 on reads or writes legacy_code: safe once no v1 is live.
-- orders before items: the order in which v2's INSERT ... SELECT locks them. The other way round
-- the migration holds items while a waiting INSERT holds orders, and PostgreSQL ends the
-- deadlock by failing the app's INSERT (seen under load: 3 failed requests).
SET lock_timeout = '2s';
ALTER TABLE orders DROP COLUMN legacy_code;
ALTER TABLE items DROP COLUMN legacy_code;
