//! The centre's PDF receipt (回执): one A4 page of Simplified Chinese (embedded, subset font with a ToUnicode CMap),
//! a QR code, the caller's canonical `receipt.json` as an embedded file, and a PDF signature (`/adbe.pkcs7.detached`)
//! whose CMS the caller makes. [`signed_parts`] reads such a file back for verification.
//!
//! The crate never touches keys or certificates: [`render_signed_pdf`] hands the bytes covered by `/ByteRange` to
//! a callback and writes the DER CMS SignedData (detached) it returns into the reserved `/Contents`.

mod error;
mod font;
mod layout;
mod parse;

use std::path::PathBuf;

use pdf_writer::types::{AnnotationFlags, FieldType, SigFlags};
use pdf_writer::{Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use serde::{Deserialize, Serialize};

pub use error::ReceiptError;
pub use parse::{signed_parts, SignedPdf};

use font::{FontRefs, FontUse};

/// Bytes reserved for the DER CMS in `/Contents` (written as twice as many hex digits).
pub const SIGNATURE_CAPACITY: usize = 16 * 1024;

/// The `/SubFilter` of the signature dictionary.
pub const SUB_FILTER: &str = "adbe.pkcs7.detached";

/// Name of the embedded file that carries the caller's canonical receipt JSON.
pub const RECEIPT_ATTACHMENT: &str = "receipt.json";

/// What the receipt page shows. All text is shown as given (control characters become spaces).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptFacts {
    /// 业务流水号.
    pub serial: String,
    /// 单位名称.
    pub unit_name: String,
    /// 统一社会信用代码.
    pub uscc: String,
    /// 业务类型, as a Chinese label (e.g. "基数调整").
    pub business_label: String,
    /// 记录数.
    pub rows: u32,
    /// 受理时间, already formatted in the centre's local time.
    pub accepted_at: String,
    /// 提交内容摘要: SHA-256 of the submission, hex.
    pub digest_hex: String,
    /// 验证码.
    pub verification_code: String,
    /// 签章单位: the receipt-signing certificate's subject CN/O.
    pub signer_name: String,
}

/// The QR code's text: `GJJ-RECEIPT:<serial>:<verification code>`.
pub fn qr_payload(facts: &ReceiptFacts) -> String {
    format!(
        "GJJ-RECEIPT:{}:{}",
        facts.serial.trim(),
        facts.verification_code.trim()
    )
}

/// A Chinese font at a known install path: `(path, index in the collection)`. Linux: fonts-noto-cjk
/// (Noto Sans CJK SC), then WenQuanYi / AR PL fonts; Windows: SimSun, then Microsoft YaHei.
pub fn find_system_font() -> Option<(PathBuf, u32)> {
    font_candidates().into_iter().find(|(path, _)| path.is_file())
}

#[cfg(windows)]
fn font_candidates() -> Vec<(PathBuf, u32)> {
    let windir = std::env::var_os("WINDIR").map_or_else(|| PathBuf::from(r"C:\Windows"), PathBuf::from);
    let fonts = windir.join("Fonts");
    vec![(fonts.join("simsun.ttc"), 0), (fonts.join("msyh.ttc"), 0)]
}

#[cfg(not(windows))]
fn font_candidates() -> Vec<(PathBuf, u32)> {
    [
        // fonts-noto-cjk: the collection's faces are JP, KR, SC, TC, HK, then the Mono ones.
        ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
        ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
        ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
        ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
        ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ]
    .into_iter()
    .map(|(p, i)| (PathBuf::from(p), i))
    .collect()
}

pub(crate) fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 9)
}

const CATALOG: Ref = Ref::new(1);
const PAGES: Ref = Ref::new(2);
const PAGE: Ref = Ref::new(3);
const CONTENT: Ref = Ref::new(4);
const FONT_REFS: FontRefs = FontRefs {
    type0: Ref::new(5),
    cid_font: Ref::new(6),
    descriptor: Ref::new(7),
    program: Ref::new(8),
    to_unicode: Ref::new(9),
};
const RECEIPT_FILE: Ref = Ref::new(10);
const RECEIPT_SPEC: Ref = Ref::new(11);
const SIG_FIELD: Ref = Ref::new(12);
const SIG_VALUE: Ref = Ref::new(13);
const INFO: Ref = Ref::new(14);

