-- The SQL pyshop v2 runs: it no longer reads or writes legacy_code and records who placed an order.
-- name: health
SELECT 1;
-- name: listItems
SELECT id, name, price_cents FROM items ORDER BY id;
-- name: placeOrder
INSERT INTO orders (item_id, placed_by) SELECT id, $2::text FROM items WHERE id = $1 RETURNING id;
