//! Debug never shows bodies or header values.

use super::*;

const SECRET: &str = "oUpF8uMuAJO_SECRET_openid_M2pxb1Q9";

#[test]
fn debug_shows_the_shape_of_answers_never_their_content() {
    static BODY: &str = r#"{"payer":{"openid":"oUpF8uMuAJO_SECRET_openid_M2pxb1Q9"},"amount":{"total":100}}"#;
    let secret_header = |h: &mut Vec<(String, Vec<u8>)>| h.push(("X-Echo".to_owned(), SECRET.as_bytes().to_vec()));

    // A verified answer.
    let response = call(&signed_answer(200, BODY, secret_header)).unwrap();
    let shown = format!("{response:?}");
    assert!(!shown.contains("SECRET") && !shown.contains("payer"), "{shown}");
    for part in
        ["200", "08F78BB106A1B1F0-hostile", "x-echo", "wechatpay-signature", &format!("body_len: {}", BODY.len())]
    {
        assert!(shown.contains(part), "{part} missing from {shown}");
    }
    assert!(std::str::from_utf8(response.body()).unwrap().contains(SECRET), "body() still has the bytes");

    // An answer that fails verification (a foreign signature type): the error and its response.
    let result = call(&signed_answer(200, BODY, move |h| {
        secret_header(h);
        h.push(("Wechatpay-Signature-Type".to_owned(), b"SM2".to_vec()));
    }));
    let error = result.unwrap_err();
    for shown in [format!("{error:?}"), format!("{:?}", error.verification().unwrap()), error.to_string()] {
        assert!(!shown.contains("SECRET") && !shown.contains("payer"), "{shown}");
        assert!(shown.contains("08F78BB106A1B1F0-hostile"), "{shown}");
    }
    assert!(format!("{error:?}").contains("UnsupportedSignatureType"));
    assert!(std::str::from_utf8(error.verification().unwrap().response().body()).unwrap().contains(SECRET));

    // An API error: code and message shown, the detail and body not.
    static ERROR_BODY: &str = r#"{"code":"PARAM_ERROR","message":"参数错误","detail":{"field":"openid","value":"oUpF8uMuAJO_SECRET_openid_M2pxb1Q9"}}"#;
    let error = call(&signed_answer(400, ERROR_BODY, secret_header)).unwrap_err();
    let api = error.api().expect("an API error");
    assert_eq!(api.code(), Some("PARAM_ERROR"));
    for shown in [format!("{error:?}"), format!("{api:?}")] {
        assert!(!shown.contains("SECRET"), "{shown}");
        for part in ["400", "PARAM_ERROR", "参数错误", "08F78BB106A1B1F0-hostile", "x-echo", "body_len"] {
            assert!(shown.contains(part), "{part} missing from {shown}");
        }
    }
    assert!(std::str::from_utf8(api.body()).unwrap().contains(SECRET));
}
