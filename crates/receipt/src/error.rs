//! The crate's one error type: a stable code for programs, a Chinese message for people.

/// What went wrong while making or reading a receipt. `code()` is stable; the Display text says what happened and
/// what to do.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    /// The font bytes are not a usable TrueType/OpenType font (or collection index).
    #[error("回执字体无法使用：{0}。请改用含简体中文字形的 TrueType/OpenType 字体（如 fonts-noto-cjk 的 NotoSansCJK-Regular.ttc）。")]
    FontInvalid(String),
    /// A character of the receipt has no glyph in the font.
    #[error("回执字体中没有字符“{0}”（U+{cp:04X}）的字形，回执无法如实显示。请改用字形更全的中文字体（如 Noto Sans CJK SC）。", cp = u32::from(*.0))]
    FontMissingGlyph(char),
    /// The facts cannot be laid out (e.g. an empty serial, text too long for one page).
    #[error("回执内容无效：{0}。")]
    ReceiptInvalid(String),
    /// The caller's signing callback failed.
    #[error("回执签名失败：{0}。回执未生成，请检查签章证书和私钥后重试。")]
    SignFailed(String),
    /// The CMS returned by the signing callback does not fit the reserved /Contents.
    #[error("签名值有 {len} 字节，超过 PDF 中预留的 {capacity} 字节。请去掉签名中多余的证书后重试。")]
    SignatureTooLarge {
        /// DER length of the CMS.
        len: usize,
        /// Bytes reserved in the PDF.
        capacity: usize,
    },
    /// Not a PDF, or a PDF whose signature structure is malformed.
    #[error("文件不是有效的已签名回执 PDF：{0}。请确认选择的是中心出具的回执原件。")]
    PdfInvalid(String),
    /// A PDF without a (filled) signature.
    #[error("PDF 中没有电子签名。请确认选择的是中心出具的回执原件，而不是打印或另存后的副本。")]
    PdfNotSigned,
    /// Bytes follow the signed range: the file was changed (or added to) after it was signed.
    #[error("PDF 在签名之后被改动过（签名范围之后还有 {0} 字节）。该文件不能证明回执内容，请向中心重新获取回执原件。")]
    PdfModifiedAfterSigning(usize),
    /// The signed PDF carries no receipt.json attachment.
    #[error("PDF 中没有附带的回执数据 receipt.json，无法核对回执内容。请确认文件是中心出具的回执原件。")]
    PdfNoReceipt,
}

impl ReceiptError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ReceiptError::FontInvalid(_) => "FONT_INVALID",
            ReceiptError::FontMissingGlyph(_) => "FONT_MISSING_GLYPH",
            ReceiptError::ReceiptInvalid(_) => "RECEIPT_INVALID",
            ReceiptError::SignFailed(_) => "SIGN_FAILED",
            ReceiptError::SignatureTooLarge { .. } => "SIGNATURE_TOO_LARGE",
            ReceiptError::PdfInvalid(_) => "PDF_INVALID",
            ReceiptError::PdfNotSigned => "PDF_NOT_SIGNED",
            ReceiptError::PdfModifiedAfterSigning(_) => "PDF_MODIFIED_AFTER_SIGNING",
            ReceiptError::PdfNoReceipt => "PDF_NO_RECEIPT",
        }
    }
}
