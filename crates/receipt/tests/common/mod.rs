//! Shared by the receipt tests: a real test CA and signing certificate (openssl), a CMS signer as the callback,
//! the system Chinese font, sample facts.
#![allow(dead_code)]

use std::path::Path;

use gjj_receipt::{find_system_font, render_signed_pdf, ReceiptFacts};
use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::cms::{CMSOptions, CmsContentInfo};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::stack::Stack;
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectKeyIdentifier,
};
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::{X509Builder, X509NameBuilder, X509};

pub struct TestPki {
    pub ca: X509,
    pub signer: X509,
    pub signer_key: PKey<Private>,
}

fn ec_key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).expect("P-256");
    PKey::from_ec_key(EcKey::generate(&group).expect("EC key")).expect("pkey")
}

fn serial() -> openssl::asn1::Asn1Integer {
    let mut bn = BigNum::new().expect("bn");
    bn.rand(127, MsbOption::MAYBE_ZERO, false).expect("rand");
    bn.to_asn1_integer().expect("serial")
}

fn cert(cn: &str, key: &PKey<Private>, issuer: Option<(&X509, &PKey<Private>)>, ca: bool) -> X509 {
    let mut name = X509NameBuilder::new().expect("name");
    name.append_entry_by_text("C", "CN").expect("C");
    name.append_entry_by_text("O", "测试住房公积金管理中心")
        .expect("O");
    name.append_entry_by_text("CN", cn).expect("CN");
    let name = name.build();
    let mut b = X509Builder::new().expect("builder");
    b.set_version(2).expect("v3");
    b.set_serial_number(&serial()).expect("serial");
    b.set_subject_name(&name).expect("subject");
    b.set_issuer_name(issuer.map_or(&name, |(c, _)| c.subject_name()))
        .expect("issuer");
    b.set_pubkey(key).expect("pubkey");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    b.set_not_before(&Asn1Time::from_unix(now as i64 - 3600).expect("nb"))
        .expect("nb");
    b.set_not_after(&Asn1Time::days_from_now(365).expect("na"))
        .expect("na");
    if ca {
        b.append_extension(BasicConstraints::new().critical().ca().build().expect("bc"))
            .expect("bc");
        b.append_extension(
            KeyUsage::new()
                .critical()
                .key_cert_sign()
                .crl_sign()
                .build()
                .expect("ku"),
        )
        .expect("ku");
    } else {
        b.append_extension(BasicConstraints::new().critical().build().expect("bc"))
            .expect("bc");
        b.append_extension(
            KeyUsage::new()
                .critical()
                .digital_signature()
                .non_repudiation()
                .build()
                .expect("ku"),
        )
        .expect("ku");
        b.append_extension(ExtendedKeyUsage::new().email_protection().build().expect("eku"))
            .expect("eku");
    }
    let ski = SubjectKeyIdentifier::new()
        .build(&b.x509v3_context(issuer.map(|(c, _)| &**c), None))
        .expect("ski");
    b.append_extension(ski).expect("ski");
    if let Some((issuer_cert, _)) = issuer {
        let aki = AuthorityKeyIdentifier::new()
            .keyid(true)
            .build(&b.x509v3_context(Some(issuer_cert), None))
            .expect("aki");
        b.append_extension(aki).expect("aki");
    }
    let signing_key = issuer.map_or(key, |(_, k)| k);
    b.sign(signing_key, MessageDigest::sha256()).expect("sign cert");
    b.build()
}

impl TestPki {
    pub fn new() -> Self {
        let ca_key = ec_key();
        let ca = cert("测试回执根CA", &ca_key, None, true);
        let signer_key = ec_key();
        let signer = cert(
            "测试住房公积金管理中心 回执签章",
            &signer_key,
            Some((&ca, &ca_key)),
            false,
        );
        TestPki {
            ca,
            signer,
            signer_key,
        }
    }

