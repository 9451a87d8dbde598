-- The webshop's base schema and sample data.
CREATE TABLE products (
    id          serial PRIMARY KEY,
    name        text NOT NULL,
    price_cents integer NOT NULL,
    legacy_code text
);
CREATE TABLE orders (
    id         serial PRIMARY KEY,
    product_id integer NOT NULL REFERENCES products (id),
    quantity   integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO products (name, price_cents, legacy_code) VALUES
    ('Coffee beans', 1299, 'CB-01'),
    ('Grinder', 4999, 'GR-02'),
    ('Mug', 899, 'MG-03');
