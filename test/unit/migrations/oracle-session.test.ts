// The classes issue 23 found the schema guard missing or wrongly blocking, with the exact
// messages: a function a session compiled before the migration, session state an earlier
// statement of the version sets, SQL-level PREPARE/EXECUTE, DETACH PARTITION CONCURRENTLY, and a
// contrib extension (btree_gist). Each runs on the embedded PostgreSQL (PGlite).
import { strict as assert } from "node:assert";
import { checkMigration, LiveVersion } from "../../../src/migrations/check";
import { closeOracle } from "../../../src/migrations/oracle";

const shop = `CREATE TABLE products (id serial PRIMARY KEY, name text NOT NULL, price integer NOT NULL);
CREATE TABLE orders (id serial PRIMARY KEY, product_id integer NOT NULL, quantity integer NOT NULL DEFAULT 1);
INSERT INTO products (name, price) VALUES ('Coffee', 1299);
CREATE SCHEMA billing;
CREATE TABLE billing.invoices (id serial PRIMARY KEY, total integer NOT NULL);
INSERT INTO billing.invoices (total) VALUES (1299);`;
const priceTrigger = `${shop}
CREATE FUNCTION order_priced() RETURNS trigger LANGUAGE plpgsql AS $$ DECLARE p products.price%TYPE; BEGIN SELECT price INTO p FROM products WHERE id = NEW.product_id; IF p > 0 THEN RETURN NEW; END IF; RAISE EXCEPTION 'unpriced'; END $$;
CREATE TRIGGER orders_priced BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION order_priced();`;
const events = `${shop}
CREATE TABLE events (id integer NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');`;
const bookings = `${shop}
CREATE EXTENSION btree_gist;
CREATE TABLE bookings (id serial PRIMARY KEY, room integer NOT NULL, during tsrange NOT NULL);
INSERT INTO bookings (room, during) VALUES (1, '[2026-01-01 10:00, 2026-01-01 11:00)');`;
const addOrder = "PREPARE add_order(integer, integer) AS INSERT INTO orders (product_id, quantity) VALUES ($1, $2)";
const positive = "SET lock_timeout = '2s';\nALTER TABLE orders ADD CONSTRAINT positive_quantity CHECK (quantity > 0) NOT VALID";

