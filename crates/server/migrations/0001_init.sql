-- Portable SQL only: this file runs unchanged on SQLite (embedded default) and PostgreSQL (a centre's deployment).
-- No AUTOINCREMENT/SERIAL, no BLOB/BYTEA (signatures are base64 TEXT), timestamps as RFC 3339 TEXT, months as
-- 'YYYYMM' TEXT, money as integer fen (BIGINT), rates as basis points (BIGINT).

CREATE TABLE policies (
    year BIGINT PRIMARY KEY,
    starts TEXT NOT NULL,
    ends TEXT NOT NULL,
    base_min_fen BIGINT NOT NULL,
    base_max_fen BIGINT NOT NULL,
    monthly_min_fen BIGINT NOT NULL,
    monthly_max_fen BIGINT NOT NULL,
    unit_rate_min_bp BIGINT NOT NULL,
    unit_rate_max_bp BIGINT NOT NULL,
    person_rate_min_bp BIGINT NOT NULL,
    person_rate_max_bp BIGINT NOT NULL,
    round_to TEXT NOT NULL
);

-- 缴存单位 / 开发商 / 中心: one row per certificate holder the centre knows (JGJ/T 320 表4.0.2 + 表5.0.2).
CREATE TABLE units (
    account TEXT PRIMARY KEY,
    uscc TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    unit_rate_bp BIGINT NOT NULL,
    person_rate_bp BIGINT NOT NULL,
    first_month TEXT NOT NULL,
    paid_through TEXT,
    address TEXT NOT NULL,
    -- Bumped at the start of every write transaction for the unit: serialises a unit's submissions on both
    -- backends without SELECT ... FOR UPDATE (which SQLite lacks).
    lock_version BIGINT NOT NULL DEFAULT 0
);

-- 个人账户 (JGJ/T 320 表4.0.3 + 表5.0.4).
CREATE TABLE persons (
    account TEXT PRIMARY KEY,
    unit_account TEXT NOT NULL REFERENCES units (account),
    name TEXT NOT NULL,
    id_number TEXT NOT NULL,
    status TEXT NOT NULL,
    base_fen BIGINT NOT NULL,
    unit_amount_fen BIGINT NOT NULL,
    person_amount_fen BIGINT NOT NULL,
    first_month TEXT NOT NULL,
    paid_through TEXT
);
CREATE INDEX persons_by_unit ON persons (unit_account);
CREATE INDEX persons_by_id_number ON persons (id_number);

CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);

-- Every business a unit submits: the signed payload as received, its signature, and the receipt.
CREATE TABLE submissions (
    serial TEXT PRIMARY KEY,
    unit_account TEXT NOT NULL REFERENCES units (account),
    business TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    status TEXT NOT NULL,
    payload TEXT NOT NULL,
    payload_sha256 TEXT NOT NULL,
    signature TEXT NOT NULL,
    signature_alg TEXT NOT NULL,
    cert_serial TEXT NOT NULL,
    cert_fingerprint TEXT NOT NULL,
    row_count BIGINT NOT NULL,
    receipt TEXT NOT NULL,
    return_reason TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (unit_account, idempotency_key)
);
CREATE INDEX submissions_open ON submissions (unit_account, business, status);

CREATE TABLE base_adjustment_rows (
    serial TEXT NOT NULL REFERENCES submissions (serial),
    row_no BIGINT NOT NULL,
    person_account TEXT NOT NULL,
    old_base_fen BIGINT NOT NULL,
    new_base_fen BIGINT NOT NULL,
    unit_amount_fen BIGINT NOT NULL,
    person_amount_fen BIGINT NOT NULL,
    effective_month TEXT NOT NULL,
    PRIMARY KEY (serial, row_no)
);
