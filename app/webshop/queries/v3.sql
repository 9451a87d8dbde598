-- The SQL webshop v3 runs: the same as v2; its release drops products.legacy_code.
-- name: health
SELECT 1;
-- name: listProducts
SELECT id, name, price_cents FROM products ORDER BY id;
-- name: placeOrder
INSERT INTO orders (product_id, quantity, channel) VALUES ($1, $2, 'web') RETURNING id;
