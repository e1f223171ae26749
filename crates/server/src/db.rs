//! Database access through sqlx's `Any` driver: the same queries run on SQLite and PostgreSQL.
//!
//! Placeholders are `$1, $2, …` (SQLite accepts them too). Every write of a business happens in one
//! transaction that first bumps the unit's `lock_version`, which serialises a unit's submissions on both
//! backends.

use std::collections::HashMap;

use gjj_domain::api::{Receipt, Role, SubmissionStatus, SubmissionView};
use gjj_domain::money::Fen;
use gjj_domain::month::Month;
use gjj_domain::policy::Policy;
use gjj_domain::rate::Rate;
use gjj_domain::rounding::RoundTo;
use gjj_domain::unit::{UnitFacts, UnitStatus};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

/// The gateway's database.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
}

/// A unit as stored, with its hall role.
#[derive(Clone, Debug)]
pub struct UnitRecord {
    /// Facts the rules need.
    pub facts: UnitFacts,
    /// Hall role.
    pub role: Role,
}

/// A person's account as stored.
#[derive(Clone, Debug)]
pub struct PersonRecord {
    /// 个人账号.
    pub account: String,
    /// 姓名.
    pub name: String,
    /// 证件号码.
    pub id_number: String,
    /// 个人账户状态 (JGJ/T 320 附A.6 code).
    pub status: String,
    /// 缴存基数.
    pub base: Fen,
}

/// The stored part of a submission that decides idempotent replays.
#[derive(Clone, Debug)]
pub struct StoredSubmission {
    /// SHA-256 of the payload, hex.
    pub payload_sha256: String,
    /// The receipt issued.
    pub receipt: Receipt,
}

impl Db {
    /// Connects (creating a SQLite file when the URL says `mode=rwc`) and applies migrations.
    pub async fn connect(url: &str) -> Result<Db, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let sqlite = url.starts_with("sqlite:");
        let pool = AnyPoolOptions::new()
            // SQLite has one writer; more connections only add lock waits.
            .max_connections(if sqlite { 4 } else { 16 })
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if sqlite {
                        // WAL: readers don't block the writer; busy_timeout: writers queue instead of failing.
                        for pragma in [
                            "PRAGMA journal_mode = WAL",
                            "PRAGMA synchronous = NORMAL",
                            "PRAGMA busy_timeout = 10000",
                            "PRAGMA foreign_keys = ON",
                        ] {
                            sqlx::query(pragma).execute(&mut *conn).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Db { pool })
    }

    /// The pool, for transactions in handlers.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The unit a USCC belongs to.
    pub async fn unit_by_uscc(&self, uscc: &str) -> Result<Option<UnitRecord>, sqlx::Error> {
        self.unit_where("uscc", uscc).await
    }

    /// The unit registered under exactly this name.
    pub async fn unit_by_name(&self, name: &str) -> Result<Option<UnitRecord>, sqlx::Error> {
        self.unit_where("name", name).await
    }

    /// The unit whose `column` (a fixed column name, never input) equals `value`.
    async fn unit_where(&self, column: &'static str, value: &str) -> Result<Option<UnitRecord>, sqlx::Error> {
        let sql = format!(
            "SELECT account, uscc, name, role, status, unit_rate_bp, person_rate_bp, first_month, paid_through \
             FROM units WHERE {column} = $1"
        );
        let row = sqlx::query(&sql).bind(value).fetch_optional(&self.pool).await?;
        row.map(|r| unit_from_row(&r)).transpose()
    }

    /// The policy year containing `month`.
    pub async fn policy_for(&self, month: Month) -> Result<Option<Policy>, sqlx::Error> {
        let m = month.to_string();
        let row = sqlx::query(
            "SELECT year, starts, ends, base_min_fen, base_max_fen, monthly_min_fen, monthly_max_fen, \
             unit_rate_min_bp, unit_rate_max_bp, person_rate_min_bp, person_rate_max_bp, round_to \
             FROM policies WHERE starts <= $1 AND ends >= $1 ORDER BY year DESC",
        )
        .bind(&m)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| policy_from_row(&r)).transpose()
    }

    /// Every person of a unit, by 个人账号.
    pub async fn persons_of_unit(
        &self,
        unit_account: &str,
    ) -> Result<HashMap<String, PersonRecord>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT account, name, id_number, status, base_fen FROM persons WHERE unit_account = $1 ORDER BY account",
        )
        .bind(unit_account)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PersonRecord {
                    account: r.try_get("account")?,
                    name: r.try_get("name")?,
                    id_number: r.try_get("id_number")?,
                    status: r.try_get("status")?,
                    base: Fen(r.try_get("base_fen")?),
                })
            })
            .map(|p: Result<PersonRecord, sqlx::Error>| p.map(|p| (p.account.clone(), p)))
            .collect()
    }

    /// A submission of `business` for the unit that is still open (已受理/审核中).
    pub async fn open_submission(
        &self,
        unit_account: &str,
        business: &str,
    ) -> Result<Option<String>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT serial FROM submissions WHERE unit_account = $1 AND business = $2 AND status IN ($3, $4)",
        )
        .bind(unit_account)
        .bind(business)
        .bind(SubmissionStatus::Accepted.code())
        .bind(SubmissionStatus::Reviewing.code())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| r.try_get("serial")).transpose()
    }

    /// The submission stored under an idempotency key.
    pub async fn by_idempotency_key(
        &self,
        unit_account: &str,
        key: &str,
    ) -> Result<Option<StoredSubmission>, sqlx::Error> {
        let row = sqlx::query("SELECT payload_sha256, receipt FROM submissions WHERE unit_account = $1 AND idempotency_key = $2")
            .bind(unit_account)
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(StoredSubmission {
                payload_sha256: r.try_get("payload_sha256")?,
                receipt: json_col(&r, "receipt")?,
            })
        })
        .transpose()
    }

    /// A unit's view of one of its submissions.
    pub async fn submission_view(
        &self,
        unit_account: &str,
        serial: &str,
    ) -> Result<Option<SubmissionView>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT receipt, status, return_reason, updated_at FROM submissions WHERE unit_account = $1 AND serial = $2",
        )
        .bind(unit_account)
        .bind(serial)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| view_from_row(&r)).transpose()
    }

    /// A unit's submissions, newest first.
    pub async fn submissions(
        &self,
        unit_account: &str,
        limit: i64,
    ) -> Result<Vec<SubmissionView>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT receipt, status, return_reason, updated_at FROM submissions WHERE unit_account = $1 \
             ORDER BY created_at DESC, serial DESC LIMIT $2",
        )
        .bind(unit_account)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(view_from_row).collect()
    }
}

