-- 缴存人信息变更 (contributor_change, issue 3 business 6). Portable SQL only (SQLite and PostgreSQL).
--
-- One row per changed field of a person, as accepted: the value it replaces (the centre's record at acceptance)
-- and the new one. Approval writes new_value into persons.{field} after checking old_value still stands.
CREATE TABLE contributor_change_rows (
    serial TEXT NOT NULL REFERENCES submissions (serial),
    item_no BIGINT NOT NULL,
    -- The sheet row (1 for the form).
    row_no BIGINT NOT NULL,
    person_account TEXT NOT NULL,
    -- A persons column: name, id_type, id_number, sex, birth_month, mobile, landline, bank_account, bank_name.
    field TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    PRIMARY KEY (serial, item_no)
);
-- Uniqueness of a new 证件号码/手机 against changes still under review.
CREATE INDEX contributor_change_rows_by_value ON contributor_change_rows (field, new_value);
