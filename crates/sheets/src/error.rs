//! The one error type: a workbook that cannot be read (or a template that cannot be written).
//!
//! Everything about a workbook's *content* (a missing column, a bad ID, no rows at all) is an
//! [`gjj_domain::issue::Issue`], never a `SheetError`: parsing never fails.

use std::path::Path;

use rust_xlsxwriter::{Workbook, XlsxError};

/// Why a workbook could not be read at all, or a template could not be written.
///
/// Each variant has a stable [`code()`](SheetError::code) for the UI and the gateway, and a
/// Chinese `Display` that tells the user what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SheetError {
    /// The file does not exist (or the path names a directory).
    #[error("找不到文件“{file}”。请确认文件仍在原来的位置，然后重新选择。")]
    NotFound {
        /// The file name the user chose (no directory, so nothing private leaks into logs).
        file: String,
    },

    /// The file exists but cannot be read: no permission, locked by another program, truncated
    /// or otherwise damaged.
    #[error(
        "无法读取文件“{file}”：{reason}。如果文件正在 Excel 或 WPS 中打开，请先关闭；\
         如果文件已损坏，请在 Excel/WPS 中打开后“另存为” .xlsx 再导入。"
    )]
    Unreadable {
        /// The file name.
        file: String,
        /// A short technical reason (from the reader library), for support staff.
        reason: String,
    },

    /// The workbook is protected with an open password, so its cells are encrypted.
    #[error(
        "文件“{file}”设置了打开密码，无法读取。请在 Excel/WPS 中打开它，取消“用密码进行加密”\
         （文件 → 信息 → 保护工作簿），保存后再导入。"
    )]
    Encrypted {
        /// The file name.
        file: String,
    },

    /// The file is not a workbook format we read (CSV, HTML saved as .xls, a Word document …).
    #[error(
        "文件“{file}”不是可识别的 Excel 工作簿（{what}）。请在 Excel 或 WPS 中打开后\
         “另存为” Excel 工作簿（.xlsx）再导入。"
    )]
    FormatUnsupported {
        /// The file name.
        file: String,
        /// What the file looked like instead, in Chinese (e.g. "看起来是 CSV 文本").
        what: &'static str,
    },

    /// Another program holds the file open without sharing it (Excel or WPS keeps a workbook it shows locked
    /// against writing; some programs lock it against reading too): Windows' sharing or lock violation.
    #[error(
        "文件“{file}”正被其他程序（如 Excel、WPS）打开，无法{action}。请先在 Excel 中关闭该文件，然后重试。"
    )]
    InUse {
        /// The file name.
        file: String,
        /// "读取" or "保存".
        action: &'static str,
    },

    /// Writing a template failed (disk full, no permission, path is a directory …).
    #[error("无法保存模板“{file}”：{reason}。请换一个保存位置后重试。")]
    WriteFailed {
        /// The file name (or "(内存)" for a template written to memory).
        file: String,
        /// A short technical reason.
        reason: String,
    },
}

impl SheetError {
    /// A stable, machine-readable code for this error, e.g. `"SHEET_ENCRYPTED"`.
    pub fn code(&self) -> &'static str {
        match self {
            SheetError::NotFound { .. } => "SHEET_NOT_FOUND",
            SheetError::Unreadable { .. } => "SHEET_UNREADABLE",
            SheetError::Encrypted { .. } => "SHEET_ENCRYPTED",
            SheetError::FormatUnsupported { .. } => "SHEET_FORMAT_UNSUPPORTED",
            SheetError::InUse { .. } => "FILE_IN_USE",
            SheetError::WriteFailed { .. } => "SHEET_WRITE_FAILED",
        }
    }
}

/// The last component of a path, for messages (the directory may contain a user name).
pub(crate) fn file_label(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string_lossy().into_owned())
}

/// Windows' ERROR_SHARING_VIOLATION (32) and ERROR_LOCK_VIOLATION (33): another process opened the file
/// without sharing the access we asked for. Only Windows reports them; elsewhere nothing matches.
fn is_in_use(e: &std::io::Error) -> bool {
    cfg!(windows) && matches!(e.raw_os_error(), Some(32 | 33))
}

/// A file that could not be opened for reading: not found, held by Excel, or unreadable.
pub(crate) fn open_failed(label: &str, e: &std::io::Error) -> SheetError {
    if e.kind() == std::io::ErrorKind::NotFound {
        SheetError::NotFound {
            file: label.to_owned(),
        }
    } else if is_in_use(e) {
        SheetError::InUse {
            file: label.to_owned(),
            action: "读取",
        }
    } else {
        SheetError::Unreadable {
            file: label.to_owned(),
            reason: e.to_string(),
        }
    }
}

/// A file that could not be written: held open by another program (Excel) or failed for `reason`.
fn save_error(file: &str, in_use: bool, reason: String) -> SheetError {
    if in_use {
        SheetError::InUse {
            file: file.to_owned(),
            action: "保存",
        }
    } else {
        SheetError::WriteFailed {
            file: file.to_owned(),
            reason,
        }
    }
}

/// A workbook that could not be written; `file` is the name shown (or "(内存)").
pub(crate) fn write_failed(file: &str, e: &XlsxError) -> SheetError {
    let in_use = matches!(e, XlsxError::IoError(io) if is_in_use(io));
    save_error(file, in_use, e.to_string())
}

/// Any file the app writes for the user (a text receipt, a report) that could not be written, with the same
/// errors as a workbook: held open by Excel → [`SheetError::InUse`].
pub fn save_failed(path: &Path, e: &std::io::Error) -> SheetError {
    save_error(&file_label(path), is_in_use(e), e.to_string())
}

/// Saves a workbook at `path`, with the errors users understand (a file open in Excel → [`SheetError::InUse`]).
pub fn save_workbook(wb: &mut Workbook, path: &Path) -> Result<(), SheetError> {
    wb.save(path).map_err(|e| write_failed(&file_label(path), &e))
}
pub(crate) fn unreadable(file: &str, e: &dyn std::fmt::Display) -> SheetError {
    SheetError::Unreadable {
        file: file.to_owned(),
        reason: e.to_string(),
    }
}