/// `/ByteRange` is written with four of these and patched in place (same length, space padded).
const BYTE_RANGE_PLACEHOLDER: &[u8] = b"[2147483647 2147483647 2147483647 2147483647]";
/// `/Contents` is written as `SIGNATURE_CAPACITY` bytes of this value (hex `80…`) and patched in place.
const CONTENTS_FILL: u8 = 0x80;

/// Make the receipt PDF and sign it: `sign` receives the bytes covered by `/ByteRange` (the whole file but the
/// `/Contents` hex string) and returns a DER CMS SignedData over them, detached. `receipt_json` (the canonical
/// receipt the PDF proves) is embedded as `receipt.json`. `font`/`font_index`: a TrueType/OpenType font or
/// collection with Simplified Chinese glyphs (see [`find_system_font`]); only the glyphs used are embedded.
#[allow(clippy::type_complexity)] // the callback's type is the contract, spelled out
pub fn render_signed_pdf(
    receipt: &ReceiptFacts,
    receipt_json: &[u8],
    font: &[u8],
    font_index: u32,
    sign: &mut dyn FnMut(&[u8]) -> Result<Vec<u8>, String>,
) -> Result<Vec<u8>, ReceiptError> {
    let mut pdf = unsigned_pdf(receipt, receipt_json, font, font_index)?;
    let (start, end) = contents_gap(&pdf)?;
    let len = pdf.len();
    let range = format!("[0 {start} {end} {}", len - end);
    let at = find_once(&pdf, BYTE_RANGE_PLACEHOLDER, "/ByteRange")?;
    let mut patched = range.into_bytes();
    patched.resize(BYTE_RANGE_PLACEHOLDER.len() - 1, b' ');
    patched.push(b']');
    pdf[at..at + patched.len()].copy_from_slice(&patched);

    let mut signed = Vec::with_capacity(len - (end - start));
    signed.extend_from_slice(&pdf[..start]);
    signed.extend_from_slice(&pdf[end..]);
    let cms = sign(&signed).map_err(ReceiptError::SignFailed)?;
    if cms.is_empty() {
        return Err(ReceiptError::SignFailed("签名回调返回了空的签名值".to_owned()));
    }
    if cms.len() > SIGNATURE_CAPACITY {
        return Err(ReceiptError::SignatureTooLarge {
            len: cms.len(),
            capacity: SIGNATURE_CAPACITY,
        });
    }
    let mut hex = Vec::with_capacity(end - start);
    hex.push(b'<');
    for b in &cms {
        hex.extend_from_slice(format!("{b:02x}").as_bytes());
    }
    hex.resize(end - start - 1, b'0');
    hex.push(b'>');
    pdf[start..end].copy_from_slice(&hex);
    Ok(pdf)
}

fn find_once(hay: &[u8], needle: &[u8], what: &str) -> Result<usize, ReceiptError> {
    let mut hits = hay
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i);
    match (hits.next(), hits.next()) {
        (Some(at), None) => Ok(at),
        _ => Err(ReceiptError::ReceiptInvalid(format!(
            "生成的 PDF 中 {what} 占位符不唯一（内部错误）"
        ))),
    }
}

/// `[start, end)` of the `/Contents` hex string, `<` and `>` included.
fn contents_gap(pdf: &[u8]) -> Result<(usize, usize), ReceiptError> {
    let mut needle = b"<".to_vec();
    for _ in 0..SIGNATURE_CAPACITY {
        needle.extend_from_slice(format!("{CONTENTS_FILL:02X}").as_bytes());
    }
    needle.push(b'>');
    let start = find_once(pdf, &needle, "/Contents")?;
    Ok((start, start + needle.len()))
}

