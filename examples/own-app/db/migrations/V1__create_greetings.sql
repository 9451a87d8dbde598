-- The greetings every version of hello can read.
CREATE TABLE greetings (
    id serial PRIMARY KEY,
    greeting text NOT NULL,
    legacy_note text
);
