//! `gjj-server backup` / `restore` for the embedded SQLite store. PostgreSQL is backed up with its own tools
//! (`pg_dump -Fc`, `pg_restore`; docs/deploy.md).
//!
//! The backup is SQLite's `VACUUM INTO`: one read transaction over the live database, so it is a consistent
//! snapshot taken while the gateway keeps serving (writers are not blocked in WAL mode), written compact into
//! a new file. It is checked (`PRAGMA integrity_check`) before the command says it is done.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};

/// The database file of a `sqlite://PATH?…` URL.
fn sqlite_path(url: &str) -> Result<PathBuf> {
    let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    else {
        bail!("这个数据库不是 SQLite（{}）。PostgreSQL 请用 pg_dump -Fc 备份、pg_restore 恢复，见 docs/deploy.md。", scheme(url));
    };
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path.starts_with(":memory:") {
        bail!("内存数据库无法备份或恢复。");
    }
    Ok(PathBuf::from(path))
}

fn scheme(url: &str) -> &str {
    url.split(':').next().unwrap_or("")
}

async fn open(path: &Path, read_only: bool) -> Result<SqliteConnection> {
    SqliteConnectOptions::new()
        .filename(path)
        .read_only(read_only)
        .connect()
        .await
        .with_context(|| format!("打开 {} 失败", path.display()))
}

/// Whether `path` is a whole gateway database: intact, with the gateway's tables. Returns its submissions.
async fn check(path: &Path) -> Result<i64> {
    let mut conn = open(path, true).await?;
    let verdict: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .with_context(|| format!("{} 不是有效的 SQLite 数据库", path.display()))?;
    if verdict != "ok" {
        bail!(
            "{} 已损坏（integrity_check: {verdict}），不能使用。",
            path.display()
        );
    }
    let submissions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM submissions")
        .fetch_one(&mut conn)
        .await
        .with_context(|| format!("{} 不是网关数据库（没有 submissions 表）", path.display()))?;
    conn.close().await?;
    Ok(submissions)
}

/// Writes a consistent copy of the live database to `to` (which must not exist) and checks it.
pub async fn backup(url: &str, to: &Path) -> Result<()> {
    let from = sqlite_path(url)?;
    if to.exists() {
        bail!("{} 已存在：备份不会覆盖已有文件，请换一个文件名。", to.display());
    }
    let to_text = to
        .to_str()
        .with_context(|| format!("备份路径 {} 含有无法使用的字符", to.display()))?;
    let mut conn = open(&from, false).await?;
    sqlx::query("VACUUM INTO $1")
        .bind(to_text)
        .execute(&mut conn)
        .await
        .with_context(|| format!("备份到 {} 失败（磁盘空间不足或目录不可写？）", to.display()))?;
    conn.close().await?;
    let submissions = check(to).await?;
    tracing::info!(to = %to.display(), submissions, "backup written and checked");
    Ok(())
}

/// Puts the backup `from` in place of the database (the gateway must be stopped): checked first, copied
/// beside the database, then renamed over it, so an interrupted restore leaves the old database whole.
pub async fn restore(url: &str, from: &Path) -> Result<()> {
    let target = sqlite_path(url)?;
    let submissions = check(from).await?;
    let mut staging = target.clone().into_os_string();
    staging.push(".restoring");
    let staging = PathBuf::from(staging);
    std::fs::copy(from, &staging).with_context(|| format!("复制到 {} 失败", staging.display()))?;
    std::fs::File::open(&staging)?.sync_all()?;
    // The old database's write-ahead log belongs to the old file: replayed onto the backup it would corrupt it.
    for suffix in ["-wal", "-shm"] {
        let mut side = target.clone().into_os_string();
        side.push(suffix);
        match std::fs::remove_file(PathBuf::from(side)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).context("删除旧数据库的日志文件失败（网关是否仍在运行？请先停止网关）"),
        }
    }
    std::fs::rename(&staging, &target).with_context(|| format!("替换 {} 失败", target.display()))?;
    tracing::info!(from = %from.display(), submissions, "database restored");
    Ok(())
}
