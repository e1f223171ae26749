//! `cargo xtask pki --dir DIR`: the development PKI.
//!
//! Root CA → intermediate CA (each with a CRL) → a server certificate for localhost/127.0.0.1 and client
//! certificates for the demo units (Chinese O/CN, USCC in organizationIdentifier 2.5.4.97 and in extension
//! 1.2.156.10260.4.1.4, hall role in businessCategory). Soft certificates (.pfx) are written for the negative
//! set (expired, not yet valid, revoked, foreign CA, serverAuth-only EKU, unknown unit), for the staff reviewer,
//! and one legacy RC2-encrypted .pfx for the soft-certificate path. USB-key certificates are issued by
//! `cargo xtask token`, for keys generated on the token.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use openssl::nid::Nid;
use openssl::pkcs12::Pkcs12;
use openssl::pkey::PKey;
use openssl::x509::X509;
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CustomExtension, DistinguishedName,
    DnType, DnValue, ExtendedKeyUsagePurpose, IsCa, KeyIdMethod, KeyPair, KeyUsagePurpose, PublicKeyData,
    RevocationReason, RevokedCertParams, SerialNumber, PKCS_ECDSA_P256_SHA256,
};
use time::{Duration, OffsetDateTime};

use crate::demo_data::{DemoCentre, Party};

/// Password of every dev .pfx file.
pub const PFX_PASSWORD: &str = "123456";

const OID_GM_USCC: &[u64] = &[1, 2, 156, 10260, 4, 1, 4];
const OID_ORGANIZATION_IDENTIFIER: &[u64] = &[2, 5, 4, 97];
const OID_BUSINESS_CATEGORY: &[u64] = &[2, 5, 4, 15];

/// A CA loaded from DIR, able to issue.
pub struct Ca {
    pub cert: rcgen::Certificate,
    pub key: KeyPair,
}

impl Ca {
    /// Loads `{stem}.pem` + `{stem}.key` written by [`run`].
    pub fn load(dir: &Path, stem: &str) -> Result<Ca> {
        let pem =
            fs::read_to_string(dir.join(format!("{stem}.pem"))).with_context(|| format!("{stem}.pem"))?;
        let key = KeyPair::from_pem(&fs::read_to_string(dir.join(format!("{stem}.key")))?)?;
        // Re-signing the parsed params with the same key gives an issuer with the same DN and key id.
        let cert = CertificateParams::from_ca_cert_pem(&pem)?.self_signed(&key)?;
        Ok(Ca { cert, key })
    }
}

fn dn(cn: &str, o: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::CountryName,
        DnValue::PrintableString("CN".try_into().expect("ascii")),
    );
    dn.push(DnType::StateOrProvinceName, DnValue::Utf8String("湖南省".into()));
    dn.push(DnType::LocalityName, DnValue::Utf8String("衡阳市".into()));
    dn.push(DnType::OrganizationName, DnValue::Utf8String(o.into()));
    dn.push(DnType::CommonName, DnValue::Utf8String(cn.into()));
    dn
}

fn serial(tag: &str) -> SerialNumber {
    // Stable per name, distinct across names, positive: the first 12 bytes of SHA-256 with the top bit cleared.
    let digest = ring::digest::digest(&ring::digest::SHA256, tag.as_bytes());
    let mut bytes = digest.as_ref()[..12].to_vec();
    bytes[0] &= 0x7f;
    SerialNumber::from(bytes)
}

fn ca_params(cn: &str, o: &str, now: OffsetDateTime, years: i64, path_len: Option<u8>) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = dn(cn, o);
    p.is_ca = IsCa::Ca(match path_len {
        Some(n) => BasicConstraints::Constrained(n),
        None => BasicConstraints::Unconstrained,
    });
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p.not_before = now - Duration::days(1);
    p.not_after = now + Duration::days(365 * years);
    p.serial_number = Some(serial(cn));
    p.use_authority_key_identifier_extension = true;
    p
}

/// What a client certificate says and how long it is valid.
pub struct ClientSpec<'a> {
    pub tag: &'a str,
    pub party: &'a Party,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    pub eku: ExtendedKeyUsagePurpose,
}

