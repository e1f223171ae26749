//! The one error type: a workbook that cannot be read (or a template that cannot be written).
//!
//! Everything about a workbook's *content* (a missing column, a bad ID, no rows at all) is an
//! [`gjj_domain::issue::Issue`], never a `SheetError`: parsing never fails.

use std::path::Path;

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

    /// Writing a template failed (disk full, no permission, path is a directory …).
    #[error("无法保存模板“{file}”：{reason}。请换一个保存位置后重试。")]
    WriteFailed {
        /// The file name (or "(内存)" for [`template_bytes`](crate::base_adjustment::template_bytes)).
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
