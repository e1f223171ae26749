-- 个人封存 / 个人启封 (seal / unseal, issue 3 business 7): the rows as accepted. Portable SQL only (SQLite and
-- PostgreSQL): months 'YYYYMM' TEXT, money BIGINT fen. The person's 个人账户状态 (persons.status, JGJ/T 320 附A.6)
-- changes only when the centre approves: 封存 01 → 02, 启封 02 → 01 with the new base.

CREATE TABLE seal_rows (
    serial TEXT NOT NULL REFERENCES submissions (serial),
    row_no BIGINT NOT NULL,
    person_account TEXT NOT NULL,
    -- 生效年月: the first month the account is sealed.
    effective_month TEXT NOT NULL,
    -- 封存原因 code (成都 table, REFERENCE §A3: 1 保留劳动关系停发工资, 2 符合销户条件暂不支取, 3 调动暂不转移).
    reason_code TEXT NOT NULL,
    note TEXT,
    PRIMARY KEY (serial, row_no)
);
CREATE INDEX seal_rows_by_person ON seal_rows (person_account);

CREATE TABLE unseal_rows (
    serial TEXT NOT NULL REFERENCES submissions (serial),
    row_no BIGINT NOT NULL,
    person_account TEXT NOT NULL,
    -- 生效年月: the first month the account contributes again.
    effective_month TEXT NOT NULL,
    -- The base on record when the batch was accepted, and the 启封后缴存基数.
    old_base_fen BIGINT NOT NULL,
    new_base_fen BIGINT NOT NULL,
    -- 单位/个人月缴存额 at acceptance (approval recomputes them with the rates in force then).
    unit_amount_fen BIGINT NOT NULL,
    person_amount_fen BIGINT NOT NULL,
    -- 启封原因 code (成都 table, REFERENCE §A4: 1 正常, 2 错误封存).
    reason_code TEXT NOT NULL,
    note TEXT,
    PRIMARY KEY (serial, row_no)
);
CREATE INDEX unseal_rows_by_person ON unseal_rows (person_account);
