-- The grid a batch submission was made from (the sheet as the clerk last saw it, with fixes made in the app), its
-- business and the name of the file it was imported from, so that 办理记录 can reopen it: to see what was sent
-- and, after a refusal, a return or a withdrawal, to fix it and submit again without the Excel file.
-- Sealed by the client like the payload (vault.rs, the row as associated data), and deleted when the payload is
-- purged: personal data is not kept longer than the payload.
CREATE TABLE outbox_sheets (
    idempotency_key TEXT PRIMARY KEY REFERENCES outbox (idempotency_key),
    sheet TEXT NOT NULL
);
