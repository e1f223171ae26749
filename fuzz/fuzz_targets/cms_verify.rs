//! The submission signature parser: `gjj_pki::cms::verify` (and `verify_stored`) over any bytes, and over real
//! detached CMS signatures made as the client makes them (ECDSA and RSA), then edited, cut or spliced.
//! Oracles: an untouched signature verifies, with its certificate and algorithm; no signature verifies over
//! other content.
#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use gjj_fuzz::keys;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Input {
    Raw {
        signature: Vec<u8>,
        content: Vec<u8>,
    },
    Made {
        rsa: bool,
        content: Vec<u8>,
        edits: Vec<(u16, u8)>,
        cut: Option<u16>,
        insert: Option<(u16, Vec<u8>)>,
        other_content: Option<Vec<u8>>,
    },
}

fn certificate(rsa: bool) -> &'static [u8] {
    static EC: OnceLock<Vec<u8>> = OnceLock::new();
    static RSA: OnceLock<Vec<u8>> = OnceLock::new();
    if rsa {
        RSA.get_or_init(|| keys::rsa().certificate("衡阳雁城科技有限公司", Some("91430405MA4PYC0138")))
    } else {
        EC.get_or_init(|| keys::ec().certificate("衡阳雁城科技有限公司", Some("91430405MA4PYC0138")))
    }
}

fuzz_target!(|input: Input| match input {
    Input::Raw { signature, content } => {
        let _ = gjj_pki::cms::verify(&signature, &content);
        let _ = gjj_pki::cms::verify_stored("cms", "", &signature, &content, certificate(false));
    }
    Input::Made {
        rsa,
        content,
        edits,
        cut,
        insert,
        other_content,
    } => {
        let key = if rsa { keys::rsa() } else { keys::ec() };
        let cert = certificate(rsa);
        let made = keys::cms(key, cert, &content);
        let mut sig = made.clone();
        for (at, x) in edits {
            if !sig.is_empty() {
                let i = usize::from(at) % sig.len();
                sig[i] ^= x;
            }
        }
        if let Some(cut) = cut {
            sig.truncate(usize::from(cut) % (sig.len() + 1));
        }
        if let Some((at, bytes)) = insert {
            let i = usize::from(at) % (sig.len() + 1);
            sig.splice(i..i, bytes);
        }
        let checked = other_content.unwrap_or_else(|| content.clone());
        let result = gjj_pki::cms::verify(&sig, &checked);
        let stored = gjj_pki::cms::verify_stored("cms", key.alg().as_str(), &sig, &checked, cert);
        if checked != content {
            assert!(result.is_err(), "a signature verified over other content");
            assert!(stored.is_err(), "a stored signature verified over other content");
        } else if sig == made {
            let ok = result.expect("the client's own signature verifies");
            assert_eq!(ok.certificate, cert);
            assert_eq!(ok.alg, key.alg());
            assert_eq!(stored.expect("stored form verifies"), key.alg());
        }
    }
});
