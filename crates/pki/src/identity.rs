//! Identity read from a certificate, the way Chinese CAs write it (REFERENCE §E3).
//!
//! The USCC (统一社会信用代码) is taken, in order, from the extensions 1.2.156.10260.4.1.4 (GM/T 0015),
//! 1.2.156.10260.4.4 (GM/T 0015-2023) and 1.2.86.11.7.4 (RSA certificates of some CAs), then from
//! organizationIdentifier (2.5.4.97), then OU, then any 18-character USCC-shaped value in the subject.

use gjj_domain::api::Role;
use serde::{Deserialize, Serialize};
use x509_parser::der_parser::ber::BerObjectContent;
use x509_parser::der_parser::oid::Oid;
use x509_parser::prelude::{FromDer, X509Certificate, X509Name};

use crate::PkiError;

/// GM/T 0015 组织机构代码 / 统一社会信用代码 extension.
pub const OID_GM_USCC: &[u64] = &[1, 2, 156, 10260, 4, 1, 4];
/// GM/T 0015-2023 统一社会信用代码 extension.
pub const OID_GM2023_USCC: &[u64] = &[1, 2, 156, 10260, 4, 4];
/// 统一社会信用代码 extension used in RSA certificates by some CAs.
pub const OID_RSA_USCC: &[u64] = &[1, 2, 86, 11, 7, 4];
/// X.520 organizationIdentifier.
pub const OID_ORGANIZATION_IDENTIFIER: &[u64] = &[2, 5, 4, 97];
/// X.520 businessCategory: carries the hall role in certificates issued for the hall.
pub const OID_BUSINESS_CATEGORY: &[u64] = &[2, 5, 4, 15];

/// Who a certificate says it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertIdentity {
    /// 统一社会信用代码, when the certificate carries one.
    pub uscc: Option<String>,
    /// Unit name: subject O, else CN.
    pub name: String,
    /// Subject CN.
    pub common_name: String,
    /// Serial number, upper-case hex.
    pub serial: String,
    /// Issuer, as "CN (O)".
    pub issuer: String,
    /// Start of validity, Unix seconds.
    pub not_before: i64,
    /// End of validity, Unix seconds.
    pub not_after: i64,
    /// Hall role from businessCategory (单位 / 开发商 / 中心), when present.
    pub role: Option<Role>,
    /// SHA-256 of the DER certificate, hex: a stable handle for one certificate.
    pub fingerprint: String,
}

/// Validity of a certificate at a given moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validity {
    /// Not valid yet.
    NotYetValid,
    /// Valid, with this many whole days left.
    Valid { days_left: i64 },
    /// Expired.
    Expired,
}

impl CertIdentity {
    /// Reads the identity of a DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, PkiError> {
        let (_, cert) =
            X509Certificate::from_der(der).map_err(|e| PkiError::CertificateInvalid(e.to_string()))?;
        let subject = cert.subject();
        let common_name = first_str(subject.iter_common_name());
        let org = first_str(subject.iter_organization());
        let name = if org.is_empty() { common_name.clone() } else { org };
        let role = subject
            .iter_by_oid(&Oid::from(OID_BUSINESS_CATEGORY).map_err(|_| bad_oid())?)
            .filter_map(|a| a.as_str().ok())
            .find_map(|label| Role::parse(label.trim()));
        let issuer = {
            let cn = first_str(cert.issuer().iter_common_name());
            let o = first_str(cert.issuer().iter_organization());
            if o.is_empty() || o == cn {
                cn
            } else {
                format!("{cn} ({o})")
            }
        };
        Ok(CertIdentity {
            uscc: find_uscc(&cert)?,
            name,
            common_name,
            serial: hex::encode_upper(cert.raw_serial()),
            issuer,
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
            role,
            fingerprint: hex::encode(ring::digest::digest(&ring::digest::SHA256, der)),
        })
    }

    /// Validity at `now` (Unix seconds).
    pub fn validity_at(&self, now: i64) -> Validity {
        if now < self.not_before {
            Validity::NotYetValid
        } else if now > self.not_after {
            Validity::Expired
        } else {
            Validity::Valid {
                days_left: (self.not_after - now) / 86_400,
            }
        }
    }
}

fn bad_oid() -> PkiError {
    PkiError::CertificateInvalid("内部 OID 常量无效".into())
}

fn first_str<'a>(mut iter: impl Iterator<Item = &'a x509_parser::x509::AttributeTypeAndValue<'a>>) -> String {
    iter.find_map(|a| a.as_str().ok())
        .unwrap_or_default()
        .trim()
        .to_owned()
}

