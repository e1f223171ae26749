//! `cargo xtask token --dir DIR`: SoftHSM2 tokens standing in for the units' USB keys.
//!
//! One token per demo unit that has a `token` in demo.toml (label = unit name). The key pair is generated ON
//! the token (CKA_SENSITIVE, not extractable); only the public key comes out, the dev intermediate CA issues the
//! certificate for it, and the certificate is written back under the key's CKA_ID. One RSA key is restricted
//! with CKA_ALLOWED_MECHANISMS to CKM_RSA_PKCS, so the client must fall back to TLS 1.2.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, CertificateType, ObjectClass};
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey, EcPoint};
use openssl::nid::Nid;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use rcgen::ExtendedKeyUsagePurpose;
use time::{Duration, OffsetDateTime};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::demo_data::DemoCentre;
use crate::pki::{issue_client, ClientSpec};

/// User PIN of every dev token.
pub const USER_PIN: &str = "123456";
/// Security-officer PIN of every dev token.
pub const SO_PIN: &str = "12345678";
/// DER of the prime256v1 OID, the CKA_EC_PARAMS of a P-256 key.
const P256_PARAMS: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// The SoftHSM2 module, where Debian puts it.
pub fn softhsm_module() -> Result<PathBuf> {
    let candidates = [
        "/usr/lib/softhsm/libsofthsm2.so",
        "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    ];
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .context("SoftHSM2 is not installed (apt-get install softhsm2); `cargo xtask deps` installs it")
}

/// The SOFTHSM2_CONF file for a token directory.
pub fn softhsm_conf(dir: &Path) -> PathBuf {
    dir.join("softhsm").join("softhsm2.conf")
}

/// `cargo xtask token --dir DIR`: (re)creates every demo token.
pub fn run(dir: &Path) -> Result<()> {
    let centre = DemoCentre::load()?;
    let module = softhsm_module()?;
    let hsm = dir.join("softhsm");
    let tokens = hsm.join("tokens");
    if tokens.exists() {
        fs::remove_dir_all(&tokens)?;
    }
    fs::create_dir_all(&tokens)?;
    let conf = softhsm_conf(dir);
    fs::write(
        &conf,
        format!("directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n", tokens.display()),
    )?;
    let parties: Vec<_> = centre.unit.iter().filter(|p| p.token.is_some()).collect();
    // softhsm2-util initialises tokens before this process loads the module: SoftHSM reads the token
    // directory at C_Initialize.
    for party in &parties {
        let status = Command::new("softhsm2-util")
            .env("SOFTHSM2_CONF", &conf)
            .args([
                "--init-token",
                "--free",
                "--label",
                &party.name,
                "--pin",
                USER_PIN,
                "--so-pin",
                SO_PIN,
            ])
            .stdout(std::process::Stdio::null())
            .status()
            .context("softhsm2-util (apt-get install softhsm2)")?;
        if !status.success() {
            bail!("softhsm2-util --init-token failed for {}", party.name);
        }
    }
    std::env::set_var("SOFTHSM2_CONF", &conf);
    let ctx = Pkcs11::new(&module)?;
    ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))?;
    let now = OffsetDateTime::now_utc();
    for party in &parties {
        let kind = party.token.as_deref().unwrap_or_default();
        let slot = ctx
            .get_slots_with_initialized_token()?
            .into_iter()
            .find(|s| {
                ctx.get_token_info(*s)
                    .map(|i| i.label().trim() == party.name)
                    .unwrap_or(false)
            })
            .with_context(|| format!("token {} not found after init", party.name))?;
        let session = ctx.open_rw_session(slot)?;
        session.login(UserType::User, Some(&AuthPin::from(USER_PIN)))?;
        let id = vec![0x01];
        let label = format!("{}-{kind}", party.key);
        let common_pub = vec![
            Attribute::Token(true),
            Attribute::Private(false),
            Attribute::Verify(true),
            Attribute::Id(id.clone()),
            Attribute::Label(label.clone().into_bytes()),
        ];
        let mut private = vec![
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Sign(true),
            Attribute::Id(id.clone()),
            Attribute::Label(label.clone().into_bytes()),
        ];
        let spki = match kind {
            "ec" => {
                let mut public = common_pub.clone();
                public.push(Attribute::EcParams(P256_PARAMS.to_vec()));
                let (pub_key, _) = session.generate_key_pair(&Mechanism::EccKeyPairGen, &public, &private)?;
                let attrs = session.get_attributes(pub_key, &[AttributeType::EcPoint])?;
                let Some(Attribute::EcPoint(der_point)) = attrs.into_iter().next() else {
                    bail!("no CKA_EC_POINT")
                };
                // CKA_EC_POINT is a DER OCTET STRING around the uncompressed point.
                let point = der_point.get(2..).context("short EC point")?;
                let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
                let mut bn = openssl::bn::BigNumContext::new()?;
                let point = EcPoint::from_bytes(&group, point, &mut bn)?;
                PKey::from_ec_key(EcKey::from_public_key(&group, &point)?)?.public_key_to_der()?
            }
            "rsa" | "rsa-pkcs1" => {
                let mut public = common_pub.clone();
                public.push(Attribute::ModulusBits(2048.into()));
                public.push(Attribute::PublicExponent(vec![0x01, 0x00, 0x01]));
                if kind == "rsa-pkcs1" {
                    private.push(Attribute::AllowedMechanisms(vec![MechanismType::RSA_PKCS]));
                }
                let (pub_key, _) =
                    session.generate_key_pair(&Mechanism::RsaPkcsKeyPairGen, &public, &private)?;
                let attrs = session
                    .get_attributes(pub_key, &[AttributeType::Modulus, AttributeType::PublicExponent])?;
                let (mut n, mut e) = (Vec::new(), Vec::new());
                for a in attrs {
                    match a {
                        Attribute::Modulus(v) => n = v,
                        Attribute::PublicExponent(v) => e = v,
                        _ => {}
                    }
                }
                let rsa = Rsa::from_public_components(BigNum::from_slice(&n)?, BigNum::from_slice(&e)?)?;
                PKey::from_rsa(rsa)?.public_key_to_der()?
            }
            other => bail!("unknown token kind {other} for {}", party.key),
        };
        let public_key = rcgen::SubjectPublicKeyInfo::from_der(&spki)?;
        let spec = ClientSpec {
            tag: &format!("token-{}", party.key),
            party,
            not_before: now - Duration::days(1),
            not_after: now + Duration::days(365),
            eku: ExtendedKeyUsagePurpose::ClientAuth,
        };
        let cert = issue_client(dir, &spec, &public_key)?;
        let der = cert.der().to_vec();
        let (_, parsed) = X509Certificate::from_der(&der)?;
        session.create_object(&[
            Attribute::Class(ObjectClass::CERTIFICATE),
            Attribute::CertificateType(CertificateType::X_509),
            Attribute::Token(true),
            Attribute::Private(false),
            Attribute::Id(id),
            Attribute::Label(label.into_bytes()),
            Attribute::Subject(parsed.subject().as_raw().to_vec()),
            Attribute::Value(der),
        ])?;
        fs::write(
            dir.join("clients").join(format!("token-{}.pem", party.key)),
            cert.pem(),
        )?;
        println!(
            "token “{}”: {kind} key generated on the token, certificate written back",
            party.name
        );
    }
    println!(
        "SOFTHSM2_CONF={}  (user PIN {USER_PIN}, SO PIN {SO_PIN})",
        conf.display()
    );
    Ok(())
}