fn unsigned_pdf(
    receipt: &ReceiptFacts,
    receipt_json: &[u8],
    font: &[u8],
    font_index: u32,
) -> Result<Vec<u8>, ReceiptError> {
    if receipt.serial.trim().is_empty() || receipt.verification_code.trim().is_empty() {
        return Err(ReceiptError::ReceiptInvalid(
            "业务流水号和验证码不能为空".to_owned(),
        ));
    }
    let mut font = FontUse::new(font, font_index)?;
    let content = layout::page_content(receipt, &mut font)?;

    let mut pdf = Pdf::new();
    pdf.set_version(1, 7);

    let title = format!("{} {}", layout::TITLE, receipt.serial.trim());
    pdf.document_info(INFO)
        .title(TextStr(&title))
        .producer(TextStr("gjj-receipt"));

    {
        let mut catalog = pdf.catalog(CATALOG);
        catalog.pages(PAGES).lang(TextStr("zh-CN"));
        catalog
            .names()
            .embedded_files()
            .names()
            .insert(Str(RECEIPT_ATTACHMENT.as_bytes()), RECEIPT_SPEC);
        catalog
            .form()
            .fields([SIG_FIELD])
            .sig_flags(SigFlags::SIGNATURES_EXIST | SigFlags::APPEND_ONLY);
    }
    pdf.pages(PAGES).kids([PAGE]).count(1);
    {
        let mut page = pdf.page(PAGE);
        page.parent(PAGES)
            .media_box(Rect::new(0.0, 0.0, layout::PAGE_WIDTH, layout::PAGE_HEIGHT))
            .contents(CONTENT)
            .annotations([SIG_FIELD]);
        page.resources().fonts().pair(Name(b"F1"), FONT_REFS.type0);
    }
    let packed = deflate(&content);
    pdf.stream(CONTENT, &packed).filter(Filter::FlateDecode);
    font.write(&mut pdf, &FONT_REFS)?;

    let packed = deflate(receipt_json);
    {
        let mut file = pdf.embedded_file(RECEIPT_FILE, &packed);
        file.subtype(Name(b"application/json"));
        file.filter(Filter::FlateDecode);
        file.params()
            .size(i32::try_from(receipt_json.len()).unwrap_or(i32::MAX));
    }
    pdf.file_spec(RECEIPT_SPEC)
        .path(Str(RECEIPT_ATTACHMENT.as_bytes()))
        .unic_file(TextStr(RECEIPT_ATTACHMENT))
        .description(TextStr("回执的机读内容（本 PDF 签名所证明的回执数据）"))
        .embedded_file_with_unicode(RECEIPT_FILE);

    {
        let mut field = pdf.form_field(SIG_FIELD);
        field
            .field_type(FieldType::Signature)
            .partial_name(TextStr("CentreReceiptSignature"));
        field.pair(Name(b"V"), SIG_VALUE);
        let mut widget = field.into_annotation();
        widget
            .rect(Rect::new(0.0, 0.0, 0.0, 0.0))
            .flags(AnnotationFlags::PRINT | AnnotationFlags::LOCKED)
            .page(PAGE);
    }
    {
        let mut sig = pdf.indirect(SIG_VALUE).dict();
        sig.pair(Name(b"Type"), Name(b"Sig"))
            .pair(Name(b"Filter"), Name(b"Adobe.PPKLite"))
            .pair(Name(b"SubFilter"), Name(SUB_FILTER.as_bytes()))
            .pair(Name(b"Name"), TextStr(receipt.signer_name.trim()))
            .pair(Name(b"Reason"), TextStr(&title));
        sig.insert(Name(b"ByteRange")).array().items([i32::MAX; 4]);
        let fill = vec![CONTENTS_FILL; SIGNATURE_CAPACITY];
        sig.pair(Name(b"Contents"), Str(&fill));
        sig.finish();
    }
    Ok(pdf.finish())
}