/// Client certificate parameters for a unit: the identity fields the gateway binds on.
pub fn client_params(spec: &ClientSpec<'_>) -> Result<CertificateParams> {
    let party = spec.party;
    let mut p = CertificateParams::default();
    let mut d = dn(&party.name, &party.name);
    d.push(
        DnType::CustomDnType(OID_ORGANIZATION_IDENTIFIER.to_vec()),
        DnValue::Utf8String(format!("NTRCN-{}", party.uscc)),
    );
    d.push(
        DnType::CustomDnType(OID_BUSINESS_CATEGORY.to_vec()),
        DnValue::Utf8String(party.role.clone()),
    );
    p.distinguished_name = d;
    p.not_before = spec.not_before;
    p.not_after = spec.not_after;
    p.serial_number = Some(serial(spec.tag));
    p.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::ContentCommitment,
    ];
    p.extended_key_usages = vec![spec.eku.clone()];
    p.use_authority_key_identifier_extension = true;
    p.custom_extensions = vec![CustomExtension::from_oid_content(
        OID_GM_USCC,
        der_utf8(&party.uscc),
    )];
    Ok(p)
}

fn der_utf8(text: &str) -> Vec<u8> {
    let mut out = vec![0x0c];
    let len = text.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        out.extend_from_slice(&[0x81, len as u8]);
    }
    out.extend_from_slice(text.as_bytes());
    out
}

fn write_pem_pair(dir: &Path, stem: &str, cert_pem: &str, key: &KeyPair) -> Result<()> {
    fs::write(dir.join(format!("{stem}.pem")), cert_pem)?;
    fs::write(dir.join(format!("{stem}.key")), key.serialize_pem())?;
    Ok(())
}

/// Writes a .pfx; `legacy` uses RC2-40 (what old CA tools and Windows XP-era exports produce).
fn write_pfx(
    path: &Path,
    friendly: &str,
    key: &KeyPair,
    cert_der: &[u8],
    chain: &[&[u8]],
    legacy: bool,
) -> Result<()> {
    let pkey = PKey::private_key_from_pem(key.serialize_pem().as_bytes())?;
    let cert = X509::from_der(cert_der)?;
    let mut stack = openssl::stack::Stack::new()?;
    for c in chain {
        stack.push(X509::from_der(c)?)?;
    }
    let mut builder = Pkcs12::builder();
    builder.name(friendly).pkey(&pkey).cert(&cert).ca(stack);
    if legacy {
        builder
            .key_algorithm(Nid::PBE_WITHSHA1AND40BITRC2_CBC)
            .cert_algorithm(Nid::PBE_WITHSHA1AND40BITRC2_CBC);
    }
    fs::write(path, builder.build2(PFX_PASSWORD)?.to_der()?)?;
    Ok(())
}

