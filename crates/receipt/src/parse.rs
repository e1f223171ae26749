//! Reading a signed receipt back: the last signature's `/ByteRange` must cover the whole file but exactly its
//! `/Contents` hex string; the signed bytes, the DER CMS and the embedded receipt.json are returned for the caller
//! to verify (this module does not check the CMS).

use lopdf::{Dictionary, Document, LoadOptions, Object};

use crate::{ReceiptError, RECEIPT_ATTACHMENT};

/// Upper bound for the decompressed receipt.json (a receipt is a few KiB).
const MAX_RECEIPT_JSON: usize = 4 * 1024 * 1024;
/// Nesting bound for field and name trees.
const MAX_DEPTH: usize = 32;

/// What a signed receipt PDF carries, unverified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedPdf {
    /// The bytes covered by `/ByteRange`: the whole file without the `/Contents` hex string.
    pub signed_bytes: Vec<u8>,
    /// The signature value: a DER CMS SignedData, detached, over `signed_bytes` (trailing padding removed).
    pub cms_der: Vec<u8>,
    /// The embedded `receipt.json`, decompressed.
    pub receipt_json: Vec<u8>,
}

fn invalid(what: impl std::fmt::Display) -> ReceiptError {
    ReceiptError::PdfInvalid(what.to_string())
}

/// Split a signed receipt into what was signed, the signature and the receipt data. Errors: `PDF_INVALID`,
/// `PDF_NOT_SIGNED`, `PDF_MODIFIED_AFTER_SIGNING` (bytes after the signed range), `PDF_NO_RECEIPT`.
pub fn signed_parts(pdf: &[u8]) -> Result<SignedPdf, ReceiptError> {
    if !pdf.starts_with(b"%PDF-") {
        return Err(invalid("文件头不是 %PDF-"));
    }
    let options = LoadOptions {
        strict: true,
        max_decompressed_size: Some(MAX_RECEIPT_JSON * 4),
        ..LoadOptions::default()
    };
    let doc = Document::load_mem_with_options(pdf, options)
        .map_err(|e| invalid(format!("PDF 结构无法解析（{e}）")))?;

    // The last signature is the one whose signed range reaches furthest.
    let mut last: Option<(&Dictionary, [usize; 4])> = None;
    for sig in signature_values(&doc)? {
        let range = byte_range(sig)?;
        if last.is_none_or(|(_, r)| range[2] + range[3] > r[2] + r[3]) {
            last = Some((sig, range));
        }
    }
    let (sig, [a0, a1, b0, b1]) = last.ok_or(ReceiptError::PdfNotSigned)?;

    let covered_end = b0.checked_add(b1).ok_or_else(|| invalid("/ByteRange 数值溢出"))?;
    if a0 != 0 || a1 == 0 || b0 < a1 + 2 {
        return Err(invalid("/ByteRange 不是从文件开头起、只留出签名值的两段"));
    }
    if covered_end > pdf.len() {
        return Err(invalid("/ByteRange 超出了文件长度（文件被截断）"));
    }
    if covered_end < pdf.len() {
        return Err(ReceiptError::PdfModifiedAfterSigning(pdf.len() - covered_end));
    }
    // The gap must be exactly one hex string: nothing but hex digits can hide in the unsigned part.
    let gap = &pdf[a1..b0];
    let (Some(b'<'), Some(b'>')) = (gap.first(), gap.last()) else {
        return Err(invalid("/ByteRange 留出的部分不是签名值的十六进制串"));
    };
    let digits = &gap[1..gap.len() - 1];
    if digits.len() % 2 != 0 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return Err(invalid("/ByteRange 留出的部分不是签名值的十六进制串"));
    }
    let contents: Vec<u8> = digits
        .chunks(2)
        .map(|p| (hex_value(p[0]) << 4) | hex_value(p[1]))
        .collect();
    let declared = sig
        .get(b"Contents")
        .and_then(Object::as_str)
        .map_err(|_| invalid("签名字典没有 /Contents"))?;
    if declared != contents.as_slice() {
        return Err(invalid("/ByteRange 留出的部分不是该签名的 /Contents"));
    }
    if contents.iter().all(|b| *b == 0) {
        return Err(ReceiptError::PdfNotSigned);
    }
    let cms_len = der_len(&contents).ok_or_else(|| invalid("签名值不是 DER 编码的 CMS"))?;
    if cms_len > contents.len() || contents[cms_len..].iter().any(|b| *b != 0) {
        return Err(invalid("签名值不是 DER 编码的 CMS（长度不符或其后还有数据）"));
    }

    let receipt_json = embedded_receipt(&doc).ok_or(ReceiptError::PdfNoReceipt)?;
    let mut signed_bytes = Vec::with_capacity(a1 + b1);
    signed_bytes.extend_from_slice(&pdf[..a1]);
    signed_bytes.extend_from_slice(&pdf[b0..]);
    Ok(SignedPdf {
        signed_bytes,
        cms_der: contents[..cms_len].to_vec(),
        receipt_json,
    })
}

