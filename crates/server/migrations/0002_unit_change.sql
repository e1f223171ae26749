-- 单位信息变更 (unit_change). Portable SQL only (SQLite and PostgreSQL): see 0001_init.sql.

-- The changeable fields of the unit record (JGJ/T 320 表4.0.2 + Bijie UnitAcctAlterPost) beyond what `units` holds
-- (name, address). One row per unit, created with the unit or on the first approved change; every column nullable:
-- a centre migrating old records rarely has all of them. Column names are the field keys of
-- gjj_domain::unit_change::UnitField; codes are JGJ/T 320 codes (证件类型 附A.1), values normalised by gjj-domain.
CREATE TABLE unit_details (
    unit_account TEXT PRIMARY KEY REFERENCES units (account),
    legal_rep_name TEXT,
    legal_rep_id_type TEXT,
    legal_rep_id_number TEXT,
    agent_name TEXT,
    agent_id_type TEXT,
    agent_id_number TEXT,
    agent_mobile TEXT,
    agent_landline TEXT,
    phone TEXT,
    fax TEXT,
    postcode TEXT,
    email TEXT,
    payday TEXT,
    payroll_account TEXT,
    payroll_account_name TEXT,
    payroll_bank TEXT,
    trustee_bank_code TEXT,
    trustee_bank_name TEXT
);

-- The diff of a 单位信息变更 as accepted: one row per changed field, with the centre's value at acceptance (checked
-- again at approval) and the new, normalised value (NULL clears the field).
CREATE TABLE unit_change_rows (
    serial TEXT NOT NULL REFERENCES submissions (serial),
    row_no BIGINT NOT NULL,
    field TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    PRIMARY KEY (serial, row_no)
);
