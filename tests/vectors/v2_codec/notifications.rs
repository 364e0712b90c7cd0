//! Notifications.

use super::*;

fn payment_notification(k: &ApiV2Key) -> Map<String, Value> {
    let mut fields = obj(&json!({
        "appid": "wx2421b1c4370ec43b", "attach": "支付测试", "bank_type": "CFT", "fee_type": "CNY",
        "is_subscribe": "Y", "mch_id": "1900000001", "nonce_str": "5d2b6c2a8db53831f7eda20af46e531c",
        "openid": "oUpF8uMEb4qRXf22hE3X68TekukE", "out_trade_no": "1409811653", "result_code": "SUCCESS",
        "return_code": "SUCCESS", "sub_mch_id": "10000100", "time_end": "20140903131540", "total_fee": "1",
        "coupon_fee_0": "10", "coupon_count": "1", "coupon_type": "CASH", "coupon_id": "10000",
        "trade_type": "JSAPI", "transaction_id": "1004400740201409030005092168",
    }));
    sign::sign_fields(&mut fields, k).unwrap();
    fields
}

#[test]
fn payment_notifications() {
    let k = key();
    let fields = payment_notification(&k);
    let body = to_xml(&fields).unwrap();
    assert_eq!(notify::verify_notification(body.as_bytes(), &k).unwrap(), fields);
    // Tampered.
    let tampered = body.replace("<total_fee>1</total_fee>", "<total_fee>100</total_fee>");
    assert!(matches!(
        notify::verify_notification(tampered.as_bytes(), &k),
        Err(NotifyError::Signature(SignError::Mismatch { .. }))
    ));
    // return_code FAIL.
    let fail = b"<xml><return_code>FAIL</return_code><return_msg>bad</return_msg></xml>";
    assert_eq!(
        notify::verify_notification(fail, &k),
        Err(NotifyError::ReturnCode { return_code: Some("FAIL".into()), return_msg: Some("bad".into()) })
    );
    // Not XML; XXE.
    assert!(matches!(notify::verify_notification(b"{}", &k), Err(NotifyError::Xml(_))));
    let xxe = br#"<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><return_code>&e;</return_code></xml>"#;
    assert_eq!(notify::verify_notification(xxe, &k), Err(NotifyError::Xml(XmlError::Doctype)));
    // Too large.
    let huge = vec![b' '; notify::MAX_NOTIFICATION_BODY + 1];
    assert!(matches!(notify::verify_notification(&huge, &k), Err(NotifyError::Xml(XmlError::TooLarge { .. }))));
}

fn refund_req_info() -> (String, String) {
    // A fixture from the repository's file, picked by its shape: a refund `<root>` under the vectors' key.
    let case = common::cases("v2.json")
        .into_iter()
        .find(|c| {
            c["kind"] == "aes-ecb"
                && c["input"]["apiv2_key"] == APIV2_KEY
                && c["output"]["plaintext"].as_str().is_some_and(|p| p.contains("<refund_fee>"))
        })
        .expect("refund vector");
    (case["input"]["ciphertext"].as_str().unwrap().to_owned(), case["output"]["plaintext"].as_str().unwrap().to_owned())
}

fn refund_body(req_info: &str) -> String {
    format!(
        "<xml><return_code>SUCCESS</return_code><appid><![CDATA[wx2421b1c4370ec43b]]></appid>\
         <mch_id><![CDATA[1900000001]]></mch_id><nonce_str><![CDATA[TeqClE3i0mvn3DrK]]></nonce_str>\
         <req_info><![CDATA[{req_info}]]></req_info></xml>"
    )
}

#[test]
fn refund_notifications() {
    let k = key();
    let (req_info, plaintext) = refund_req_info();
    let body = refund_body(&req_info);
    let refund: RefundNotification = notify::decrypt_refund_notification(body.as_bytes(), &k).unwrap();
    assert_eq!(refund.info(), &parse(plaintext.as_bytes()).unwrap());
    assert_eq!(refund.get("refund_status"), Some("SUCCESS"));
    assert_eq!(refund.get("refund_recv_accout"), Some("支付用户零钱"));
    assert_eq!(refund.get("out_refund_no"), Some("131811191610442717309"));
    assert_eq!(refund.fields()["mch_id"], "1900000001");
    assert!(!refund.fields().contains_key("req_info"));
    // Debug shows the decrypted field names only.
    let debug = format!("{refund:?}");
    assert!(debug.contains("out_refund_no") && !debug.contains("131811191610442717309") && !debug.contains("3960"));
    // A refund notification is not a signed one.
    assert_eq!(notify::verify_notification(body.as_bytes(), &k), Err(NotifyError::RefundNotification));
    // Wrong key.
    let other = ApiV2Key::new("AnotherKeyAnotherKeyAnotherKey12").unwrap();
    let error = notify::decrypt_refund_notification(body.as_bytes(), &other).unwrap_err();
    assert_eq!(error, NotifyError::ReqInfo(EcbError::Padding));
    assert!(!format!("{error} {error:?}").contains("131811191610442717309"));
    // Missing or broken req_info.
    let missing = b"<xml><return_code>SUCCESS</return_code></xml>";
    assert_eq!(notify::decrypt_refund_notification(missing, &k).unwrap_err(), NotifyError::MissingReqInfo);
    let broken = refund_body("@@@");
    assert!(matches!(
        notify::decrypt_refund_notification(broken.as_bytes(), &k),
        Err(NotifyError::ReqInfo(EcbError::Base64(_)))
    ));
    // req_info that decrypts to hostile XML is parsed with the same rules.
    let ecb = EcbKey::from_apiv2_key(&k);
    let hostile = crypto::encrypt(&ecb, br#"<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><root>&e;</root>"#);
    assert_eq!(
        notify::decrypt_refund_notification(refund_body(&hostile).as_bytes(), &k).unwrap_err(),
        NotifyError::ReqInfoXml(XmlError::Doctype)
    );
    // A req_info built by our writer round-trips.
    let info = obj(&json!({"out_refund_no": "r1", "refund_status": "CHANGE", "refund_fee": "1"}));
    let sealed = crypto::encrypt(&ecb, xml::to_xml_with_root("root", &info).unwrap().as_bytes());
    let refund = notify::decrypt_refund_notification(refund_body(&sealed).as_bytes(), &k).unwrap();
    assert_eq!(refund.into_parts().1, info);
}

#[test]
fn replies() {
    assert_eq!(
        notify::success_reply(),
        "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>"
    );
    let reply = notify::failure_reply("db ]]> down\u{1}\r\n");
    let parsed = parse(reply.as_bytes()).unwrap();
    assert_eq!(parsed["return_code"], "FAIL");
    assert_eq!(parsed["return_msg"], "db ]]> down\u{FFFD}\n\n");
    assert_eq!(parse(notify::success_reply().as_bytes()).unwrap()["return_msg"], "OK");
}
