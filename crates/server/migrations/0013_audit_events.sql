-- Issue 14 §7: every refusal (a TLS handshake refused for its certificate or protocol, an HTTP answer ≥ 400) is
-- an audit event the centre can query: who (certificate, unit, address), what (route), when, why (stable code).
-- Written in batches by one task per gateway (crate::audit); a flood beyond its queue is counted, not stored.
CREATE TABLE audit_events (
    at TEXT NOT NULL,
    listener TEXT NOT NULL,
    remote TEXT NOT NULL,
    code TEXT NOT NULL,
    status INTEGER,
    method TEXT,
    route TEXT,
    cert_serial TEXT,
    cert_subject TEXT,
    -- The unit is found from the USCC when queried: writing an event never reads the database.
    uscc TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_code ON audit_events (code, at);
-- A certificate whose name differs from its unit's is looked up by name (crate::http `unit_of`).
CREATE INDEX units_name ON units (name);
