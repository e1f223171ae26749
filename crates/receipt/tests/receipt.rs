//! The receipt without foreign tools: size, text read back through the ToUnicode CMap, the subset font, the
//! embedded receipt.json, and tamper detection with openssl's CMS verification.

mod common;

use std::collections::HashMap;

use common::{facts, find, flip_signed_byte, font, receipt_json, signed_receipt, TestPki};
use gjj_receipt::{qr_payload, render_signed_pdf, signed_parts, ReceiptError, SIGNATURE_CAPACITY};
use lopdf::{Document, Object};

#[test]
fn receipt_is_small_and_its_signature_verifies() {
    let pki = TestPki::new();
    let (pdf, json) = signed_receipt(&pki);
    println!("receipt PDF: {} bytes", pdf.len());
    assert!(
        pdf.len() < 100 * 1024,
        "receipt is {} bytes, over 100 KB",
        pdf.len()
    );

    let parts = signed_parts(&pdf).expect("signed parts");
    assert_eq!(parts.receipt_json, json);
    assert_eq!(parts.signed_bytes.len(), pdf.len() - (2 * SIGNATURE_CAPACITY + 2));
    pki.verify(&parts.cms_der, &parts.signed_bytes)
        .expect("CMS verifies over the signed bytes");
    // The signed bytes are the file without the /Contents hex string.
    let gap = find(&pdf, b"/Contents <") + b"/Contents ".len();
    assert_eq!(&parts.signed_bytes[..gap], &pdf[..gap]);
    assert!(pdf.ends_with(b"%%EOF\n") || pdf.ends_with(b"%%EOF"));
}

/// Text of the page, one string per text object, decoded through the font's ToUnicode CMap.
fn page_text(pdf: &[u8]) -> Vec<String> {
    let doc = Document::load_mem(pdf).expect("load");
    let (_, page) = doc.get_pages().into_iter().next().expect("one page");
    let fonts = doc.get_page_fonts(page).expect("fonts");
    let font = fonts.get(b"F1".as_slice()).expect("F1");
    let cmap = font
        .get_deref(b"ToUnicode", &doc)
        .and_then(Object::as_stream)
        .expect("ToUnicode");
    let cmap = String::from_utf8(cmap.decompressed_content().expect("cmap")).expect("ascii cmap");
    let map = parse_bfchar(&cmap);
    let content = lopdf::content::Content::decode(&doc.get_page_content(page)).expect("ops");
    let mut out = Vec::new();
    for op in content.operations {
        if op.operator == "Tj" {
            let codes = op.operands[0].as_str().expect("string");
            let text: String = codes
                .chunks(2)
                .map(|c| {
                    *map.get(&u16::from_be_bytes([c[0], c[1]]))
                        .expect("code in ToUnicode")
                })
                .collect();
            out.push(text);
        }
    }
    out
}

fn parse_bfchar(cmap: &str) -> HashMap<u16, char> {
    let mut map = HashMap::new();
    let mut inside = false;
    for line in cmap.lines() {
        let line = line.trim();
        if line.ends_with("beginbfchar") {
            inside = true;
        } else if line == "endbfchar" {
            inside = false;
        } else if inside {
            let hex: Vec<&str> = line.split(['<', '>', ' ']).filter(|s| !s.is_empty()).collect();
            let code = u16::from_str_radix(hex[0], 16).expect("code");
            let units: Vec<u16> = (0..hex[1].len() / 4)
                .map(|i| u16::from_str_radix(&hex[1][i * 4..i * 4 + 4], 16).expect("utf16"))
                .collect();
            let s = String::from_utf16(&units).expect("utf16");
            map.insert(code, s.chars().next().expect("one char"));
        }
    }
    map
}

