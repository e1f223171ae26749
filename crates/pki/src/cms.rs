//! Business signatures as detached CMS SignedData (RFC 5652), so tools that are not ours can check them:
//! `openssl cms -verify -binary -content PAYLOAD` for RSA/ECDSA, and for SM2 keys the GB/T 35275 profile
//! (国密 OIDs, SM3, SM2 with the default distinguishing ID) that Chinese CA tool chains read.
//!
//! The key usually sits on a USB key, so OpenSSL cannot sign; the structures are RustCrypto's `cms` types and
//! only the signature comes from [`Credential`]. Signed attributes: contentType, signingTime, messageDigest;
//! the signer certificate travels in `certificates`.

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos};
use der::asn1::{ObjectIdentifier, OctetString, SetOfVec};
use der::{Any, Decode, Encode};
use sm3::Digest;
use x509_cert::attr::{Attribute, Attributes};
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_cert::time::Time;
use x509_cert::Certificate;

use crate::{Credential, PkiError, SigAlg};

const SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
/// GB/T 35275: signedData and data of the SM2 cryptographic message syntax.
const SM2_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.6.1.4.2.2");
const SM2_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.6.1.4.2.1");
const CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");
const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const SM3: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.401");
const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const SHA256_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const RSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
/// GB/T 35275 names the SM2 signature `sm2-1` (the curve OID's `.1`); SM2-with-SM3 is accepted when reading.
const SM2_SIGN: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.301.1");
const SM2_SM3: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.501");
/// RSASSA-PSS-params { sha256, MGF1(sha256), saltLength 32 } (RFC 4055): what `RSA_PSS_SHA256` signs with.
const PSS_SHA256_PARAMS: [u8; 54] = [
    0x30, 0x34, 0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
    0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08,
    0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0xa2, 0x03,
    0x02, 0x01, 0x20,
];

/// What a verified CMS signature says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CmsSignature {
    /// The signature algorithm.
    pub alg: SigAlg,
    /// The signer's certificate (DER), as carried in the CMS.
    pub certificate: Vec<u8>,
    /// The signingTime attribute (Unix seconds), when present.
    pub signing_time: Option<i64>,
}

fn invalid(detail: impl std::fmt::Display) -> PkiError {
    PkiError::CmsInvalid(detail.to_string())
}

fn alg_id(oid: ObjectIdentifier, parameters: Option<Any>) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned { oid, parameters }
}

fn digest_of(sm2: bool, content: &[u8]) -> Vec<u8> {
    if sm2 {
        sm3::Sm3::digest(content).to_vec()
    } else {
        ring::digest::digest(&ring::digest::SHA256, content)
            .as_ref()
            .to_vec()
    }
}

fn attribute(oid: ObjectIdentifier, value: Any) -> Result<Attribute, PkiError> {
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value]).map_err(invalid)?,
    })
}

/// Signs `content` with the credential's key: a detached CMS SignedData (DER) carrying the signer certificate
/// and the signing time (`now`, Unix seconds).
pub fn sign(credential: &Credential, content: &[u8], now: i64) -> Result<Vec<u8>, PkiError> {
    let sm2 = credential.is_sm2();
    let certificate = Certificate::from_der(credential.leaf()).map_err(invalid)?;
    let (signed_data_oid, data_oid, digest_oid) = if sm2 {
        (SM2_SIGNED_DATA, SM2_DATA, SM3)
    } else {
        (SIGNED_DATA, DATA, SHA256)
    };
    let time = Time::from(
        der::asn1::UtcTime::from_unix_duration(std::time::Duration::from_secs(now.max(0).unsigned_abs()))
            .map_err(invalid)?,
    );
    let attrs: Attributes = SetOfVec::try_from(vec![
        attribute(CONTENT_TYPE, Any::encode_from(&data_oid).map_err(invalid)?)?,
        attribute(SIGNING_TIME, Any::encode_from(&time).map_err(invalid)?)?,
        attribute(
            MESSAGE_DIGEST,
            Any::encode_from(&OctetString::new(digest_of(sm2, content)).map_err(invalid)?)
                .map_err(invalid)?,
        )?,
    ])
    .map_err(invalid)?;
    // The signature covers the DER of the attributes as a SET OF (RFC 5652 §5.4).
    let signed = credential.sign_detached(&attrs.to_der().map_err(invalid)?)?;
    let signature_algorithm = match signed.alg {
        SigAlg::EcdsaP256Sha256 => alg_id(ECDSA_SHA256, None),
        SigAlg::RsaPkcs1Sha256 => alg_id(SHA256_RSA, Some(Any::null())),
        SigAlg::RsaPssSha256 => alg_id(RSA_PSS, Some(Any::from_der(&PSS_SHA256_PARAMS).map_err(invalid)?)),
        SigAlg::Sm2Sm3 => alg_id(SM2_SIGN, None),
    };
    let signer = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: certificate.tbs_certificate.issuer.clone(),
            serial_number: certificate.tbs_certificate.serial_number.clone(),
        }),
        digest_alg: alg_id(digest_oid, None),
        signed_attrs: Some(attrs),
        signature_algorithm,
        signature: OctetString::new(signed.signature).map_err(invalid)?,
        unsigned_attrs: None,
    };
    let signed_data = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![alg_id(digest_oid, None)]).map_err(invalid)?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: data_oid,
            econtent: None,
        },
        certificates: Some(
            SetOfVec::try_from(vec![CertificateChoices::Certificate(certificate)])
                .map_err(invalid)?
                .into(),
        ),
        crls: None,
        signer_infos: SignerInfos::from(SetOfVec::try_from(vec![signer]).map_err(invalid)?),
    };
    ContentInfo {
        content_type: signed_data_oid,
        content: Any::encode_from(&signed_data).map_err(invalid)?,
    }
    .to_der()
    .map_err(invalid)
}

