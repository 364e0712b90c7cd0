//! `real_name_info` of `GET /v3/facemch/users/{face_sid}` with `info_type=ASK_REAL_NAME`: the user's name
//! and ID-card number, each encrypted with RSA-OAEP (SHA-1, MGF1-SHA-1, empty label) under the merchant's
//! public key and base64-encoded, as WeChat Pay encrypts personal data for the merchant.
//!
//! The identities are made up: stable per `face_sid`, with a well-formed 18-character resident ID number
//! (GB 11643: region, birth date, sequence, ISO 7064 MOD 11-2 check character).

use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

/// 身份证 (resident identity card), WeChat Pay's `credential_type` 1.
const ID_CARD: u8 = 1;

const NAMES: &[&str] = &["张三", "李四", "王五", "赵六", "陈小明", "刘晓红"];

/// `{"encrypted_real_name":…,"credential_type":1,"encrypted_credential_id":…}` for `face_sid`, encrypted under `merchant_key`.
pub(crate) fn real_name_info(face_sid: &str, merchant_key: &rsa::PublicKey) -> Result<Value, String> {
    let (name, number) = identity(face_sid);
    let seal = |plain: &str| {
        merchant_key
            .oaep_encrypt::<sha1::Sha1>(plain.as_bytes())
            .map(|c| STANDARD.encode(c))
            .map_err(|e| format!("RSA-OAEP encryption failed: {e}"))
    };
    Ok(
        json!({"encrypted_real_name": seal(name)?, "credential_type": ID_CARD, "encrypted_credential_id": seal(&number)?}),
    )
}

/// The made-up name and resident ID number of `face_sid`.
fn identity(face_sid: &str) -> (&'static str, String) {
    let d = digest::digest(&digest::SHA256, format!("real-name\x1f{face_sid}").as_bytes());
    let b = d.as_ref();
    let name = NAMES[usize::from(b[0]) % NAMES.len()];
    // 110101: 北京市东城区; a birth date 1960-01-01..1999-12-28; a three-digit sequence.
    let year = 1960 + u16::from(b[1]) % 40;
    let month = 1 + b[2] % 12;
    let day = 1 + b[3] % 28;
    let sequence = u16::from_be_bytes([b[4], b[5]]) % 1000;
    let body = format!("110101{year:04}{month:02}{day:02}{sequence:03}");
    let check = check_character(&body);
    (name, format!("{body}{check}"))
}

/// The ISO 7064 MOD 11-2 check character of 17 digits (GB 11643-1999).
fn check_character(digits: &str) -> char {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let sum: u32 = digits.chars().zip(WEIGHTS).map(|(c, w)| c.to_digit(10).unwrap_or(0) * w).sum();
    CHECK[(sum % 11) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_are_stable_and_well_formed() {
        let (name, number) = identity("aabbccdd12345");
        assert_eq!(identity("aabbccdd12345"), (name, number.clone()));
        assert!(NAMES.contains(&name));
        assert_eq!(number.len(), 18);
        assert!(number.starts_with("110101"));
        assert_eq!(number.chars().last(), Some(check_character(&number[..17])));
        // The GB 11643 example number.
        assert_eq!(check_character("11010519491231002"), 'X');
    }
}
