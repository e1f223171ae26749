-- 缴存人登记 (contributor_registration, issue 3 business 5). Portable SQL only (SQLite and PostgreSQL).
--
-- The person record gains the 个人开户 fields JGJ/T 320 表4.0.3/表5.0.4 keep and the centre needs afterwards:
-- 证件类型 (附A.1), 性别 (GB/T 2261.1), 出生年月, 手机/固定电话, 个人存款账户 + 开户银行. Seeded persons predate
-- these columns: their 证件类型 is 01 身份证 and their contact fields are unknown (NULL).
ALTER TABLE persons ADD COLUMN id_type TEXT NOT NULL DEFAULT '01';
ALTER TABLE persons ADD COLUMN sex TEXT;
ALTER TABLE persons ADD COLUMN birth_month TEXT;
ALTER TABLE persons ADD COLUMN mobile TEXT;
ALTER TABLE persons ADD COLUMN landline TEXT;
ALTER TABLE persons ADD COLUMN bank_account TEXT;
ALTER TABLE persons ADD COLUMN bank_name TEXT;
-- 手机 is unique among open accounts of the centre: looked up at every registration.
CREATE INDEX persons_by_mobile ON persons (mobile);

-- One row per person of an accepted registration. The 个人账号 is assigned at acceptance (the receipt lists it per
-- row); the persons row is created from this one when the centre approves.
CREATE TABLE contributor_registration_rows (
    serial TEXT NOT NULL REFERENCES submissions (serial),
    row_no BIGINT NOT NULL,
    person_account TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    id_type TEXT NOT NULL,
    id_number TEXT NOT NULL,
    sex TEXT,
    birth_month TEXT,
    mobile TEXT NOT NULL,
    landline TEXT,
    base_fen BIGINT NOT NULL,
    unit_amount_fen BIGINT NOT NULL,
    person_amount_fen BIGINT NOT NULL,
    first_month TEXT NOT NULL,
    bank_account TEXT,
    bank_name TEXT,
    note TEXT,
    PRIMARY KEY (serial, row_no)
);
-- Uniqueness against registrations still waiting for review.
CREATE INDEX contributor_registration_rows_by_id_number ON contributor_registration_rows (id_number);
CREATE INDEX contributor_registration_rows_by_mobile ON contributor_registration_rows (mobile);