describe("the schema guard runs each live statement as a session of its version that connects after the migration", function () {
    this.timeout(60_000);
    after(() => closeOracle());

    const cases: { name: string; schema: string; migration: string; live: LiveVersion[]; verdict: "safe" | "blocked"; messages: string[] }[] = [
        {
            name: "blocks a type change that a trigger's %TYPE variable, compiled before the migration, would hide",
            schema: priceTrigger,
            migration: "SET lock_timeout = '2s';\nALTER TABLE products ALTER COLUMN price TYPE text",
            live: [{ version: "v1", role: "running", sql: "INSERT INTO orders (product_id) VALUES (1)" }],
            verdict: "blocked",
            messages: [
                "change-column-type: `ALTER TABLE products ALTER COLUMN price TYPE text` changes the type of products.price, which v1 still uses; live versions: v1 (running). PostgreSQL rejects v1's `INSERT INTO orders (product_id) VALUES (1)` after it (run on the schema's rows): operator does not exist: text > integer. Add a new column of the new type, write both from a release, backfill, and switch readers over in later releases.",
                "changing-column-type: `ALTER TABLE products ALTER COLUMN price TYPE text`: a type change usually rewrites the table under an exclusive lock",
            ],
        },
        {
            name: "compiles functions afresh also when the migration runs as the tables' owner (SET ROLE)",
            schema: `${priceTrigger}\nCREATE ROLE shop_owner;\nALTER TABLE products OWNER TO shop_owner;`,
            migration: "SET lock_timeout = '2s';\nSET ROLE shop_owner;\nALTER TABLE products ALTER COLUMN price TYPE text",
            live: [{ version: "v1", role: "running", sql: "INSERT INTO orders (product_id) VALUES (1)" }],
            verdict: "blocked",
            messages: [
                "change-column-type: `ALTER TABLE products ALTER COLUMN price TYPE text` changes the type of products.price, which v1 still uses; live versions: v1 (running). PostgreSQL rejects v1's `INSERT INTO orders (product_id) VALUES (1)` after it (run on the schema's rows): operator does not exist: text > integer. Add a new column of the new type, write both from a release, backfill, and switch readers over in later releases.",
                "changing-column-type: `ALTER TABLE products ALTER COLUMN price TYPE text`: a type change usually rewrites the table under an exclusive lock",
            ],
        },
        {
            name: "blocks dropping the schema an earlier SET search_path of the version names",
            schema: shop,
            migration: "SET lock_timeout = '2s';\nDROP SCHEMA billing CASCADE",
            live: [{ version: "v1", role: "live", sql: "SET search_path TO billing, public;\nSELECT total FROM invoices" }],
            verdict: "blocked",
            messages: [
                'drop-object: `DROP SCHEMA billing CASCADE` drops (with CASCADE) schema billing, which v1 still uses; live versions: v1 (live). PostgreSQL rejects v1\'s `SELECT total FROM invoices` after it: relation "invoices" does not exist. Ship it in a later release, once no live or rollback version uses schema billing: first release a version that stops using it, promote that version to stable, then release this change.',
            ],
        },
        {
            name: "blocks a REVOKE from the role an earlier SET ROLE of the version takes",
            schema: `${shop}\nCREATE ROLE shop_reader;\nGRANT SELECT ON products TO shop_reader;`,
            migration: "REVOKE SELECT ON products FROM shop_reader",
            live: [{ version: "v1", role: "live", sql: "SET ROLE shop_reader;\nSELECT name FROM products" }],
            verdict: "blocked",
            messages: [
                "breaks-live-statement: `REVOKE SELECT ON products FROM shop_reader` revokes shop_reader's privileges on products, which v1 still uses; live versions: v1 (live). PostgreSQL rejects v1's `SELECT name FROM products` after it (run on the schema's rows): permission denied for table products. Revoke them in a later release, once no live version runs as shop_reader.",
            ],
        },
        {
            name: "runs a prepared INSERT with the values its EXECUTE gives: blocks the one that violates the new CHECK, passes the one that satisfies it",
            schema: shop,
            migration: positive,
            live: [{ version: "v1", role: "live", sql: `${addOrder};\nEXECUTE add_order(1, 0)` }, { version: "v2", role: "release", sql: `${addOrder};\nEXECUTE add_order(1, 2)` }],
            verdict: "blocked",
            messages: [
                'new-constraint: `ALTER TABLE orders ADD CONSTRAINT positive_quantity CHECK (quantity > 0) NOT VALID` adds orders (check constraint positive_quantity), which v1 still uses; live versions: v1 (live), v2 (release). PostgreSQL rejects v1\'s `EXECUTE add_order(1, 0)` after it (run on the schema\'s rows): new row for relation "orders" violates check constraint "positive_quantity" (Failing row contains (3, 1, 0).). Make every live version write only rows that satisfy it first; then add it NOT VALID in a later release and VALIDATE it after.',
            ],
        },
        {
            name: "passes a prepared INSERT its EXECUTE satisfies",
            schema: shop,
            migration: positive,
            live: [{ version: "v2", role: "release", sql: `${addOrder};\nEXECUTE add_order(1, 2)` }],
            verdict: "safe",
            messages: [],
        },
        {
            name: "leaves a prepared write that no statement EXECUTEs to the data rules: its values are unknown",
            schema: shop,
            migration: positive,
            live: [{ version: "v2", role: "release", sql: addOrder }],
            verdict: "blocked",
            messages: [
                "new-constraint: `ALTER TABLE orders ADD CONSTRAINT positive_quantity CHECK (quantity > 0) NOT VALID` adds orders (check constraint positive_quantity), which v2 still uses; live versions: v2 (release). v2's `PREPARE add_order(integer, integer) AS INSERT INTO orders (product_id, quantity) VALUES ($1, $2)` may fail, depending on the values it is given (they are parameters, which PostgreSQL cannot try on the schema's rows). Make every live version write only rows that satisfy it first; then add it NOT VALID in a later release and VALIDATE it after.",
            ],
        },
        {
            name: "judges a DETACH PARTITION CONCURRENTLY instead of failing it: blocks the version that writes the detached year, not the other",
            schema: events,
            migration: "SET lock_timeout = '2s';\nALTER TABLE events DETACH PARTITION events_2025 CONCURRENTLY",
            live: [{ version: "v1", role: "live", sql: "INSERT INTO events VALUES (1, '2025-03-01')" }, { version: "v2", role: "release", sql: "INSERT INTO events VALUES (2, '2026-03-01')" }],
            verdict: "blocked",
            messages: [
                'breaks-live-statement: `ALTER TABLE events DETACH PARTITION events_2025 CONCURRENTLY` detaches events (partition events_2025), which v1 still uses; live versions: v1 (live), v2 (release). PostgreSQL rejects v1\'s `INSERT INTO events VALUES (1, \'2025-03-01\')` after it (run on the schema\'s rows): no partition of relation "events" found for row (Partition key of the failing row contains (at) = (2025-03-01).). Detach it in a later release, once no live version writes or reads rows of events_2025 through events.',
            ],
        },
        {
            name: "builds a DETACH PARTITION CONCURRENTLY with the CHECK constraint it leaves, which a later statement drops",
            schema: events,
            migration: "SET lock_timeout = '2s';\nALTER TABLE events DETACH PARTITION events_2025 CONCURRENTLY;\nALTER TABLE events_2025 DROP CONSTRAINT events_2025_at_check",
            live: [{ version: "v2", role: "release", sql: "SELECT count(*) FROM events_2025" }],
            verdict: "safe",
            messages: [],
        },
        {
            name: "loads btree_gist for an exclusion constraint over a scalar column: blocks the INSERT that overlaps, passes the one that does not",
            schema: bookings,
            migration: "SET lock_timeout = '2s';\nALTER TABLE bookings ADD CONSTRAINT no_double_booking EXCLUDE USING gist (room WITH =, during WITH &&)",
            live: [
                { version: "v1", role: "live", sql: "INSERT INTO bookings (room, during) VALUES (1, '[2026-01-01 10:30, 2026-01-01 11:30)')" },
                { version: "v2", role: "release", sql: "INSERT INTO bookings (room, during) VALUES (2, '[2026-01-01 10:30, 2026-01-01 11:30)')" },
            ],
            verdict: "blocked",
            messages: [
                'new-constraint: `ALTER TABLE bookings ADD CONSTRAINT no_double_booking EXCLUDE USING gist (room WITH =, during WITH &&)` adds bookings (exclusion constraint no_double_booking), which v1 still uses; live versions: v1 (live), v2 (release). PostgreSQL rejects v1\'s `INSERT INTO bookings (room, during) VALUES (1, \'[2026-01-01 10:30, 2026-01-01 11:30)\')` after it (run on the schema\'s rows): conflicting key value violates exclusion constraint "no_double_booking" (Key (room, during)=(1, ["2026-01-01 10:30:00","2026-01-01 11:30:00")) conflicts with existing key (room, during)=(1, ["2026-01-01 10:00:00","2026-01-01 11:00:00")).). Make every live version write only rows that satisfy it first; then add it NOT VALID in a later release and VALIDATE it after.',
            ],
        },
    ];
    for (const c of cases) {
        it(c.name, async () => {
            const r = await checkMigration({ migration: c.migration, schema: c.schema, live: c.live });
            assert.deepEqual(r.violations.map((v) => v.message), c.messages);
            assert.equal(r.verdict, c.verdict);
        });
    }

    it("restarts the shared PGlite with an extension a later check needs, and keeps judging the earlier kind", async () => {
        const plain = { migration: positive, schema: shop, live: [{ version: "v1", role: "live" as const, sql: "INSERT INTO orders (product_id, quantity) VALUES (1, 0)" }] };
        const first = await checkMigration(plain);
        const gist = await checkMigration({ migration: "ALTER TABLE bookings ADD COLUMN note text", schema: bookings, live: [{ version: "v1", role: "live", sql: "SELECT room FROM bookings" }] });
        assert.deepEqual(gist.violations.filter((v) => v.rule === "oracle-unavailable"), [], "btree_gist builds");
        assert.deepEqual(await checkMigration(plain), first);
        assert.equal(first.verdict, "blocked");
    });
});
