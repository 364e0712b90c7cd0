//! Fuzz targets: ciphers.

use super::*;

/// `crypto::aead` (AES-256-GCM). Byte 0: mode (even: decrypt arbitrary input; odd: seal, open,
/// tamper); key field (used when 32 bytes, else the fixture's APIv3 key); nonce field; associated-data
/// field; then the ciphertext text (even) or tamper byte, 2 position bytes and plaintext (odd).
///
/// Properties: whatever decrypts re-encrypts to the same bytes (so nothing opens that the key did not
/// seal); a sealed plaintext opens, also from line-wrapped base64; a flipped bit anywhere, other
/// associated data or another nonce is refused with `Authentication`; nonces outside 1–64 bytes are
/// refused as such.
pub fn aes_gcm(data: &[u8]) {
    let f = fixture();
    let mut input = Input(data);
    let mode = input.byte();
    let key_field = input.field();
    let key = std::str::from_utf8(key_field).ok().and_then(|k| ApiV3Key::new(k).ok());
    check!(
        key.is_some() == (key_field.len() == 32 && std::str::from_utf8(key_field).is_ok()),
        "ApiV3Key::new on {} bytes",
        key_field.len()
    );
    let key = key.unwrap_or_else(|| f.v3.clone());
    let nonce = input.field();
    let associated_data = input.field();
    if mode % 2 == 0 {
        let ciphertext = String::from_utf8_lossy(input.rest());
        if let Ok(plain) = aead::decrypt(&key, nonce, associated_data, &ciphertext) {
            let sealed = aead::encrypt(&key, nonce, associated_data, &plain).ok().and_then(|s| decode_compact(&s));
            check!(
                sealed.is_some() && sealed == decode_compact(&ciphertext),
                "a decrypted ciphertext does not re-encrypt to itself"
            );
        }
        return;
    }
    let tamper = input.byte();
    let position = usize::from(input.u16());
    let plaintext = input.rest();
    let sealed = match aead::encrypt(&key, nonce, associated_data, plaintext) {
        Ok(sealed) => sealed,
        Err(e) => {
            check!(
                e == AeadError::NonceLength { length: nonce.len() } && !(1..=64).contains(&nonce.len()),
                "sealing failed: {e:?}"
            );
            return;
        }
    };
    let opened = aead::decrypt(&key, nonce, associated_data, &sealed);
    check!(opened.as_deref() == Ok(plaintext), "a sealed plaintext did not open: {opened:?}");
    let wrapped: String =
        sealed.as_bytes().chunks(64).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("\r\n");
    check!(
        aead::decrypt(&key, nonce, associated_data, &wrapped).as_deref() == Ok(plaintext),
        "line-wrapped base64 did not open"
    );
    let mut raw = STANDARD.decode(&sealed).unwrap_or_default();
    let at = position % raw.len();
    raw[at] ^= 1 << (tamper % 8);
    let flipped = aead::decrypt(&key, nonce, associated_data, &STANDARD.encode(&raw));
    check!(flipped == Err(AeadError::Authentication), "a flipped bit at byte {at} gave {flipped:?}");
    let other_ad = [associated_data, b"x"].concat();
    let refused = aead::decrypt(&key, nonce, &other_ad, &sealed);
    check!(refused == Err(AeadError::Authentication), "other associated data gave {refused:?}");
    if nonce.len() < 64 {
        let other_nonce = [nonce, b"x"].concat();
        let refused = aead::decrypt(&key, &other_nonce, associated_data, &sealed);
        check!(refused == Err(AeadError::Authentication), "another nonce gave {refused:?}");
    }
}

