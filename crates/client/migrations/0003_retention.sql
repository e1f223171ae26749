-- Personal data is kept only as long as needed: when the centre has finished a business (已办结, or withdrawn)
-- the client notes it, and after the retention period IT sets the payload is purged; the receipt stays.
-- Payloads, receipts and drafts are sealed by the client (vault.rs) before they are written here.
ALTER TABLE outbox ADD COLUMN finished_at TEXT;
ALTER TABLE outbox ADD COLUMN purged_at TEXT;
