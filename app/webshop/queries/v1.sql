-- The SQL webshop v1 runs, one named statement each (server.js loads this file).
-- name: health
SELECT 1;
-- name: listProducts
SELECT id, name, price_cents, legacy_code FROM products ORDER BY id;
-- name: placeOrder
INSERT INTO orders (product_id, quantity) VALUES ($1, $2) RETURNING id;
