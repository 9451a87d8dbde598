-- pyshop's base schema and catalogue. v1 keeps a legacy code on each item and copies it onto
-- each order; V3 drops both columns once no live version uses them.
CREATE TABLE items (
    id          serial PRIMARY KEY,
    name        text NOT NULL,
    price_cents integer NOT NULL,
    legacy_code text
);
CREATE TABLE orders (
    id          serial PRIMARY KEY,
    item_id     integer NOT NULL REFERENCES items (id),
    legacy_code text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO items (name, price_cents, legacy_code) VALUES
    ('Teapot', 2450, 'TP-100'),
    ('Loose leaf tea', 899, 'LT-200'),
    ('Strainer', 350, 'ST-300');