fn hex_value(d: u8) -> u8 {
    match d {
        b'0'..=b'9' => d - b'0',
        b'a'..=b'f' => d - b'a' + 10,
        b'A'..=b'F' => d - b'A' + 10,
        _ => 0,
    }
}

/// Total length of the DER TLV at the start of `b` (a SEQUENCE).
fn der_len(b: &[u8]) -> Option<usize> {
    if *b.first()? != 0x30 {
        return None;
    }
    let first = *b.get(1)?;
    if first < 0x80 {
        return Some(2 + usize::from(first));
    }
    let n = usize::from(first & 0x7f);
    if n == 0 || n > 4 {
        return None;
    }
    let mut len = 0usize;
    for i in 0..n {
        len = (len << 8) | usize::from(*b.get(2 + i)?);
    }
    Some(2 + n + len)
}

fn byte_range(sig: &Dictionary) -> Result<[usize; 4], ReceiptError> {
    let bad = || invalid("签名的 /ByteRange 不是四个非负整数");
    let items = sig
        .get(b"ByteRange")
        .and_then(Object::as_array)
        .map_err(|_| bad())?;
    let [a, b, c, d] = items.as_slice() else {
        return Err(bad());
    };
    let mut out = [0usize; 4];
    for (slot, item) in out.iter_mut().zip([a, b, c, d]) {
        *slot = item
            .as_i64()
            .ok()
            .and_then(|v| usize::try_from(v).ok())
            .ok_or_else(bad)?;
    }
    Ok(out)
}

/// The `/V` dictionaries of the form's signature fields.
fn signature_values(doc: &Document) -> Result<Vec<&Dictionary>, ReceiptError> {
    let catalog = doc
        .catalog()
        .map_err(|e| invalid(format!("没有文档目录（{e}）")))?;
    let mut out = Vec::new();
    let Ok(form) = catalog.get_deref(b"AcroForm", doc).and_then(Object::as_dict) else {
        return Ok(out);
    };
    let Ok(fields) = form.get_deref(b"Fields", doc).and_then(Object::as_array) else {
        return Ok(out);
    };
    for field in fields {
        visit_field(doc, field, None, 0, &mut out);
    }
    Ok(out)
}

fn visit_field<'a>(
    doc: &'a Document,
    field: &'a Object,
    inherited_type: Option<&'a [u8]>,
    depth: usize,
    out: &mut Vec<&'a Dictionary>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let Ok(dict) = doc.dereference(field).and_then(|(_, o)| o.as_dict()) else {
        return;
    };
    let field_type = dict.get(b"FT").and_then(Object::as_name).ok().or(inherited_type);
    if field_type == Some(b"Sig".as_slice()) {
        if let Ok(value) = dict.get_deref(b"V", doc).and_then(Object::as_dict) {
            out.push(value);
        }
    }
    if let Ok(kids) = dict.get_deref(b"Kids", doc).and_then(Object::as_array) {
        for kid in kids {
            visit_field(doc, kid, field_type, depth + 1, out);
        }
    }
}

/// The decompressed `receipt.json` from the EmbeddedFiles name tree.
fn embedded_receipt(doc: &Document) -> Option<Vec<u8>> {
    let catalog = doc.catalog().ok()?;
    let names = catalog.get_deref(b"Names", doc).and_then(Object::as_dict).ok()?;
    let tree = names
        .get_deref(b"EmbeddedFiles", doc)
        .and_then(Object::as_dict)
        .ok()?;
    let spec = name_tree_lookup(doc, tree, RECEIPT_ATTACHMENT.as_bytes(), 0)?;
    let spec = doc.dereference(spec).and_then(|(_, o)| o.as_dict()).ok()?;
    let files = spec.get_deref(b"EF", doc).and_then(Object::as_dict).ok()?;
    let file = files
        .get_deref(b"UF", doc)
        .or_else(|_| files.get_deref(b"F", doc))
        .and_then(Object::as_stream)
        .ok()?;
    file.decompressed_content_with_limit(MAX_RECEIPT_JSON).ok()
}

fn name_tree_lookup<'a>(
    doc: &'a Document,
    node: &'a Dictionary,
    key: &[u8],
    depth: usize,
) -> Option<&'a Object> {
    if depth > MAX_DEPTH {
        return None;
    }
    if let Ok(names) = node.get_deref(b"Names", doc).and_then(Object::as_array) {
        for pair in names.chunks_exact(2) {
            let name = doc.dereference(&pair[0]).ok().and_then(|(_, o)| o.as_str().ok());
            if name == Some(key) {
                return Some(&pair[1]);
            }
        }
    }
    let kids = node.get_deref(b"Kids", doc).and_then(Object::as_array).ok()?;
    kids.iter().find_map(|kid| {
        let kid = doc.dereference(kid).ok()?.1.as_dict().ok()?;
        name_tree_lookup(doc, kid, key, depth + 1)
    })
}
