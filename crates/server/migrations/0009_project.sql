-- 开发商网厅 (issue 4): 项目录入 `project` and 楼栋录入 `building` with its 户 list. Portable SQL only (SQLite and
-- PostgreSQL): money BIGINT fen, ratios BIGINT basis points, areas BIGINT hundredths of a square metre (0.01 m²),
-- dates 'YYYY-MM-DD' TEXT.

-- 楼盘项目 (REFERENCE §B5 LPXX + §H): the developer's working copy. Created by an unsigned draft save (status
-- 'draft'), overwritten by each signed submission (status 'submitted'; the submission's own status says whether it
-- is under review, returned or withdrawn) and made 'active' when the centre approves. Everything but the name may
-- be empty in a draft: a developer fills a project over several sittings; the rules run when it is submitted.
CREATE TABLE projects (
    id TEXT PRIMARY KEY,
    developer_account TEXT NOT NULL REFERENCES units (account),
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    address TEXT,
    -- 预售许可证号 (project level, Bijie YSXKZH); each building has its own as well.
    presale_permit TEXT,
    -- The four permits of JGJ/T 320's project table.
    land_planning_permit TEXT,
    land_certificate TEXT,
    engineering_planning_permit TEXT,
    construction_permit TEXT,
    mortgage_agreement_date TEXT,
    deposit_ratio_bp BIGINT,
    deposit_account TEXT,
    deposit_bank TEXT,
    deposit_account_name TEXT,
    total_area_centi BIGINT,
    total_amount_fen BIGINT,
    land_total_fen BIGINT,
    land_unit_price_fen BIGINT,
    contact_name TEXT,
    contact_phone TEXT,
    note TEXT,
    -- The latest signed submission of this project (NULL while it has only ever been a draft).
    last_serial TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX projects_by_developer ON projects (developer_account);

-- Which project each 项目录入 submission is about (the signed payload in `submissions` holds the fields).
CREATE TABLE project_submissions (
    serial TEXT PRIMARY KEY REFERENCES submissions (serial),
    project_id TEXT NOT NULL REFERENCES projects (id)
);
CREATE INDEX project_submissions_by_project ON project_submissions (project_id);

-- 楼栋 (REFERENCE §B5 LDXX + §H), created when the centre approves a 楼栋录入.
CREATE TABLE buildings (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects (id),
    building_no TEXT NOT NULL,
    -- 预售许可证: unique across every building of the centre (Bijie checkYSXKZUniq).
    presale_permit TEXT NOT NULL UNIQUE,
    unit_count BIGINT NOT NULL,
    floor_count BIGINT NOT NULL,
    completion_date TEXT NOT NULL,
    loan_ratio_bp BIGINT NOT NULL,
    note TEXT,
    serial TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (project_id, building_no)
);

-- A 楼栋录入 as accepted; the building (its "LD" id, its row in `buildings`, its houses) appears at approval.
CREATE TABLE building_submissions (
    serial TEXT PRIMARY KEY REFERENCES submissions (serial),
    project_id TEXT NOT NULL REFERENCES projects (id),
    building_no TEXT NOT NULL,
    presale_permit TEXT NOT NULL,
    unit_count BIGINT NOT NULL,
    floor_count BIGINT NOT NULL,
    completion_date TEXT NOT NULL,
    loan_ratio_bp BIGINT NOT NULL,
    note TEXT
);
CREATE INDEX building_submissions_by_permit ON building_submissions (presale_permit);

-- The 户 list of a 楼栋录入 as accepted.
CREATE TABLE building_house_rows (
    serial TEXT NOT NULL REFERENCES submissions (serial),
    row_no BIGINT NOT NULL,
    house_no TEXT NOT NULL,
    unit_no BIGINT NOT NULL,
    floor BIGINT NOT NULL,
    area_centi BIGINT NOT NULL,
    inner_area_centi BIGINT NOT NULL,
    price_fen BIGINT NOT NULL,
    PRIMARY KEY (serial, row_no)
);

-- 房屋(户) of an approved building. status: 可售 / 已售 / 已抵押 (REFERENCE §H); approval creates them 可售.
CREATE TABLE houses (
    building_id TEXT NOT NULL REFERENCES buildings (id),
    house_no TEXT NOT NULL,
    unit_no BIGINT NOT NULL,
    floor BIGINT NOT NULL,
    area_centi BIGINT NOT NULL,
    inner_area_centi BIGINT NOT NULL,
    price_fen BIGINT NOT NULL,
    status TEXT NOT NULL,
    PRIMARY KEY (building_id, house_no)
);