fn decode_err(column: &str, detail: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: detail.to_string().into(),
    }
}

fn json_col<T: serde::de::DeserializeOwned>(row: &AnyRow, column: &str) -> Result<T, sqlx::Error> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|e| decode_err(column, e))
}

fn month_col(row: &AnyRow, column: &str) -> Result<Month, sqlx::Error> {
    let text: String = row.try_get(column)?;
    Month::parse(&text).map_err(|e| decode_err(column, e))
}

fn rate_col(row: &AnyRow, column: &str) -> Result<Rate, sqlx::Error> {
    let bp: i64 = row.try_get(column)?;
    u32::try_from(bp).map(Rate).map_err(|e| decode_err(column, e))
}

fn view_from_row(row: &AnyRow) -> Result<SubmissionView, sqlx::Error> {
    let status_code: String = row.try_get("status")?;
    let status = SubmissionStatus::parse(&status_code).ok_or_else(|| decode_err("status", &status_code))?;
    Ok(SubmissionView {
        receipt: json_col(row, "receipt")?,
        status,
        status_label: status.label().to_owned(),
        return_reason: row.try_get("return_reason")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// A `units` row (the columns of [`Db::unit_by_uscc`]'s SELECT) as a [`UnitRecord`]; `pub(crate)` for reads
/// inside a business's transaction (个人启封's approval).
pub(crate) fn unit_from_row(row: &AnyRow) -> Result<UnitRecord, sqlx::Error> {
    let status: String = row.try_get("status")?;
    let role: String = row.try_get("role")?;
    let paid_through: Option<String> = row.try_get("paid_through")?;
    Ok(UnitRecord {
        facts: UnitFacts {
            account: row.try_get("account")?,
            name: row.try_get("name")?,
            uscc: row.try_get("uscc")?,
            status: UnitStatus::parse(&status).ok_or_else(|| decode_err("status", &status))?,
            unit_rate: rate_col(row, "unit_rate_bp")?,
            person_rate: rate_col(row, "person_rate_bp")?,
            first_month: month_col(row, "first_month")?,
            paid_through: paid_through
                .map(|m| Month::parse(&m).map_err(|e| decode_err("paid_through", e)))
                .transpose()?,
        },
        role: Role::parse(&role).ok_or_else(|| decode_err("role", &role))?,
    })
}

fn policy_from_row(row: &AnyRow) -> Result<Policy, sqlx::Error> {
    let round: String = row.try_get("round_to")?;
    let year: i64 = row.try_get("year")?;
    Ok(Policy {
        year: u16::try_from(year).map_err(|e| decode_err("year", e))?,
        starts: month_col(row, "starts")?,
        ends: month_col(row, "ends")?,
        base_min: Fen(row.try_get("base_min_fen")?),
        base_max: Fen(row.try_get("base_max_fen")?),
        monthly_min: Fen(row.try_get("monthly_min_fen")?),
        monthly_max: Fen(row.try_get("monthly_max_fen")?),
        unit_rate_min: rate_col(row, "unit_rate_min_bp")?,
        unit_rate_max: rate_col(row, "unit_rate_max_bp")?,
        person_rate_min: rate_col(row, "person_rate_min_bp")?,
        person_rate_max: rate_col(row, "person_rate_max_bp")?,
        round_to: parse_round_to(&round).ok_or_else(|| decode_err("round_to", &round))?,
    })
}

/// Rows per multi-row INSERT for a table of `columns` columns: about 256 bound parameters per statement.
///
/// SQLite's cost of binding numbered parameters grows with the square of their count (each `$n` is looked up by
/// name in a list): 50,000 rows × 17 columns took 16.6 s in chunks of 1,000 rows and 0.7 s in chunks of 16
/// (measured for 缴存人登记). PostgreSQL is indifferent at this size.
pub fn rows_per_insert(columns: usize) -> usize {
    (256 / columns.max(1)).max(1)
}

/// `($1, $2, …), ($n+1, …)` for a multi-row INSERT. sqlx's QueryBuilder emits `?` for the `Any` driver, which
/// PostgreSQL rejects; numbered placeholders work on both backends.
pub fn values_placeholders(rows: usize, columns: usize) -> String {
    let mut out = String::with_capacity(rows * columns * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..columns {
            if c > 0 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&(r * columns + c + 1).to_string());
        }
        out.push(')');
    }
    out
}

/// Round-to codes as stored ("fen", "jiao", "yuan").
pub fn parse_round_to(code: &str) -> Option<RoundTo> {
    match code {
        "fen" => Some(RoundTo::Fen),
        "jiao" => Some(RoundTo::Jiao),
        "yuan" => Some(RoundTo::Yuan),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_numbered_across_rows() {
        assert_eq!(super::values_placeholders(2, 3), "($1, $2, $3), ($4, $5, $6)");
    }
}