fn crl(ca: &Ca, now: OffsetDateTime, revoked: Vec<SerialNumber>) -> Result<String> {
    let params = CertificateRevocationListParams {
        this_update: now - Duration::hours(1),
        next_update: now + Duration::days(30),
        crl_number: SerialNumber::from(vec![1]),
        issuing_distribution_point: None,
        revoked_certs: revoked
            .into_iter()
            .map(|serial_number| RevokedCertParams {
                serial_number,
                revocation_time: now - Duration::hours(2),
                reason_code: Some(RevocationReason::KeyCompromise),
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: KeyIdMethod::Sha256,
    };
    Ok(params.signed_by(&ca.cert, &ca.key)?.pem()?)
}

/// Issues a client certificate for `public_key` (a token key or a file key) from the intermediate CA.
pub fn issue_client(
    dir: &Path,
    spec: &ClientSpec<'_>,
    public_key: &impl PublicKeyData,
) -> Result<rcgen::Certificate> {
    let ca = Ca::load(dir, "intermediate-ca")?;
    Ok(client_params(spec)?.signed_by(public_key, &ca.cert, &ca.key)?)
}

/// `cargo xtask pki --dir DIR`.
pub fn run(dir: &Path) -> Result<()> {
    pki_openssl_providers()?;
    let centre = DemoCentre::load()?;
    fs::create_dir_all(dir.join("clients"))?;
    let now = OffsetDateTime::now_utc();

    let root_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let root = ca_params(
        "衡阳公积金开发测试根CA",
        "衡阳市住房公积金管理中心（开发测试）",
        now,
        20,
        None,
    )
    .self_signed(&root_key)?;
    write_pem_pair(dir, "root-ca", &root.pem(), &root_key)?;
    let root = Ca {
        cert: root,
        key: root_key,
    };

    let int_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let int = ca_params(
        "衡阳公积金开发测试业务CA",
        "衡阳市住房公积金管理中心（开发测试）",
        now,
        10,
        Some(0),
    )
    .signed_by(&int_key, &root.cert, &root.key)?;
    write_pem_pair(dir, "intermediate-ca", &int.pem(), &int_key)?;
    // The SM2 (国密) chain sits beside the ECDSA one in the centre's bundle (pki_sm2.rs).
    let sm2_chain = crate::pki_sm2::run(dir, &centre, now)?;
    fs::write(
        dir.join("ca-bundle.pem"),
        format!("{}{}{sm2_chain}", root.cert.pem(), int.pem()),
    )?;
    let int = Ca {
        cert: int,
        key: int_key,
    };
    fs::write(dir.join("root-ca.crl.pem"), crl(&root, now, vec![])?)?;

    // Gateway certificate.
    let server_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let mut sp = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])?;
    sp.distinguished_name = dn("localhost", &centre.centre_name);
    sp.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    sp.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    sp.not_before = now - Duration::days(1);
    sp.not_after = now + Duration::days(825);
    sp.serial_number = Some(serial("server"));
    sp.use_authority_key_identifier_extension = true;
    let server = sp.signed_by(&server_key, &int.cert, &int.key)?;
    fs::write(
        dir.join("server.pem"),
        format!("{}{}", server.pem(), int.cert.pem()),
    )?;
    fs::write(dir.join("server.key"), server_key.serialize_pem())?;

    // The centre's receipt-signing certificate (回执签章): its own key, non-repudiation, and the
    // documentSigning purpose (RFC 9336) that a verifier requires of a receipt signer, so a unit's client
    // certificate from the same CA can never pass as the centre's seal.
    let seal_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let mut rp = CertificateParams::default();
    rp.distinguished_name = dn("衡阳市住房公积金管理中心 回执签章", &centre.centre_name);
    rp.extended_key_usages = vec![ExtendedKeyUsagePurpose::Other(vec![1, 3, 6, 1, 5, 5, 7, 3, 36])];
    rp.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::ContentCommitment,
    ];
    rp.not_before = now - Duration::days(1);
    rp.not_after = now + Duration::days(825);
    rp.serial_number = Some(serial("receipt-signer"));
    rp.use_authority_key_identifier_extension = true;
    let seal = rp.signed_by(&seal_key, &int.cert, &int.key)?;
    fs::write(
        dir.join("receipt-signer.pem"),
        format!("{}{}", seal.pem(), int.cert.pem()),
    )?;
    fs::write(dir.join("receipt-signer.key"), seal_key.serialize_pem())?;

    // A CA the centre does not trust, for the negative matrix.
    let foreign_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let foreign =
        ca_params("外省数字证书认证中心", "外省数字证书认证中心", now, 10, None).self_signed(&foreign_key)?;
    fs::write(dir.join("foreign-ca.pem"), foreign.pem())?;
    let foreign = Ca {
        cert: foreign,
        key: foreign_key,
    };

    let employer = centre.party("employer-a")?;
    let day = Duration::days(1);
    let year = Duration::days(365);
    let soft: Vec<(
        &str,
        &Party,
        OffsetDateTime,
        OffsetDateTime,
        ExtendedKeyUsagePurpose,
        &Ca,
        bool,
    )> = vec![
        // (file stem, who, not_before, not_after, EKU, issuer, legacy RC2)
        (
            "employer-a-soft",
            employer,
            now - day,
            now + year,
            ExtendedKeyUsagePurpose::ClientAuth,
            &int,
            true,
        ),
        (
            "expired",
            employer,
            now - 2 * year,
            now - 30 * day,
            ExtendedKeyUsagePurpose::ClientAuth,
            &int,
            false,
        ),
        (
            "not-yet-valid",
            employer,
            now + 30 * day,
            now + 2 * year,
            ExtendedKeyUsagePurpose::ClientAuth,
            &int,
            false,
        ),
        (
            "revoked",
            employer,
            now - day,
            now + year,
            ExtendedKeyUsagePurpose::ClientAuth,
            &int,
            false,
        ),
        (
            "foreign-ca",
            employer,
            now - day,
            now + year,
            ExtendedKeyUsagePurpose::ClientAuth,
            &foreign,
            false,
        ),
        (
            "server-auth-only",
            employer,
            now - day,
            now + year,
            ExtendedKeyUsagePurpose::ServerAuth,
            &int,
            false,
        ),
        (
            "unknown-unit",
            centre.unknown("unknown-unit")?,
            now - day,
            now + year,
            ExtendedKeyUsagePurpose::ClientAuth,
            &int,
            false,
        ),
        // RSA-2048 (AES .pfx): what a CA's CSP holds; imported into the Windows certificate store under Wine.
        (
            "employer-a-rsa",
            employer,
            now - day,
            now + year,
            ExtendedKeyUsagePurpose::ClientAuth,
            &int,
            false,
        ),
        (
            "staff",
            centre.party("staff")?,
            now - day,
            now + year,
            ExtendedKeyUsagePurpose::ClientAuth,
            &int,
            false,
        ),
    ];
    let mut revoked = Vec::new();
    for (stem, party, not_before, not_after, eku, issuer, legacy) in soft {
        let key = if stem.ends_with("-rsa") {
            rsa_key()?
        } else {
            KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?
        };
        let spec = ClientSpec {
            tag: stem,
            party,
            not_before,
            not_after,
            eku,
        };
        let cert = client_params(&spec)?.signed_by(&key, &issuer.cert, &issuer.key)?;
        if stem == "revoked" {
            revoked.push(serial(stem));
        }
        let chain: Vec<&[u8]> = vec![issuer.cert.der().as_ref()];
        write_pfx(
            &dir.join("clients").join(format!("{stem}.pfx")),
            &party.name,
            &key,
            cert.der(),
            &chain,
            legacy,
        )?;
        fs::write(dir.join("clients").join(format!("{stem}.pem")), cert.pem())?;
    }
    fs::write(dir.join("intermediate-ca.crl.pem"), crl(&int, now, revoked)?)?;
    println!(
        "dev PKI written to {} (root + intermediate CA with CRLs, server cert, {} soft client certs)",
        dir.display(),
        9
    );
    Ok(())
}

