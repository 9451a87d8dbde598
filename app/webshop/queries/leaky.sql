-- The SQL of the "leaky" test release: the same as v2 (its memory grows on purpose).
-- name: health
SELECT 1;
-- name: listProducts
SELECT id, name, price_cents FROM products ORDER BY id;
-- name: placeOrder
INSERT INTO orders (product_id, quantity, channel) VALUES ($1, $2, 'web') RETURNING id;
