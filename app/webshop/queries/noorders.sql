-- The SQL of the "noorders" test release: the same as v2, though it never runs placeOrder (orders acknowledged, not written, on purpose).
-- name: health
SELECT 1;
-- name: listProducts
SELECT id, name, price_cents FROM products ORDER BY id;
-- name: placeOrder
INSERT INTO orders (product_id, quantity, channel) VALUES ($1, $2, 'web') RETURNING id;
