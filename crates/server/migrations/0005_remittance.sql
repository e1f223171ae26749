-- 汇缴 (remittance): one batch per submission (汇缴年月, 汇缴方式, the stated 发生人数/发生额) and its 清册 rows.
-- Portable SQL (SQLite + PostgreSQL): months 'YYYYMM' TEXT, money BIGINT fen.

CREATE TABLE remittance_batches (
    serial TEXT PRIMARY KEY REFERENCES submissions (serial),
    unit_account TEXT NOT NULL REFERENCES units (account),
    -- 汇缴年月 (HBJNY) = 清册年月: the unit's 应汇缴年月 when submitted.
    month TEXT NOT NULL,
    -- 汇缴方式 (HJFS): 01 转账收款, 02 暂收(未分摊余额)收款, 04 委托收款.
    method TEXT NOT NULL,
    -- 发生人数 (FSRS) and 发生额 (FSE) as the clerk stated them (checked equal to the rows).
    person_count BIGINT NOT NULL,
    total_fen BIGINT NOT NULL
);
CREATE INDEX remittance_batches_by_unit_month ON remittance_batches (unit_account, month);

CREATE TABLE remittance_rows (
    serial TEXT NOT NULL REFERENCES submissions (serial),
    row_no BIGINT NOT NULL,
    person_account TEXT NOT NULL,
    base_fen BIGINT NOT NULL,
    unit_amount_fen BIGINT NOT NULL,
    person_amount_fen BIGINT NOT NULL,
    PRIMARY KEY (serial, row_no)
);
