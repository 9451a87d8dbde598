-- The SQL pyshop v3 runs: the same as v2; its release drops legacy_code (V3__drop_legacy_code.sql).
-- name: health
SELECT 1;
-- name: listItems
SELECT id, name, price_cents FROM items ORDER BY id;
-- name: placeOrder
INSERT INTO orders (item_id, placed_by) SELECT id, $2::text FROM items WHERE id = $1 RETURNING id;