/// `v2::crypto` (AES-256-ECB of `req_info`). Byte 0: mode (even: decrypt the rest as text; odd:
/// encrypt the rest, decrypt, decrypt with a wrong key); key field (32 bytes: the raw key; otherwise,
/// if non-empty and a valid APIv2 key, its MD5 key; else the fixture's).
///
/// Properties: whatever decrypts re-encrypts to the same bytes; `decrypt_req_info` agrees with
/// `decrypt` under the APIv2 key's MD5 key; a plaintext round-trips; a wrong key never yields it.
pub fn aes_ecb(data: &[u8]) {
    let f = fixture();
    let mut input = Input(data);
    let mode = input.byte();
    let key_field = input.field();
    let apiv2 = std::str::from_utf8(key_field).ok().and_then(|k| ApiV2Key::new(k).ok());
    let key = match (EcbKey::new(key_field), &apiv2) {
        (Ok(key), _) => key,
        (Err(_), Some(apiv2)) => EcbKey::from_apiv2_key(apiv2),
        (Err(_), None) => EcbKey::from_apiv2_key(&f.v2),
    };
    if mode % 2 == 0 {
        let ciphertext = String::from_utf8_lossy(input.rest());
        let decrypted = crate::v2::crypto::decrypt(&key, &ciphertext);
        if let Ok(plain) = &decrypted {
            let again = decode_compact(&crate::v2::crypto::encrypt(&key, plain));
            check!(
                again.is_some() && again == decode_compact(&ciphertext),
                "a decrypted ciphertext does not re-encrypt to itself"
            );
        }
        let apiv2 = apiv2.unwrap_or_else(|| f.v2.clone());
        let by_req_info = crate::v2::crypto::decrypt_req_info(&ciphertext, &apiv2);
        let direct = crate::v2::crypto::decrypt(&EcbKey::from_apiv2_key(&apiv2), &ciphertext);
        match (&by_req_info, &direct) {
            (Ok(text), Ok(bytes)) => {
                check!(text.as_bytes() == bytes.as_slice(), "decrypt_req_info and decrypt disagree")
            }
            (Ok(_), Err(e)) => panic!("fuzzing property violated: decrypt_req_info succeeded where decrypt gave {e:?}"),
            (Err(crate::v2::EcbError::NotUtf8), Ok(bytes)) => {
                check!(std::str::from_utf8(bytes).is_err(), "NotUtf8 for UTF-8")
            }
            (Err(a), Err(b)) => check!(a == b, "decrypt_req_info gave {a:?}, decrypt {b:?}"),
            (Err(a), Ok(_)) => panic!("fuzzing property violated: decrypt_req_info gave {a:?} where decrypt succeeded"),
        }
        return;
    }
    let plaintext = input.rest();
    let sealed = crate::v2::crypto::encrypt(&key, plaintext);
    let opened = crate::v2::crypto::decrypt(&key, &sealed);
    check!(opened.as_deref() == Ok(plaintext), "an ECB plaintext did not round-trip: {opened:?}");
    let wrong = EcbKey::new(&digest::digest(&digest::SHA256, key_field).as_ref()[..32]).unwrap_or(key);
    if let Ok(garbled) = crate::v2::crypto::decrypt(&wrong, &sealed) {
        check!(garbled != plaintext, "another key decrypted the plaintext");
    }
}

/// `PrivateKey::decrypt_oaep` (RSA-OAEP, SHA-1). Byte 0: mode (even: decrypt the rest as text; odd:
/// encrypt the rest as text with the merchant's public key, decrypt, then flip bit `tamper` at byte
/// `position`: a tamper byte and 2 position bytes precede the text).
///
/// Properties: a decrypted value is deterministic and its `Debug`/`Display` are exactly the redacted
/// forms; a wrong-length ciphertext is refused as such; plaintexts up to 214 bytes round-trip, longer
/// ones are refused as `TooLong`; any flipped bit is refused.
pub fn rsa_oaep(data: &[u8]) {
    let f = fixture();
    let mut input = Input(data);
    let mode = input.byte();
    if mode % 2 == 0 {
        let text = String::from_utf8_lossy(input.rest());
        match f.merchant.decrypt_oaep(&text) {
            Ok(value) => {
                check!(
                    format!("{value:?}") == format!("Sensitive(<redacted, {} bytes>)", value.len()),
                    "Debug of a decrypted field"
                );
                check!(
                    value.to_string() == format!("<redacted, {} bytes>", value.len()),
                    "Display of a decrypted field"
                );
                let again = f.merchant.decrypt_oaep(&text);
                check!(again.as_ref().is_ok_and(|a| a.expose() == value.expose()), "decrypting twice differed");
            }
            Err(OaepError::CiphertextLength { length, expected }) => {
                check!(expected == 256 && length != 256, "CiphertextLength {{ {length}, {expected} }}");
                check!(decode_compact(&text).is_some_and(|b| b.len() == length), "CiphertextLength of valid base64");
            }
            Err(_) => {}
        }
        return;
    }
    let tamper = input.byte();
    let position = usize::from(input.u16());
    let text = String::from_utf8_lossy(input.rest());
    let public = f.merchant.public_key();
    match public.encrypt_oaep(&text) {
        Ok(sealed) => {
            check!(text.len() <= 214, "a {}-byte plaintext was encrypted", text.len());
            let opened = f.merchant.decrypt_oaep(&sealed);
            check!(opened.as_ref().is_ok_and(|o| o.expose() == text), "an OAEP round trip failed: {opened:?}");
            let mut raw = STANDARD.decode(&sealed).unwrap_or_default();
            let at = position % raw.len();
            raw[at] ^= 1 << (tamper % 8);
            let flipped = f.merchant.decrypt_oaep(&STANDARD.encode(&raw));
            check!(flipped.is_err(), "a ciphertext with bit {} of byte {at} flipped decrypted", tamper % 8);
        }
        Err(e) => check!(
            matches!(e, OaepError::TooLong { max: 214, .. }) && text.len() > 214,
            "encrypting {} bytes failed: {e}",
            text.len()
        ),
    }
}
