//! Fuzz targets: keys and certificates.

use super::*;

/// `PrivateKey::load` and `PublicKey::load`. Byte 0: form (`% 5`): 0–1 the rest as text (inputs
/// starting `file://` are skipped: they would read files named by the fuzzer); 2 the rest written to a
/// temporary file and loaded as `file://` (the DER sniffing path); 3 a pseudo-URL (next byte picks
/// `private.pkcs1/pkcs8`, `public.pkcs1/spki`) over base64 of the rest; 4 `pkcs1_to_spki` of the rest.
///
/// Properties: nothing loads as both a private and a public key; a loaded private key is RSA-2048..8192,
/// shows no key material in `Debug`, signs what its public key verifies, decrypts what its public key
/// encrypts, and its public key reloads from `public.pkcs1://` unchanged; a loaded public key reloads
/// the same from its PKCS#1 DER, and a certificate's serial is upper-case hex without leading zero
/// bytes; `public.pkcs1://X` and `public.spki://pkcs1_to_spki(X)` load the same key or both fail.
pub fn key_load(data: &[u8]) {
    let mut input = Input(data);
    let form = input.byte() % 5;
    match form {
        0 | 1 => {
            let text = String::from_utf8_lossy(input.rest());
            if text.trim().starts_with("file://") {
                return;
            }
            check_keys(&text);
        }
        2 => {
            static COUNTER: AtomicU64 = AtomicU64::new(0);
            let path = std::env::temp_dir().join(format!(
                "wechatpay-fuzz-key-{}-{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
            if std::fs::write(&path, input.rest()).is_ok() {
                check_keys(&format!("file://{}", path.display()));
            }
            let _ = std::fs::remove_file(&path);
        }
        3 => {
            let prefix = ["private.pkcs1://", "private.pkcs8://", "public.pkcs1://", "public.spki://"]
                [usize::from(input.byte()) % 4];
            check_keys(&format!("{prefix}{}", STANDARD.encode(input.rest())));
        }
        _ => {
            let der = input.rest();
            let pkcs1 = STANDARD.encode(der);
            let spki = pkcs1_to_spki(&pkcs1);
            check!(spki.is_ok(), "pkcs1_to_spki refused {} bytes: {spki:?}", der.len());
            let direct = PublicKey::load(&format!("public.pkcs1://{pkcs1}"));
            let wrapped = PublicKey::load(&format!("public.spki://{}", spki.unwrap_or_default()));
            match (&direct, &wrapped) {
                (Ok(a), Ok(b)) => check!(
                    a.rsa_public_key_der() == b.rsa_public_key_der() && a.bits() == b.bits(),
                    "the PKCS#1 key and its SPKI wrapping load differently"
                ),
                (Err(_), Err(_)) => {}
                _ => panic!(
                    "fuzzing property violated: PKCS#1 {} but its SPKI wrapping {}",
                    if direct.is_ok() { "loads" } else { "fails" },
                    if wrapped.is_ok() { "loads" } else { "fails" }
                ),
            }
            if let Ok(key) = &direct {
                check_public(key);
            }
        }
    }
}

fn check_keys(text: &str) {
    let private = PrivateKey::load(text);
    let public = PublicKey::load(text);
    check!(!(private.is_ok() && public.is_ok()), "the same input loads as a private and as a public key");
    if let Ok(key) = &private {
        let public = key.public_key();
        check!((2048..=8192).contains(&public.bits()), "a {}-bit private key loaded", public.bits());
        check!(
            format!("{key:?}") == format!("PrivateKey(RSA-{}, redacted)", public.bits()),
            "Debug of a private key is `{key:?}`"
        );
        check!(public.rsa_public_key_der() == key.public_key_der(), "public_key() differs from public_key_der()");
        let signed = key.sign_sha256(b"fuzz message");
        check!(
            signed.as_ref().is_ok_and(|s| public.verify_sha256(b"fuzz message", s)),
            "a loaded private key's signature does not verify with its public key"
        );
        let reloaded = PublicKey::load(&format!("public.pkcs1://{}", STANDARD.encode(key.public_key_der())));
        check!(
            reloaded.as_ref().is_ok_and(|r| r.rsa_public_key_der() == key.public_key_der()),
            "a loaded private key's public key does not reload: {reloaded:?}"
        );
        // ring signs with the CRT parameters only; `rsa` also checks the private exponent and may refuse a
        // key ring took, which then cannot decrypt (documented on `PrivateKey`): that is `OaepError::Key`.
        if let Ok(sealed) = public.encrypt_oaep("fuzz 字段") {
            let opened = key.decrypt_oaep(&sealed);
            check!(
                opened.as_ref().is_ok_and(|o| o.expose() == "fuzz 字段") || matches!(opened, Err(OaepError::Key(_))),
                "a loaded private key does not decrypt what its public key encrypted: {opened:?}"
            );
        }
    }
    if let Ok(key) = &public {
        check_public(key);
    }
}

fn check_public(key: &PublicKey) {
    check!((2048..=8192).contains(&key.bits()), "a {}-bit public key loaded", key.bits());
    let reloaded = PublicKey::load(&format!("public.pkcs1://{}", STANDARD.encode(key.rsa_public_key_der())));
    check!(
        reloaded.as_ref().is_ok_and(|r| r.rsa_public_key_der() == key.rsa_public_key_der() && r.bits() == key.bits()),
        "a loaded public key does not reload from its PKCS#1 DER: {reloaded:?}"
    );
    if let Some(info) = key.certificate() {
        let serial = &info.serial;
        check!(
            !serial.is_empty()
                && serial.len() % 2 == 0
                && serial.bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
                && (serial.len() == 2 || !serial.starts_with("00")),
            "certificate serial `{serial}`"
        );
    }
}