#[test]
fn page_text_reads_back_through_to_unicode() {
    let pki = TestPki::new();
    let (pdf, _) = signed_receipt(&pki);
    let text = page_text(&pdf);
    let f = facts();
    let all = text.concat();
    for expected in [
        "住房公积金业务受理回执",
        "业务流水号：",
        "统一社会信用代码：",
        "签章单位：",
        f.serial.as_str(),
        f.unit_name.as_str(),
        f.uscc.as_str(),
        f.business_label.as_str(),
        "3 条",
        f.accepted_at.as_str(),
        f.verification_code.as_str(),
        f.signer_name.as_str(),
        "本回执由住房公积金管理中心电子签章，可用 gjj receipt verify 或 PDF 阅读器验证签名。",
    ] {
        assert!(all.contains(expected), "{expected:?} not in page text {text:?}");
    }
    // The digest may wrap, but reads back whole.
    assert!(all.contains(&f.digest_hex), "digest not in {text:?}");
    assert!(all.contains(&qr_payload(&f)));
}

#[test]
fn font_is_embedded_as_a_subset() {
    let pki = TestPki::new();
    let (pdf, _) = signed_receipt(&pki);
    let (_, _, source_len) = font();
    let doc = Document::load_mem(&pdf).expect("load");
    let (_, page) = doc.get_pages().into_iter().next().expect("page");
    let fonts = doc.get_page_fonts(page).expect("fonts");
    let type0 = fonts.get(b"F1".as_slice()).expect("F1");
    let base = type0
        .get(b"BaseFont")
        .and_then(Object::as_name)
        .expect("BaseFont");
    assert_eq!(
        base.get(6),
        Some(&b'+'),
        "subset tag ABCDEF+ in {:?}",
        String::from_utf8_lossy(base)
    );
    let cid = type0
        .get(b"DescendantFonts")
        .and_then(Object::as_array)
        .expect("descendants")[0]
        .clone();
    let cid = doc.dereference(&cid).expect("cid").1.as_dict().expect("cid dict");
    let descriptor = cid
        .get_deref(b"FontDescriptor", &doc)
        .and_then(Object::as_dict)
        .expect("descriptor");
    let program = descriptor
        .get_deref(b"FontFile3", &doc)
        .or_else(|_| descriptor.get_deref(b"FontFile2", &doc))
        .and_then(Object::as_stream)
        .expect("embedded font program");
    let embedded = program.decompressed_content().expect("program").len() as u64;
    println!(
        "font: source file {source_len} bytes, embedded program {embedded} bytes ({} compressed)",
        program.content.len()
    );
    assert!(
        embedded * 100 < source_len,
        "embedded font ({embedded} bytes) is not a subset of {source_len} bytes"
    );
    assert!(embedded < 80 * 1024);
    // One width per glyph used: a few dozen, not tens of thousands.
    let widths = cid.get(b"W").and_then(Object::as_array).expect("W").len() / 2;
    assert!((20..400).contains(&widths), "{widths} glyphs");
}

#[test]
fn a_changed_byte_breaks_the_cms() {
    let pki = TestPki::new();
    let (pdf, _) = signed_receipt(&pki);
    let bad = flip_signed_byte(&pdf);
    let parts = signed_parts(&bad).expect("structure is still fine");
    let err = pki
        .verify(&parts.cms_der, &parts.signed_bytes)
        .expect_err("CMS must fail");
    println!("tampered: {err}");
}

#[test]
fn appended_bytes_are_modification_after_signing() {
    let pki = TestPki::new();
    let (pdf, _) = signed_receipt(&pki);

    let mut junk = pdf.clone();
    junk.extend_from_slice(b"\n% appended\n");
    let err = signed_parts(&junk).expect_err("appended");
    assert_eq!(err.code(), "PDF_MODIFIED_AFTER_SIGNING", "{err}");

    // A real incremental update: a new Info dictionary, xref section and trailer.
    let updated = incremental_update(&pdf);
    Document::load_mem(&updated).expect("the update is a well-formed PDF");
    let err = signed_parts(&updated).expect_err("updated");
    assert_eq!(err.code(), "PDF_MODIFIED_AFTER_SIGNING", "{err}");
    assert!(err.to_string().contains("签名之后被改动"), "{err}");
}

