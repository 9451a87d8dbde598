-- The SQL pyshop v1 runs, one named statement each (server.py loads this file).
-- name: health
SELECT 1;
-- name: listItems
SELECT id, name, price_cents, legacy_code FROM items ORDER BY id;
-- name: placeOrder
INSERT INTO orders (item_id, legacy_code) SELECT id, legacy_code FROM items WHERE id = $1 RETURNING id;
