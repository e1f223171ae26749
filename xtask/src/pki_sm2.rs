//! The SM2 (国密) branch of the dev PKI: an SM2 root and intermediate CA signed with SM3, unit certificates in
//! the profile Chinese CAs issue (a signing certificate for login and signatures, and an encryption certificate
//! that is listed but never used to log in), SM2 CRLs, and the negative set (expired, revoked, another CA).
//!
//! Made with the `openssl` command (OpenSSL 3.0 makes SM2 keys and SM3 signatures, shared/notes/sm2.md): rcgen
//! has no SM2. The distinguishing ID `1234567812345678` (GM/T 0009's default) is applied to every SM2 signature
//! made here (`-sigopt distid:`) and must be applied by every verifier (`gjj_pki::sm2`).

use std::fs;
use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};
use time::{Duration, OffsetDateTime};

use crate::demo_data::{DemoCentre, Party};

/// GM/T 0009's default distinguishing ID, used for every SM2 signature of the dev PKI.
pub const DIST_ID: &str = "1234567812345678";
/// The unit whose USB key is SM2 in the demo and the tests (the SKF test double carries its signing key).
pub const SM2_UNIT: &str = "employer-b";

fn openssl(dir: &Path, args: &[&str]) -> Result<()> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .context("running openssl (Debian package openssl)")?;
    if !out.status.success() {
        bail!(
            "openssl {} failed:\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// `openssl ca` dates: YYYYMMDDHHMMSSZ.
fn asn1_time(t: OffsetDateTime) -> String {
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A CA the SM2 branch issues with: its files and its own `openssl ca` database.
struct Sm2Ca {
    stem: String,
}

impl Sm2Ca {
    fn new_root(dir: &Path, stem: &str, cn: &str, o: &str) -> Result<Sm2Ca> {
        let id = format!("distid:{DIST_ID}");
        openssl(
            dir,
            &["genpkey", "-algorithm", "SM2", "-out", &format!("{stem}.key")],
        )?;
        openssl(
            dir,
            &[
                "req",
                "-new",
                "-x509",
                "-utf8",
                "-key",
                &format!("{stem}.key"),
                "-sm3",
                "-sigopt",
                &id,
                "-days",
                "7300",
                "-subj",
                &format!("/C=CN/O={o}/CN={cn}"),
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
                "-addext",
                "subjectKeyIdentifier=hash",
                "-out",
                &format!("{stem}.pem"),
            ],
        )?;
        Sm2Ca::database(dir, stem)
    }

    fn database(dir: &Path, stem: &str) -> Result<Sm2Ca> {
        let db = dir.join(format!("{stem}.db"));
        fs::create_dir_all(db.join("new"))?;
        fs::write(db.join("index.txt"), "")?;
        fs::write(db.join("crlnumber"), "01\n")?;
        fs::write(db.join("serial"), "1000\n")?;
        fs::write(
            db.join("ca.cnf"),
            format!(
                "[ ca ]\ndefault_ca = CA_default\n[ CA_default ]\ndatabase = {stem}.db/index.txt\n\
                 crlnumber = {stem}.db/crlnumber\nserial = {stem}.db/serial\nnew_certs_dir = {stem}.db/new\n\
                 default_md = sm3\ndefault_crl_days = 30\npolicy = policy_any\npreserve = yes\n\
                 unique_subject = no\nemail_in_dn = no\nutf8 = yes\nstring_mask = utf8only\n\
                 copy_extensions = none\n[ policy_any ]\ncountryName = optional\norganizationName = optional\n\
                 commonName = supplied\norganizationIdentifier = optional\nbusinessCategory = optional\n"
            ),
        )?;
        Ok(Sm2Ca {
            stem: stem.to_owned(),
        })
    }

    /// Issues `stem`.pem for a fresh SM2 key (`stem`.key) with this subject, extensions and validity.
    fn issue(&self, dir: &Path, leaf: &Leaf<'_>) -> Result<()> {
        let Leaf {
            stem,
            subject,
            extensions,
            not_before,
            not_after,
            serial,
        } = *leaf;
        let id = format!("distid:{DIST_ID}");
        openssl(
            dir,
            &["genpkey", "-algorithm", "SM2", "-out", &format!("{stem}.key")],
        )?;
        openssl(
            dir,
            &[
                "req",
                "-new",
                "-utf8",
                "-key",
                &format!("{stem}.key"),
                "-sm3",
                "-sigopt",
                &id,
                "-subj",
                subject,
                "-out",
                &format!("{stem}.csr"),
            ],
        )?;
        fs::write(dir.join(format!("{stem}.ext")), extensions)?;
        fs::write(
            dir.join(format!("{}.db", self.stem)).join("serial"),
            format!("{serial:04X}\n"),
        )?;
        self.ca(
            dir,
            &[
                "-batch",
                "-in",
                &format!("{stem}.csr"),
                "-out",
                &format!("{stem}.pem"),
                "-startdate",
                &asn1_time(not_before),
                "-enddate",
                &asn1_time(not_after),
                "-extfile",
                &format!("{stem}.ext"),
                "-notext",
                "-sigopt",
                &id,
                "-vfyopt",
                &id,
            ],
        )?;
        fs::remove_file(dir.join(format!("{stem}.csr")))?;
        fs::remove_file(dir.join(format!("{stem}.ext")))?;
        Ok(())
    }

    /// `openssl ca` with this CA's database, certificate and key, then `args`.
    fn ca(&self, dir: &Path, args: &[&str]) -> Result<()> {
        let (config, cert, key) = (
            format!("{}.db/ca.cnf", self.stem),
            format!("{}.pem", self.stem),
            format!("{}.key", self.stem),
        );
        let mut all = vec!["ca", "-config", &config, "-cert", &cert, "-keyfile", &key];
        all.extend_from_slice(args);
        openssl(dir, &all)
    }

    fn revoke(&self, dir: &Path, stem: &str) -> Result<()> {
        self.ca(
            dir,
            &["-revoke", &format!("{stem}.pem"), "-crl_reason", "keyCompromise"],
        )
    }

    fn crl(&self, dir: &Path) -> Result<()> {
        self.ca(
            dir,
            &[
                "-gencrl",
                "-sigopt",
                &format!("distid:{DIST_ID}"),
                "-out",
                &format!("{}.crl.pem", self.stem),
            ],
        )
    }
}

/// What [`Sm2Ca::issue`] writes.
#[derive(Clone, Copy)]
struct Leaf<'a> {
    stem: &'a str,
    subject: &'a str,
    extensions: &'a str,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    serial: u32,
}

const CA_EXT: &str =
    "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\n\
                      subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n";

/// The signing certificate of a unit: digitalSignature + nonRepudiation, clientAuth, the USCC in GM/T 0015's
/// extension and in organizationIdentifier.
fn signing_ext(uscc: &str) -> String {
    format!(
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n\
         extendedKeyUsage=clientAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n\
         1.2.156.10260.4.1.4=ASN1:UTF8String:{uscc}\n"
    )
}

/// The encryption certificate of the pair: key and data encipherment only (never a login certificate).
fn encryption_ext(uscc: &str) -> String {
    format!(
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,keyEncipherment,dataEncipherment,keyAgreement\n\
         subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n1.2.156.10260.4.1.4=ASN1:UTF8String:{uscc}\n"
    )
}

fn subject(party: &Party) -> String {
    format!(
        "/C=CN/O={0}/CN={0}/organizationIdentifier=NTRCN-{1}/businessCategory={2}",
        party.name, party.uscc, party.role
    )
}

/// Writes the SM2 branch into `dir` (beside the RSA/ECDSA one) and returns the PEM of its two CA certificates
/// for the centre's bundle.
pub fn run(dir: &Path, centre: &DemoCentre, now: OffsetDateTime) -> Result<String> {
    let o = "衡阳市住房公积金管理中心（开发测试）";
    let root = Sm2Ca::new_root(dir, "sm2-root-ca", "衡阳公积金开发测试国密根CA", o)?;
    let int = Sm2Ca::database(dir, "sm2-intermediate-ca")?;
    root.issue(
        dir,
        &Leaf {
            stem: "sm2-intermediate-ca",
            subject: &format!("/C=CN/O={o}/CN=衡阳公积金开发测试国密业务CA"),
            extensions: CA_EXT,
            not_before: now - Duration::days(1),
            not_after: now + Duration::days(3650),
            serial: 0x0100,
        },
    )?;
    root.crl(dir)?;

    let unit = centre.party(SM2_UNIT)?;
    let day = Duration::days(1);
    let year = Duration::days(365);
    // (stem, party, not_before, not_after, extensions, issuer, serial)
    let issued: [(&str, &Party, OffsetDateTime, OffsetDateTime, String, &Sm2Ca, u32); 4] = [
        (
            "sm2-employer-b-sign",
            unit,
            now - day,
            now + year,
            signing_ext(&unit.uscc),
            &int,
            0x2001,
        ),
        (
            "sm2-employer-b-enc",
            unit,
            now - day,
            now + year,
            encryption_ext(&unit.uscc),
            &int,
            0x2002,
        ),
        (
            "sm2-expired-sign",
            unit,
            now - 2 * year,
            now - 30 * day,
            signing_ext(&unit.uscc),
            &int,
            0x2003,
        ),
        (
            "sm2-revoked-sign",
            unit,
            now - day,
            now + year,
            signing_ext(&unit.uscc),
            &int,
            0x2004,
        ),
    ];
    for (stem, party, nb, na, ext, issuer, serial) in &issued {
        let path = format!("clients/{stem}");
        issuer.issue(
            dir,
            &Leaf {
                stem: &path,
                subject: &subject(party),
                extensions: ext,
                not_before: *nb,
                not_after: *na,
                serial: *serial,
            },
        )?;
    }
    int.revoke(dir, "clients/sm2-revoked-sign")?;
    int.crl(dir)?;

    // A unit certificate from an SM2 CA the centre does not trust.
    let foreign = Sm2Ca::new_root(
        dir,
        "sm2-foreign-ca",
        "外省国密数字证书认证中心",
        "外省国密数字证书认证中心",
    )?;
    foreign.issue(
        dir,
        &Leaf {
            stem: "clients/sm2-foreign-sign",
            subject: &subject(unit),
            extensions: &signing_ext(&unit.uscc),
            not_before: now - day,
            not_after: now + year,
            serial: 0x3001,
        },
    )?;
    for db in ["sm2-root-ca.db", "sm2-intermediate-ca.db", "sm2-foreign-ca.db"] {
        fs::remove_dir_all(dir.join(db))?;
    }
    Ok(format!(
        "{}{}",
        fs::read_to_string(dir.join("sm2-root-ca.pem"))?,
        fs::read_to_string(dir.join("sm2-intermediate-ca.pem"))?
    ))
}
