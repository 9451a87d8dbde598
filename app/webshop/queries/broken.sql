-- The SQL of the "broken" test release: the same as v2 (only its health check fails).
-- name: health
SELECT 1;
-- name: listProducts
SELECT id, name, price_cents FROM products ORDER BY id;
-- name: placeOrder
INSERT INTO orders (product_id, quantity, channel) VALUES ($1, $2, 'web') RETURNING id;
