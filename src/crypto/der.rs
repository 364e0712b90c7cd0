//! The few DER structures the SDK writes itself: an RSA public key wrapped as SubjectPublicKeyInfo
//! (byte for byte what wechatpay-php's `Rsa::pkcs1ToSpki` writes) and an RSA private key wrapped as
//! PKCS#8, so that every key reaches the crypto backend in one form.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// `rsaEncryption` AlgorithmIdentifier: `SEQUENCE { OID 1.2.840.113549.1.1.1, NULL }`.
const RSA_ALGORITHM_ID: [u8; 15] =
    [0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00];

/// Wraps a base64 PKCS#1 `RSAPublicKey` DER into a SubjectPublicKeyInfo, base64 — byte for byte what
/// wechatpay-php's `Rsa::pkcs1ToSpki` produces:
/// `SEQUENCE { SEQUENCE { OID rsaEncryption, NULL }, BIT STRING (0 unused bits) { input } }`, DER lengths
/// in short form up to 127 and `0x81`/`0x82` long form above. The input is wrapped as given, not parsed.
///
/// ```
/// use wechatpay_chain::crypto::pkcs1_to_spki;
/// // Any bytes are wrapped; here 3 bytes `01 02 03`.
/// assert_eq!(pkcs1_to_spki("AQID").unwrap(), "MBUwDQYJKoZIhvcNAQEBBQADBAABAgM=");
/// assert!(pkcs1_to_spki("not base64!").is_err());
/// ```
pub fn pkcs1_to_spki(pkcs1_base64: &str) -> Result<String, super::KeyError> {
    use super::{KeyError, KeyErrorKind};
    let compact: Vec<u8> = pkcs1_base64.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let pkcs1 = STANDARD
        .decode(&compact)
        .map_err(|e| KeyError::new(KeyErrorKind::Format, format!("the PKCS#1 public key is not base64 ({e})")))?;
    let spki = spki_from_pkcs1(&pkcs1).map_err(|e| KeyError::new(KeyErrorKind::Malformed, e))?;
    Ok(STANDARD.encode(spki))
}

/// A PKCS#1 `RSAPublicKey` DER wrapped as a SubjectPublicKeyInfo DER (see [`pkcs1_to_spki`]).
pub(crate) fn spki_from_pkcs1(pkcs1: &[u8]) -> Result<Vec<u8>, String> {
    let mut bit_string = Vec::with_capacity(pkcs1.len() + 4);
    bit_string.push(0x03);
    der_length(pkcs1.len() + 1, &mut bit_string)?;
    bit_string.push(0x00);
    bit_string.extend_from_slice(pkcs1);
    let mut spki = Vec::with_capacity(bit_string.len() + RSA_ALGORITHM_ID.len() + 4);
    spki.push(0x30);
    der_length(RSA_ALGORITHM_ID.len() + bit_string.len(), &mut spki)?;
    spki.extend_from_slice(&RSA_ALGORITHM_ID);
    spki.extend_from_slice(&bit_string);
    Ok(spki)
}

/// A PKCS#1 `RSAPrivateKey` DER wrapped as a PKCS#8 `PrivateKeyInfo` DER:
/// `SEQUENCE { INTEGER 0, SEQUENCE { OID rsaEncryption, NULL }, OCTET STRING { input } }`. The input is
/// checked to be one DER SEQUENCE spanning all of it; the backend parses the rest.
pub(crate) fn pkcs8_from_pkcs1(pkcs1: &[u8]) -> Result<Vec<u8>, String> {
    use der::{Decode, Tagged};
    let any = der::asn1::AnyRef::from_der(pkcs1).map_err(|e| format!("the PKCS#1 private key is malformed ({e})"))?;
    if any.tag() != der::Tag::Sequence {
        return Err("the PKCS#1 private key is not a DER SEQUENCE".to_owned());
    }
    let mut octets = Vec::with_capacity(pkcs1.len() + 4);
    octets.push(0x04);
    der_length(pkcs1.len(), &mut octets)?;
    octets.extend_from_slice(pkcs1);
    let version = [0x02, 0x01, 0x00];
    let mut out = Vec::with_capacity(octets.len() + RSA_ALGORITHM_ID.len() + 8);
    out.push(0x30);
    der_length(version.len() + RSA_ALGORITHM_ID.len() + octets.len(), &mut out)?;
    out.extend_from_slice(&version);
    out.extend_from_slice(&RSA_ALGORITHM_ID);
    out.extend_from_slice(&octets);
    Ok(out)
}

/// A DER length: short form up to 127, `0x81 nn` up to 255, `0x82 nnnn` up to 65535.
fn der_length(length: usize, out: &mut Vec<u8>) -> Result<(), String> {
    match length {
        0..=0x7f => out.push(length as u8),
        0x80..=0xff => out.extend_from_slice(&[0x81, length as u8]),
        0x100..=0xffff => out.extend_from_slice(&[0x82, (length >> 8) as u8, length as u8]),
        _ => return Err(format!("the key is too long to wrap ({length} bytes; an RSA key is far shorter)")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths() {
        let mut out = Vec::new();
        der_length(127, &mut out).expect("short");
        der_length(128, &mut out).expect("0x81");
        der_length(256, &mut out).expect("0x82");
        assert_eq!(out, [0x7f, 0x81, 0x80, 0x82, 0x01, 0x00]);
        assert!(der_length(0x10000, &mut out).is_err());
    }

    #[test]
    fn pkcs8_wrapping_refuses_what_is_not_a_sequence() {
        assert!(pkcs8_from_pkcs1(b"").is_err());
        assert!(pkcs8_from_pkcs1(&[0x02, 0x01, 0x00]).is_err());
        let wrapped = pkcs8_from_pkcs1(&[0x30, 0x00]).expect("an empty SEQUENCE wraps");
        assert_eq!(
            wrapped,
            [
                0x30, 0x16, 0x02, 0x01, 0x00, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01,
                0x01, 0x05, 0x00, 0x04, 0x02, 0x30, 0x00
            ]
        );
    }
}
