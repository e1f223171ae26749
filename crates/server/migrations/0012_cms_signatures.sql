-- Issue 12 §4: business signatures arrive as detached CMS SignedData (RFC 5652; GB/T 35275 for SM2 keys), which
-- carries the signer certificate and signing time and which OpenSSL and other tools check. Rows stored before
-- keep their raw signature ('raw': `signature_alg` over `payload` by the certificate `cert_fingerprint`); one
-- reader handles both (gjj_pki::cms::verify_stored).
ALTER TABLE submissions ADD COLUMN signature_format TEXT NOT NULL DEFAULT 'raw';
