-- The SQL of the "cpuhog" test release: the same as v2 (twice the CPU per request on purpose).
-- name: health
SELECT 1;
-- name: listProducts
SELECT id, name, price_cents FROM products ORDER BY id;
-- name: placeOrder
INSERT INTO orders (product_id, quantity, channel) VALUES ($1, $2, 'web') RETURNING id;