/// An RSA-2048 key (rcgen's ring backend signs with RSA but cannot generate it).
///
/// Drawn again until d has 256 bytes and dP, dQ and qInv have 128 each. Wine 8's PFX import (crypt32
/// unixlib.c, `import_key`) stops copying at the first shorter component yet reports success, leaving a corrupt
/// key in the certificate store that signs wrongly — about one key in 60. Windows takes any key; the Wine test
/// needs one Wine can import.
fn rsa_key() -> Result<KeyPair> {
    let full = |n: Option<&openssl::bn::BigNumRef>, bytes: i32| n.is_some_and(|n| n.num_bytes() == bytes);
    let rsa = loop {
        let rsa = openssl::rsa::Rsa::generate(2048)?;
        if full(Some(rsa.d()), 256) && full(rsa.dmp1(), 128) && full(rsa.dmq1(), 128) && full(rsa.iqmp(), 128)
        {
            break rsa;
        }
    };
    let pem = PKey::from_rsa(rsa)?.private_key_to_pem_pkcs8()?;
    Ok(KeyPair::from_pem_and_sign_algo(
        std::str::from_utf8(&pem)?,
        &rcgen::PKCS_RSA_SHA256,
    )?)
}

/// OpenSSL 3 writes RC2 .pfx files only with the legacy provider; loading it disables the implicit default.
pub fn pki_openssl_providers() -> Result<()> {
    use std::sync::OnceLock;
    static P: OnceLock<Option<(openssl::provider::Provider, openssl::provider::Provider)>> = OnceLock::new();
    let loaded = P.get_or_init(|| {
        let legacy = openssl::provider::Provider::load(None, "legacy").ok()?;
        let default = openssl::provider::Provider::load(None, "default").ok()?;
        Some((legacy, default))
    });
    anyhow::ensure!(
        loaded.is_some(),
        "OpenSSL legacy provider not available (Debian: libssl3 ships ossl-modules/legacy.so)"
    );
    Ok(())
}

/// Default dev PKI directory.
pub fn default_dir(root: &Path) -> PathBuf {
    root.join("certs").join("dev")
}
