//! Where the USCC is read from, in order: GM/T 0015 extension, 2023 extension, RSA-CA extension,
//! organizationIdentifier, OU, then anywhere in the subject.
#![allow(clippy::unwrap_used)]

use gjj_domain::api::Role;
use gjj_pki::CertIdentity;
use rcgen::{CertificateParams, CustomExtension, DistinguishedName, DnType, DnValue, KeyPair};

const A: &str = "91430405MA4PYC0138";
const B: &str = "91430408MA4PKX0227";

fn der_utf8(text: &str) -> Vec<u8> {
    let mut v = vec![0x0c, text.len() as u8];
    v.extend_from_slice(text.as_bytes());
    v
}

fn cert(subject: &[(DnType, &str)], extensions: &[(&[u64], &str)]) -> CertIdentity {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    for (t, v) in subject {
        dn.push(t.clone(), DnValue::Utf8String((*v).to_owned()));
    }
    params.distinguished_name = dn;
    params.custom_extensions = extensions
        .iter()
        .map(|(oid, v)| CustomExtension::from_oid_content(oid, der_utf8(v)))
        .collect();
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    CertIdentity::from_der(cert.der()).unwrap()
}

#[test]
fn uscc_sources_in_order() {
    let org_id = DnType::CustomDnType(vec![2, 5, 4, 97]);
    let ou = DnType::OrganizationalUnitName;
    // Extensions win over the subject, in the documented order.
    let id = cert(
        &[(org_id.clone(), &format!("NTRCN-{B}"))],
        &[(&[1, 2, 86, 11, 7, 4], A)],
    );
    assert_eq!(id.uscc.as_deref(), Some(A));
    let id = cert(
        &[],
        &[(&[1, 2, 156, 10260, 4, 4], B), (&[1, 2, 156, 10260, 4, 1, 4], A)],
    );
    assert_eq!(id.uscc.as_deref(), Some(A));
    // organizationIdentifier with its ETSI prefix, then OU, then a USCC-shaped word in the subject.
    let id = cert(&[(ou.clone(), B), (org_id, &format!("NTRCN-{A}"))], &[]);
    assert_eq!(id.uscc.as_deref(), Some(A));
    let id = cert(&[(ou, B)], &[]);
    assert_eq!(id.uscc.as_deref(), Some(B));
    let id = cert(&[(DnType::CommonName, &format!("某某公司（{A}）"))], &[]);
    assert_eq!(id.uscc.as_deref(), Some(A));
    // No USCC at all: a personal ID in OU is not mistaken for one.
    let id = cert(&[(DnType::OrganizationalUnitName, "430405198803150011")], &[]);
    assert_eq!(id.uscc, None);
}

#[test]
fn name_role_and_issuer() {
    let id = cert(
        &[
            (DnType::OrganizationName, "衡阳雁城科技有限公司"),
            (DnType::CommonName, "经办人"),
            (DnType::CustomDnType(vec![2, 5, 4, 15]), "开发商"),
        ],
        &[],
    );
    assert_eq!(id.name, "衡阳雁城科技有限公司");
    assert_eq!(id.common_name, "经办人");
    assert_eq!(id.role, Some(Role::Developer));
    assert_eq!(id.fingerprint.len(), 64);
    assert!(id.not_before < id.not_after);
}
