-- 补缴 (supplementary): the rows as submitted, and one row per person-month they cover, so that no month is paid
-- twice. Portable SQL (SQLite + PostgreSQL): months 'YYYYMM' TEXT, money BIGINT fen, timestamps RFC 3339 TEXT.

CREATE TABLE supplementary_rows (
    serial TEXT NOT NULL REFERENCES submissions (serial),
    row_no BIGINT NOT NULL,
    person_account TEXT NOT NULL,
    start_month TEXT NOT NULL,
    end_month TEXT NOT NULL,
    base_fen BIGINT NOT NULL,
    -- 单位补缴额 / 个人补缴额 per month.
    unit_amount_fen BIGINT NOT NULL,
    person_amount_fen BIGINT NOT NULL,
    -- 补缴原因 code (01 漏缴, 02 启封后补缴, 03 基数调整差额, 99 其他) and its text.
    reason_code TEXT NOT NULL,
    reason_text TEXT,
    PRIMARY KEY (serial, row_no)
);

-- Every person-month a 补缴 covers. A month counts as taken while its submission is open (已受理/审核中) or done
-- (已办结); a returned or withdrawn one frees it again, which is why this is checked through `submissions` rather
-- than a unique index. `paid_at` is set when the centre approves: the month is then paid.
CREATE TABLE supplementary_months (
    person_account TEXT NOT NULL,
    month TEXT NOT NULL,
    serial TEXT NOT NULL REFERENCES submissions (serial),
    paid_at TEXT,
    PRIMARY KEY (person_account, month, serial)
);
CREATE INDEX supplementary_months_by_serial ON supplementary_months (serial);
