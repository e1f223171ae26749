//! The centre's receipt seal (回执签章): a detached CMS SignedData over the canonical receipt (the receipt JSON as
//! the gateway stored it at acceptance), and the PDF receipt signed as a PDF signature with the same key. Both
//! are made on request from the stored receipt, so every receipt can be fetched signed, old ones included.

use std::path::Path;

use anyhow::{bail, Context, Result};
use gjj_domain::api::Receipt;
use gjj_receipt::ReceiptFacts;
use openssl::cms::{CMSOptions, CmsContentInfo};
use openssl::pkey::{PKey, Private};
use openssl::stack::Stack;
use openssl::x509::X509;

use crate::config::ReceiptConfig;

/// The receipt key and what the PDF needs.
pub struct ReceiptSeal {
    cert: X509,
    chain: Stack<X509>,
    key: PKey<Private>,
    /// The signer as the PDF names it (the certificate's O, else its CN).
    pub signer_name: String,
    /// The CJK font (bytes, face index), when one was found.
    font: Option<(Vec<u8>, u32)>,
}

impl std::fmt::Debug for ReceiptSeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReceiptSeal")
            .field("signer_name", &self.signer_name)
            .field("font", &self.font.as_ref().map(|(b, i)| (b.len(), *i)))
            .finish()
    }
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("读取{what} {}", path.display()))
}

impl ReceiptSeal {
    /// Loads the certificate, key and font of `[receipt]`.
    pub fn load(config: &ReceiptConfig) -> Result<ReceiptSeal> {
        let mut certs = X509::stack_from_pem(&read(&config.cert, "回执签章证书")?)
            .context("回执签章证书不是 PEM 证书")?
            .into_iter();
        let Some(cert) = certs.next() else {
            bail!("回执签章证书文件 {} 中没有证书", config.cert.display());
        };
        let mut chain = Stack::new()?;
        for c in certs {
            chain.push(c)?;
        }
        let key = PKey::private_key_from_pem(&read(&config.key, "回执签章私钥")?)
            .context("回执签章私钥格式错误")?;
        if !cert.public_key()?.public_eq(&key) {
            bail!("回执签章私钥与证书 {} 不匹配", config.cert.display());
        }
        let der = cert.to_der()?;
        if !gjj_pki::receipt_seal::is_receipt_signer(&der) {
            bail!(
                "证书 {} 不是回执签章证书：它必须有 documentSigning 用途（1.3.6.1.5.5.7.3.36），且不能用于客户端登录",
                config.cert.display()
            );
        }
        let signer_name = gjj_pki::CertIdentity::from_der(&der)
            .map(|i| i.name)
            .unwrap_or_default();
        let font = match &config.font {
            Some(path) => Some((read(path, "回执字体")?, config.font_index)),
            None => gjj_receipt::find_system_font().and_then(|(path, index)| {
                std::fs::read(&path).ok().map(|bytes| {
                    tracing::info!(font = %path.display(), "receipt PDF font");
                    (bytes, index)
                })
            }),
        };
        if font.is_none() {
            tracing::warn!("no CJK font for receipt PDFs: install fonts-noto-cjk or fonts-wqy-microhei, or set [receipt] font");
        }
        Ok(ReceiptSeal {
            cert,
            chain,
            key,
            signer_name,
            font,
        })
    }

    /// A detached CMS SignedData (DER) over `content`, with signing time and the signer's chain.
    pub fn sign(&self, content: &[u8]) -> Result<Vec<u8>> {
        let flags = CMSOptions::DETACHED | CMSOptions::BINARY | CMSOptions::NOSMIMECAP;
        let cms = CmsContentInfo::sign(
            Some(&self.cert),
            Some(&self.key),
            Some(&self.chain),
            Some(content),
            flags,
        )?;
        Ok(cms.to_der()?)
    }

    /// The signed PDF receipt; `None` when no font is available.
    pub fn pdf(
        &self,
        receipt: &Receipt,
        uscc: &str,
        canonical: &[u8],
        accepted_at: &str,
    ) -> Result<Option<Vec<u8>>> {
        let Some((font, index)) = &self.font else {
            return Ok(None);
        };
        let business = gjj_domain::business::Business::parse(&receipt.business)
            .map_or(receipt.business.clone(), |b| b.label().to_owned());
        let facts = ReceiptFacts {
            serial: receipt.serial.clone(),
            unit_name: receipt.unit_name.clone(),
            uscc: uscc.to_owned(),
            business_label: business,
            rows: receipt.accepted_rows,
            accepted_at: accepted_at.to_owned(),
            digest_hex: receipt.payload_sha256.clone(),
            verification_code: gjj_pki::receipt_seal::verification_code(canonical),
            signer_name: self.signer_name.clone(),
        };
        let mut sign = |bytes: &[u8]| self.sign(bytes).map_err(|e| e.to_string());
        Ok(Some(gjj_receipt::render_signed_pdf(
            &facts, canonical, font, *index, &mut sign,
        )?))
    }
}
