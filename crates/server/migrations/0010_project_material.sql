-- 补充项目材料 `project_material` (issue 4): files a developer attaches to a project or a building. Portable SQL
-- only (SQLite and PostgreSQL): file bytes are base64 TEXT, one row per 1 MiB chunk, so no BLOB/BYTEA and no
-- server path is ever derived from a file name.

-- One upload per (project, SHA-256): declaring the same file again finds this row, which is what makes an
-- upload resumable and a file stored once. Deleted with its chunks when completion refuses the bytes.
CREATE TABLE project_material_uploads (
    id TEXT PRIMARY KEY,
    developer_account TEXT NOT NULL REFERENCES units (account),
    project_id TEXT NOT NULL REFERENCES projects (id),
    building_id TEXT,
    kind TEXT NOT NULL,
    -- Sanitised original name: metadata only.
    name TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    chunk_size BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (project_id, sha256)
);

-- The bytes, chunk by chunk; a chunk sent twice is stored once (primary key).
CREATE TABLE project_material_chunks (
    upload_id TEXT NOT NULL REFERENCES project_material_uploads (id),
    chunk_index BIGINT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content TEXT NOT NULL,
    PRIMARY KEY (upload_id, chunk_index)
);

-- A recorded material: the upload whose bytes the centre checked (size, SHA-256, type by content) and whose
-- manifest the developer signed (the submission `serial`).
CREATE TABLE project_materials (
    id TEXT PRIMARY KEY,
    serial TEXT NOT NULL REFERENCES submissions (serial),
    upload_id TEXT NOT NULL UNIQUE REFERENCES project_material_uploads (id),
    developer_account TEXT NOT NULL REFERENCES units (account),
    project_id TEXT NOT NULL REFERENCES projects (id),
    building_id TEXT,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    file_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (project_id, sha256)
);
CREATE INDEX project_materials_by_project ON project_materials (project_id);
