//! Signatures.

use super::*;

#[test]
fn sign_types() {
    assert_eq!(SignType::from_field(None), Ok(SignType::Md5));
    assert_eq!(SignType::from_field(Some("MD5")), Ok(SignType::Md5));
    assert_eq!(SignType::from_field(Some("HMAC-SHA256")), Ok(SignType::HmacSha256));
    for bad in ["hmac-sha256", "md5", "SHA1", "SHA256", "", " MD5", "HMAC-SHA256 "] {
        let error = SignType::from_field(Some(bad)).unwrap_err();
        assert_eq!(error, SignError::UnknownSignType { given: bad.into() });
        assert!(error.to_string().contains("HMAC-SHA256"), "{error}");
    }
    assert_eq!(SignType::of_sign(&"A".repeat(64)), SignType::HmacSha256);
    assert_eq!(SignType::of_sign(&"A".repeat(32)), SignType::Md5);
    assert_eq!(SignType::of_sign(""), SignType::Md5);
}

#[test]
fn verify_both_algorithms_and_tampering() {
    let k = key();
    for sign_type in ["MD5", "HMAC-SHA256"] {
        let mut fields = obj(&json!({"return_code": "SUCCESS", "sign_type": sign_type, "total_fee": "1"}));
        sign::sign_fields(&mut fields, &k).unwrap();
        let used = sign::verify(&fields, &k).unwrap();
        assert_eq!(used.as_str(), sign_type);
        let mut tampered = fields.clone();
        tampered.insert("total_fee".into(), json!("100"));
        assert_eq!(sign::verify(&tampered, &k), Err(SignError::Mismatch { sign_type: used }));
        let other = ApiV2Key::new("AnotherKeyAnotherKeyAnotherKey12").unwrap();
        assert!(sign::verify(&fields, &other).is_err());
    }
    let mut fields = obj(&json!({"a": "1", "sign": ""}));
    assert_eq!(sign::verify(&fields, &k), Err(SignError::MissingSign));
    fields.insert("sign".into(), json!(["X", "Y"]));
    assert_eq!(sign::verify(&fields, &k), Err(SignError::MalformedSign));
    // Repeated elements in a signed answer cannot be verified.
    let parsed = parse(b"<xml><a>1</a><a>2</a><sign>00</sign></xml>").unwrap();
    assert_eq!(sign::verify(&parsed, &k), Err(SignError::NestedValue { key: "a".into() }));
}

#[test]
fn keys_never_show() {
    let k = key();
    assert!(!format!("{k:?}").contains(APIV2_KEY));
    let ecb = EcbKey::from_apiv2_key(&k);
    assert!(!format!("{ecb:?}").contains("704609e3"));
    let mut fields = obj(&json!({"a": "1"}));
    sign::sign_fields(&mut fields, &k).unwrap();
    fields.insert("a".into(), json!("2"));
    let error = sign::verify(&fields, &k).unwrap_err();
    assert!(!error.to_string().contains(APIV2_KEY) && !format!("{error:?}").contains(APIV2_KEY));
    assert_eq!(ApiV2Key::new("").unwrap_err(), SignError::EmptyKey);
    assert_eq!(ApiV2Key::new(" key").unwrap_err(), SignError::KeyWhitespace);
}
