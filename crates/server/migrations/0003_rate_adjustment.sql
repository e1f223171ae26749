-- 缴存比例调整 (rate_adjustment). Portable SQL only (SQLite and PostgreSQL): see 0001_init.sql.

-- One row per accepted submission: the unit's rates before, the new rates and the 生效年月. On approval the unit's
-- rates become the new ones and every 正常 person's monthly amounts are recomputed (persons.*_amount_fen).
CREATE TABLE rate_adjustments (
    serial TEXT PRIMARY KEY REFERENCES submissions (serial),
    old_unit_rate_bp BIGINT NOT NULL,
    old_person_rate_bp BIGINT NOT NULL,
    new_unit_rate_bp BIGINT NOT NULL,
    new_person_rate_bp BIGINT NOT NULL,
    effective_month TEXT NOT NULL,
    -- 正常 contributors whose amounts were checked at acceptance (for the reviewer).
    active_persons BIGINT NOT NULL
);
