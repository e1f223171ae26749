-- The clerk's local store. A submission is written here BEFORE it is sent, so a crash or a network error
-- never loses it; it is resent with the same idempotency key until the centre answers.
CREATE TABLE outbox (
    idempotency_key TEXT PRIMARY KEY,
    unit_uscc TEXT NOT NULL,
    business TEXT NOT NULL,
    payload TEXT NOT NULL,
    row_count INTEGER NOT NULL,
    state TEXT NOT NULL,          -- pending | sent | rejected
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    serial TEXT,
    receipt TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX outbox_pending ON outbox (unit_uscc, state, created_at);

-- What the centre said about the unit and its policy at the last login, so a sheet can be checked offline.
CREATE TABLE context_cache (
    unit_uscc TEXT PRIMARY KEY,
    me TEXT NOT NULL,
    policy TEXT NOT NULL,
    fetched_at TEXT NOT NULL
);