fn incremental_update(pdf: &[u8]) -> Vec<u8> {
    let startxref = {
        let at = pdf
            .windows(9)
            .rposition(|w| w == b"startxref")
            .expect("startxref");
        let tail = String::from_utf8_lossy(&pdf[at + 9..]).to_string();
        tail.split_whitespace()
            .next()
            .expect("offset")
            .parse::<usize>()
            .expect("number")
    };
    let mut out = pdf.to_vec();
    let obj_at = out.len();
    out.extend_from_slice(b"14 0 obj\n<< /Title (forged) /Producer (someone else) >>\nendobj\n");
    let xref_at = out.len();
    out.extend_from_slice(
        format!(
            "xref\n14 1\n{obj_at:010} 00000 n \ntrailer\n<< /Size 15 /Root 1 0 R /Info 14 0 R /Prev {startxref} >>\nstartxref\n{xref_at}\n%%EOF\n"
        )
        .as_bytes(),
    );
    out
}

#[test]
fn truncated_and_foreign_files_are_refused() {
    let pki = TestPki::new();
    let (pdf, _) = signed_receipt(&pki);
    let err = signed_parts(&pdf[..pdf.len() - 10]).expect_err("truncated");
    assert_eq!(err.code(), "PDF_INVALID", "{err}");
    let err = signed_parts(b"PK\x03\x04 not a pdf").expect_err("zip");
    assert_eq!(err.code(), "PDF_INVALID", "{err}");

    // A well-formed PDF without any signature.
    let mut plain = pdf_writer::Pdf::new();
    plain
        .catalog(pdf_writer::Ref::new(1))
        .pages(pdf_writer::Ref::new(2));
    plain.pages(pdf_writer::Ref::new(2)).count(0);
    let err = signed_parts(&plain.finish()).expect_err("unsigned");
    assert_eq!(err.code(), "PDF_NOT_SIGNED", "{err}");
}

#[test]
fn signing_failures_are_reported() {
    let (font, index, _) = font();
    let f = facts();
    let json = receipt_json(&f);
    let err = render_signed_pdf(&f, &json, &font, index, &mut |_| Err("token removed".to_owned()))
        .expect_err("sign");
    assert_eq!(err.code(), "SIGN_FAILED");
    assert!(err.to_string().contains("token removed"));
    let err = render_signed_pdf(&f, &json, &font, index, &mut |_| {
        Ok(vec![0x30; SIGNATURE_CAPACITY + 1])
    })
    .expect_err("too large");
    assert_eq!(err.code(), "SIGNATURE_TOO_LARGE");

    let mut odd = f.clone();
    odd.unit_name.push('\u{F8FF}');
    let err = render_signed_pdf(&odd, &json, &font, index, &mut |_| Ok(vec![0x30, 0])).expect_err("glyph");
    assert_eq!(err.code(), "FONT_MISSING_GLYPH", "{err}");
    assert!(matches!(err, ReceiptError::FontMissingGlyph('\u{F8FF}')));

    let err = render_signed_pdf(&f, &json, b"not a font", 0, &mut |_| Ok(vec![0x30, 0])).expect_err("font");
    assert_eq!(err.code(), "FONT_INVALID");
}

#[test]
fn long_unit_names_wrap_and_overlong_facts_are_refused() {
    let pki = TestPki::new();
    let (font, index, _) = font();
    let mut f = facts();
    f.unit_name = "测试市星河科技有限公司第一分公司驻北京办事处（住房公积金缴存专户管理部门）".to_owned();
    let pdf = render_signed_pdf(&f, &receipt_json(&f), &font, index, &mut |d| pki.sign(d)).expect("render");
    assert!(page_text(&pdf).concat().contains(&f.unit_name));

    f.unit_name = "很长的单位名称".repeat(200);
    let Err(err) = render_signed_pdf(&f, &receipt_json(&f), &font, index, &mut |d| pki.sign(d)) else {
        panic!("an overlong unit name must be refused");
    };
    assert_eq!(err.code(), "RECEIPT_INVALID", "{err}");
}
