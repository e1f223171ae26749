//! `gjj_pki::verify_detached` (the raw signatures of earlier clients, and the one CMS verification ends in) and
//! `verify_stored("raw", …)`: any certificate bytes (an SM2 one goes to the SM2 verifier), any algorithm name,
//! any signature — and real ones. Oracle: a real signature verifies with its certificate, and not over other
//! content.
#![no_main]

use arbitrary::Arbitrary;
use gjj_fuzz::keys;
use gjj_pki::SigAlg;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Cert {
    Ec,
    Rsa,
    Bytes(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum Sig {
    Real,
    Edited(Vec<(u16, u8)>),
    Bytes(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
struct Input {
    cert: Cert,
    alg: u8,
    alg_name: Option<String>,
    payload: Vec<u8>,
    other_payload: Option<Vec<u8>>,
    sig: Sig,
}

const ALGS: [SigAlg; 4] = [
    SigAlg::EcdsaP256Sha256,
    SigAlg::RsaPssSha256,
    SigAlg::RsaPkcs1Sha256,
    SigAlg::Sm2Sm3,
];

fuzz_target!(|input: Input| {
    let key = match input.cert {
        Cert::Rsa => Some(keys::rsa()),
        Cert::Ec => Some(keys::ec()),
        Cert::Bytes(_) => None,
    };
    let cert = match (&input.cert, key) {
        (Cert::Bytes(b), _) => b.clone(),
        (_, Some(k)) => k.certificate("衡阳华信置业有限公司", Some("91430400MA4PHX0426")),
        _ => return,
    };
    let alg = ALGS[usize::from(input.alg) % ALGS.len()];
    let real = key.map(|k| k.sign_raw(&input.payload));
    let sig = match (&input.sig, &real) {
        (Sig::Real, Some(r)) => r.clone(),
        (Sig::Edited(edits), Some(r)) => {
            let mut s = r.clone();
            for (at, x) in edits {
                if !s.is_empty() {
                    let i = usize::from(*at) % s.len();
                    s[i] ^= x;
                }
            }
            s
        }
        (Sig::Bytes(b), _) => b.clone(),
        _ => Vec::new(),
    };
    let checked = input.other_payload.unwrap_or_else(|| input.payload.clone());
    let result = gjj_pki::verify_detached(&cert, alg, &checked, &sig);
    let name = input.alg_name.unwrap_or_else(|| alg.as_str().to_owned());
    let stored = gjj_pki::cms::verify_stored("raw", &name, &sig, &checked, &cert);
    if let (Some(k), Some(r)) = (key, &real) {
        if sig == *r && alg == k.alg() {
            if checked == input.payload {
                result.expect("a real signature verifies");
            } else {
                assert!(result.is_err(), "a signature verified over other content");
                assert!(stored.is_err(), "a stored signature verified over other content");
            }
        }
    }
});