/// Verifies a detached CMS SignedData over `content`: one signer, its certificate carried inside, the
/// messageDigest attribute equal to the content's digest, and the signature over the attributes. Who the
/// signer is and whether the certificate is trusted is the caller's question (the gateway compares it with
/// the login certificate).
pub fn verify(cms_der: &[u8], content: &[u8]) -> Result<CmsSignature, PkiError> {
    let info = ContentInfo::from_der(cms_der).map_err(invalid)?;
    let sm2 = match info.content_type {
        SIGNED_DATA => false,
        SM2_SIGNED_DATA => true,
        other => return Err(invalid(format!("不是 SignedData（{other}）"))),
    };
    let signed_data: SignedData = info.content.decode_as().map_err(invalid)?;
    if signed_data.encap_content_info.econtent.is_some() {
        return Err(invalid("签名内嵌了内容，应为分离式签名"));
    }
    let [signer] = signed_data.signer_infos.0.as_slice() else {
        return Err(invalid("签名者数量不是 1"));
    };
    let SignerIdentifier::IssuerAndSerialNumber(sid) = &signer.sid else {
        return Err(invalid("签名者标识不是颁发者和序列号"));
    };
    let certificate = signed_data
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .find_map(|choice| match choice {
            CertificateChoices::Certificate(c)
                if c.tbs_certificate.issuer == sid.issuer
                    && c.tbs_certificate.serial_number == sid.serial_number =>
            {
                Some(c)
            }
            _ => None,
        })
        .ok_or_else(|| invalid("签名中没有签名者证书"))?;
    let digest_sm3 = match signer.digest_alg.oid {
        SHA256 => false,
        SM3 => true,
        other => return Err(invalid(format!("不支持的摘要算法 {other}"))),
    };
    let alg = match (signer.signature_algorithm.oid, digest_sm3) {
        (ECDSA_SHA256, false) => SigAlg::EcdsaP256Sha256,
        (RSA_ENCRYPTION | SHA256_RSA, false) => SigAlg::RsaPkcs1Sha256,
        (RSA_PSS, false) => {
            let params = signer.signature_algorithm.parameters.as_ref().map(Encode::to_der);
            if !matches!(params, Some(Ok(p)) if p == PSS_SHA256_PARAMS) {
                return Err(invalid("RSA-PSS 参数不是 SHA-256/MGF1-SHA-256/盐长 32"));
            }
            SigAlg::RsaPssSha256
        }
        (SM2_SIGN | SM2_SM3, true) => SigAlg::Sm2Sm3,
        (other, _) => return Err(invalid(format!("不支持的签名算法 {other}"))),
    };
    let attrs = signer
        .signed_attrs
        .as_ref()
        .ok_or_else(|| invalid("缺少签名属性"))?;
    let value = |oid: ObjectIdentifier| {
        attrs
            .iter()
            .find(|a| a.oid == oid)
            .and_then(|a| a.values.iter().next())
    };
    let content_type: ObjectIdentifier = value(CONTENT_TYPE)
        .ok_or_else(|| invalid("缺少 contentType 属性"))?
        .decode_as()
        .map_err(invalid)?;
    if content_type != if sm2 { SM2_DATA } else { DATA } && content_type != DATA {
        return Err(invalid(format!("contentType 属性为 {content_type}")));
    }
    let digest: OctetString = value(MESSAGE_DIGEST)
        .ok_or_else(|| invalid("缺少 messageDigest 属性"))?
        .decode_as()
        .map_err(invalid)?;
    if digest.as_bytes() != digest_of(digest_sm3, content).as_slice() {
        return Err(PkiError::SignatureInvalid);
    }
    let signing_time = value(SIGNING_TIME)
        .and_then(|v| v.to_der().ok())
        .and_then(|der| Time::from_der(&der).ok())
        .and_then(|t| i64::try_from(t.to_unix_duration().as_secs()).ok());
    let certificate = certificate.to_der().map_err(invalid)?;
    crate::verify_detached(
        &certificate,
        alg,
        &attrs.to_der().map_err(invalid)?,
        signer.signature.as_bytes(),
    )?;
    Ok(CmsSignature {
        alg,
        certificate,
        signing_time,
    })
}

/// Verifies a business signature as the gateway stored it, in either format: `"cms"` (this module; the signer
/// certificate inside must be `certificate`) or `"raw"` (the bare `alg` signature of clients before CMS, which
/// only the login `certificate` can check). Returns the algorithm.
pub fn verify_stored(
    format: &str,
    alg: &str,
    signature: &[u8],
    payload: &[u8],
    certificate: &[u8],
) -> Result<SigAlg, PkiError> {
    match format {
        "cms" => {
            let cms = verify(signature, payload)?;
            if cms.certificate != certificate {
                return Err(PkiError::SignatureInvalid);
            }
            Ok(cms.alg)
        }
        "raw" => {
            let alg = SigAlg::parse(alg).ok_or_else(|| invalid(format!("未知签名算法 {alg}")))?;
            crate::verify_detached(certificate, alg, payload, signature)?;
            Ok(alg)
        }
        other => Err(invalid(format!("未知签名格式 {other}"))),
    }
}