fn find_uscc(cert: &X509Certificate<'_>) -> Result<Option<String>, PkiError> {
    for arc in [OID_GM_USCC, OID_GM2023_USCC, OID_RSA_USCC] {
        let oid = Oid::from(arc).map_err(|_| bad_oid())?;
        if let Some(ext) = cert.extensions().iter().find(|e| e.oid == oid) {
            if let Some(v) = extension_text(ext.value).and_then(|t| uscc_stated(&t)) {
                return Ok(Some(v));
            }
        }
    }
    let subject: &X509Name<'_> = cert.subject();
    let org_id = Oid::from(OID_ORGANIZATION_IDENTIFIER).map_err(|_| bad_oid())?;
    for attr in subject.iter_by_oid(&org_id) {
        if let Ok(text) = attr.as_str() {
            // ETSI EN 319 412-1 semantics prefix "NTRCN-" is common; strip any "XXXCN-".
            let value = text.rsplit('-').next().unwrap_or(text);
            if let Some(v) = uscc_stated(value) {
                return Ok(Some(v));
            }
        }
    }
    for attr in subject.iter_organizational_unit() {
        if let Some(v) = attr.as_str().ok().and_then(uscc_shaped) {
            return Ok(Some(v));
        }
    }
    for attr in subject.iter_attributes() {
        if let Ok(text) = attr.as_str() {
            for word in text.split(|c: char| !c.is_ascii_alphanumeric()) {
                if let Some(v) = uscc_shaped(word) {
                    return Ok(Some(v));
                }
            }
        }
    }
    Ok(None)
}

/// An extension value is usually a DER string; some CAs put raw text.
fn extension_text(value: &[u8]) -> Option<String> {
    if let Ok((_, obj)) = x509_parser::der_parser::parse_der(value) {
        let text = match obj.content {
            BerObjectContent::UTF8String(s)
            | BerObjectContent::PrintableString(s)
            | BerObjectContent::IA5String(s)
            | BerObjectContent::VisibleString(s) => Some(s.to_owned()),
            BerObjectContent::OctetString(b) => std::str::from_utf8(b).ok().map(str::to_owned),
            _ => None,
        };
        if text.is_some() {
            return text;
        }
    }
    std::str::from_utf8(value).ok().map(str::to_owned)
}

/// Where the CA states that a field IS the USCC (identity extensions, organizationIdentifier), the shape is
/// enough: a few genuine codes fail their own check character (REFERENCE §D1), and the gateway binds by exact
/// match against its records anyway.
fn uscc_stated(text: &str) -> Option<String> {
    let t = text.trim().to_ascii_uppercase();
    let ok = t.len() == 18
        && t.chars()
            .all(|c| c.is_ascii_digit() || "ABCDEFGHJKLMNPQRTUWXY".contains(c))
        && t.chars().skip(2).take(6).all(|c| c.is_ascii_digit());
    ok.then_some(t)
}

/// Where we only guess (OU, any subject word), the code must be valid (GB 32100 check character and embedded
/// 组织机构代码) and must not be a 身份证 number: personal certificates carry the ID number in OU.
fn uscc_shaped(text: &str) -> Option<String> {
    let t = uscc_stated(text)?;
    let is_uscc = gjj_domain::ids::check_uscc(&t).is_ok();
    let is_person = gjj_domain::ids::IdCard::parse(&t).is_ok();
    (is_uscc && !is_person).then_some(t)
}

/// Whether a certificate can log in (Windows store, SM2 login): an end-entity certificate (not a CA's) whose key may sign
/// (keyUsage digitalSignature when present) for client authentication (extendedKeyUsage clientAuth when
/// present). A key store also holds e-mail, code-signing and SM2 encryption certificates; they are not offered.
pub fn usable_for_login(der: &[u8]) -> bool {
    let Ok((_, cert)) = X509Certificate::from_der(der) else {
        return false;
    };
    if cert.is_ca() {
        return false;
    }
    if let Ok(Some(ku)) = cert.key_usage() {
        if !ku.value.digital_signature() {
            return false;
        }
    }
    if let Ok(Some(eku)) = cert.extended_key_usage() {
        if !(eku.value.any || eku.value.client_auth) {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uscc_shape() {
        assert_eq!(
            uscc_shaped(" 91430405ma4pyc0138 ").as_deref(),
            Some("91430405MA4PYC0138")
        );
        assert!(uscc_shaped("91430405MA4PYC013").is_none()); // 17 chars
        assert!(uscc_shaped("91430405MA4PYC0139").is_none()); // wrong check character
        assert!(uscc_shaped("430405198803150011").is_none()); // a 身份证 number
                                                              // A CA-stated code is taken as stated, even with a bad check character (seen in real codes).
        assert_eq!(
            uscc_stated("91350203M0001QAY9B").as_deref(),
            Some("91350203M0001QAY9B")
        );
    }
}
