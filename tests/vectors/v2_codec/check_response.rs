//! check_response beyond the vectors.

use super::*;

#[test]
fn unsigned_paths() {
    assert_eq!(UNSIGNED_PATHS.len(), 24);
    let k = key();
    for path in UNSIGNED_PATHS {
        assert_eq!(check_response(path, StatusCode::OK, b"not xml at all", &k), Ok(Checked::Unchecked));
        // Exact and case-sensitive, as in PHP.
        assert!(!is_unsigned_path(&path.to_uppercase()));
        assert!(!is_unsigned_path(&format!("{path}/")));
        assert!(!is_unsigned_path(&format!("/v2{path}")));
    }
    // HTTP errors are rejected even on those paths.
    let rejection = check_response("/pay/downloadbill", StatusCode::BAD_GATEWAY, b"", &k).unwrap_err();
    assert_eq!(rejection.kind(), &RejectionKind::HttpStatus);
    assert!(rejection.map().is_none());
}

#[test]
fn rejection_order_and_fields() {
    let k = key();
    // return_code missing.
    let rejection = check_response("/pay/orderquery", StatusCode::OK, b"<xml><a>1</a></xml>", &k).unwrap_err();
    assert_eq!(rejection.kind(), &RejectionKind::ReturnCode);
    assert_eq!(rejection.return_code(), None);
    // result_code FAIL with a bad sign: the signature is checked first, so the unverified err_code
    // is not reported as WeChat Pay's verdict.
    let body = b"<xml><return_code>SUCCESS</return_code><result_code>FAIL</result_code><err_code>ORDERPAID</err_code><sign>00</sign></xml>";
    let rejection = check_response("/pay/orderquery", StatusCode::OK, body, &k).unwrap_err();
    assert!(matches!(rejection.kind(), RejectionKind::Verification(SignError::Mismatch { .. })));
    // Missing sign.
    let body = b"<xml><return_code>SUCCESS</return_code></xml>";
    let rejection = check_response("/pay/orderquery", StatusCode::OK, body, &k).unwrap_err();
    assert_eq!(rejection.kind(), &RejectionKind::Verification(SignError::MissingSign));
    // DOCTYPE in an answer: a decode rejection.
    let body = br#"<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><return_code>&e;</return_code></xml>"#;
    let rejection = check_response("/pay/orderquery", StatusCode::OK, body, &k).unwrap_err();
    assert_eq!(rejection.kind(), &RejectionKind::Decode(XmlError::Doctype));
    assert!(rejection.to_string().contains("DOCTYPE"), "{rejection}");
}
