-- What hello 1.0.0 runs (the schema guard checks every migration against it while 1.0.0 is live).
SELECT id, greeting, legacy_note FROM greetings WHERE id = $1;