    /// The signing callback: CMS SignedData, detached, over exactly the bytes given.
    pub fn sign(&self, data: &[u8]) -> Result<Vec<u8>, String> {
        let certs = Stack::new().map_err(|e| e.to_string())?;
        let cms = CmsContentInfo::sign(
            Some(&self.signer),
            Some(&self.signer_key),
            Some(&certs),
            Some(data),
            CMSOptions::DETACHED | CMSOptions::BINARY | CMSOptions::NOSMIMECAP,
        )
        .map_err(|e| e.to_string())?;
        cms.to_der().map_err(|e| e.to_string())
    }

    /// openssl's CMS verification of `cms_der` over `data`, trusting only the test CA.
    pub fn verify(&self, cms_der: &[u8], data: &[u8]) -> Result<(), String> {
        let mut cms = CmsContentInfo::from_der(cms_der).map_err(|e| format!("CMS parse: {e}"))?;
        let mut store = X509StoreBuilder::new().map_err(|e| e.to_string())?;
        store.add_cert(self.ca.clone()).map_err(|e| e.to_string())?;
        let store = store.build();
        cms.verify(None, Some(&store), Some(data), None, CMSOptions::BINARY)
            .map_err(|e| format!("CMS verify: {e}"))
    }

    pub fn write_ca_pem(&self, path: &Path) {
        std::fs::write(path, self.ca.to_pem().expect("pem")).expect("write CA");
    }
}

/// The font under test: `GJJ_RECEIPT_FONT=path[#index]` (e.g. a TrueType collection such as
/// /usr/share/fonts/truetype/wqy/wqy-microhei.ttc), else `find_system_font()`. Returns bytes, index, file size.
pub fn font() -> (Vec<u8>, u32, u64) {
    let (path, index) = match std::env::var("GJJ_RECEIPT_FONT") {
        Ok(spec) => match spec.rsplit_once('#') {
            Some((p, i)) => (p.into(), i.parse().expect("GJJ_RECEIPT_FONT index")),
            None => (spec.into(), 0),
        },
        Err(_) => find_system_font().expect(
            "no Chinese font found at the known paths: install Debian's fonts-noto-cjk \
             (/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc) or set GJJ_RECEIPT_FONT=path[#index]",
        ),
    };
    let path: std::path::PathBuf = path;
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let len = bytes.len() as u64;
    (bytes, index, len)
}

pub fn facts() -> ReceiptFacts {
    ReceiptFacts {
        serial: "R20261101-000123".to_owned(),
        unit_name: "测试市星河科技有限公司".to_owned(),
        uscc: "91110000MA01ABCD2X".to_owned(),
        business_label: "缴存基数调整".to_owned(),
        rows: 3,
        accepted_at: "2026-11-01 10:23:45".to_owned(),
        digest_hex: hex_sha256(b"the submitted sheet"),
        verification_code: "7K3P9QX2".to_owned(),
        signer_name: "测试住房公积金管理中心 回执签章".to_owned(),
    }
}

pub fn hex_sha256(data: &[u8]) -> String {
    openssl::sha::sha256(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn receipt_json(facts: &ReceiptFacts) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "version": 1, "receipt": facts })).expect("json")
}

/// A signed receipt with the sample facts.
pub fn signed_receipt(pki: &TestPki) -> (Vec<u8>, Vec<u8>) {
    let (font, index, _) = font();
    let facts = facts();
    let json = receipt_json(&facts);
    let pdf = render_signed_pdf(&facts, &json, &font, index, &mut |d| pki.sign(d)).expect("render");
    if let Some(dir) = std::env::var_os("GJJ_RECEIPT_KEEP") {
        std::fs::write(Path::new(&dir).join("receipt.pdf"), &pdf).expect("keep");
        pki.write_ca_pem(&Path::new(&dir).join("ca.pem"));
    }
    (pdf, json)
}

/// Position of the only occurrence of `needle`.
pub fn find(hay: &[u8], needle: &[u8]) -> usize {
    let hits: Vec<usize> = hay
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "{:?} should occur once",
        String::from_utf8_lossy(needle)
    );
    hits[0]
}

/// The file with one byte inside the signed range changed (the Producer string, so the PDF still parses).
pub fn flip_signed_byte(pdf: &[u8]) -> Vec<u8> {
    let mut bad = pdf.to_vec();
    let at = find(pdf, b"(gjj-receipt)") + 1;
    bad[at] = b'G';
    bad
}
