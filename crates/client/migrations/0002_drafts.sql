-- Work the clerk saved without sending (a form's fields, or the sheet being fixed): survives a restart,
-- never leaves this machine until it is submitted.
CREATE TABLE drafts (
    id TEXT PRIMARY KEY,
    unit_uscc TEXT NOT NULL,
    business TEXT NOT NULL,
    title TEXT NOT NULL,
    data TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX drafts_unit ON drafts (unit_uscc, updated_at);
