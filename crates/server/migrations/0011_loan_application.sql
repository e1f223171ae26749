-- 开发商网厅 (issue 4): 贷款申请 `loan_application`. Portable SQL only (SQLite and PostgreSQL): money BIGINT fen,
-- ratios BIGINT basis points, annual interest rates BIGINT in 0.001 % (2.525 % = 2525: basis points cannot hold
-- it), months TEXT 'YYYYMM'.

-- The centre's loan rules per policy year, as DATA (seeded from seed/demo.toml; REFERENCE §C 衡阳 figures). The
-- year in force is the one with the latest `starts` not after the application month.
CREATE TABLE loan_policies (
    year BIGINT PRIMARY KEY,
    starts TEXT NOT NULL,
    max_amount_fen BIGINT NOT NULL,
    max_ratio_bp BIGINT NOT NULL,
    min_down_ratio_bp BIGINT NOT NULL,
    max_years BIGINT NOT NULL,
    age_limit BIGINT NOT NULL,
    min_contribution_months BIGINT NOT NULL,
    short_term_years BIGINT NOT NULL,
    first_short_rate BIGINT NOT NULL,
    first_long_rate BIGINT NOT NULL,
    second_short_rate BIGINT NOT NULL,
    second_long_rate BIGINT NOT NULL,
    uplift_two_children_bp BIGINT NOT NULL,
    uplift_three_children_bp BIGINT NOT NULL
);

-- The ACCEPTED applicants of a 贷款申请 (refused ones live only in the receipt). A house with a row here whose
-- submission is open (accepted / reviewing) is "under application"; approval marks the house 已售.
CREATE TABLE loan_application_rows (
    serial TEXT NOT NULL REFERENCES submissions (serial),
    row_no BIGINT NOT NULL,
    borrower_name TEXT NOT NULL,
    borrower_id_number TEXT NOT NULL,
    borrower_account TEXT NOT NULL,
    borrower_mobile TEXT NOT NULL,
    borrower_income_fen BIGINT NOT NULL,
    co_name TEXT,
    co_id_number TEXT,
    co_account TEXT,
    co_mobile TEXT,
    co_income_fen BIGINT,
    co_relation TEXT,
    building_id TEXT NOT NULL REFERENCES buildings (id),
    house_no TEXT NOT NULL,
    price_fen BIGINT NOT NULL,
    down_payment_fen BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    months BIGINT NOT NULL,
    repayment TEXT NOT NULL,
    house_count BIGINT NOT NULL,
    children BIGINT NOT NULL,
    annual_rate BIGINT NOT NULL,
    first_payment_fen BIGINT NOT NULL,
    last_payment_fen BIGINT NOT NULL,
    total_interest_fen BIGINT NOT NULL,
    PRIMARY KEY (serial, row_no)
);
CREATE INDEX loan_application_rows_by_house ON loan_application_rows (building_id, house_no);
