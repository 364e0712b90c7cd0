//! Signature headers: duplicated, not UTF-8, a foreign algorithm.

use super::*;

fn failure(result: Result<wechatpay_chain::Response, Error>) -> VerificationFailure {
    match result {
        Err(Error::Verification(v)) => {
            assert_eq!(v.response().status(), 200);
            v.failure().clone()
        }
        Err(other) => panic!("expected a verification failure, got {other}"),
        Ok(response) => panic!("expected a verification failure, got {response:?}"),
    }
}

#[test]
fn the_unaltered_answer_verifies() {
    // The control for the tests below: the same server, nothing changed, verifies.
    let server = signed_answer(200, r#"{"trade_state":"SUCCESS"}"#, |_| {});
    assert_eq!(call(&server).unwrap().json().unwrap()["trade_state"], "SUCCESS");
    let server = signed_answer(200, "{}", |h| {
        h.push(("Wechatpay-Signature-Type".to_owned(), b"WECHATPAY2-SHA256-RSA2048".to_vec()));
    });
    call(&server).unwrap();
}

#[test]
fn duplicated_signature_headers_are_refused() {
    for name in ["Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature", "Wechatpay-Serial"] {
        // The same value twice: even an identical copy is refused, nothing is picked.
        let server = signed_answer(200, "{}", move |h| {
            let copy = h.iter().find(|(n, _)| n == name).cloned().unwrap();
            h.push(copy);
        });
        let failure = failure(call(&server));
        assert_eq!(failure, VerificationFailure::DuplicateHeaders(vec![name]), "{name}");
        assert!(failure.to_string().contains("more than once"), "{failure}");
    }
    // A second, different serial (the first one would verify).
    let server =
        signed_answer(200, "{}", |h| h.push(("wechatpay-serial".to_owned(), PLATFORM_SERIAL.as_bytes().to_vec())));
    assert_eq!(failure(call(&server)), VerificationFailure::DuplicateHeaders(vec!["Wechatpay-Serial"]));
    let server = signed_answer(200, "{}", |h| {
        h.push(("Wechatpay-Signature-Type".to_owned(), b"WECHATPAY2-SHA256-RSA2048".to_vec()));
        h.push(("Wechatpay-Signature-Type".to_owned(), b"WECHATPAY2-SHA256-RSA2048".to_vec()));
    });
    assert_eq!(failure(call(&server)), VerificationFailure::DuplicateHeaders(vec!["Wechatpay-Signature-Type"]));
}

#[test]
fn non_utf8_signature_headers_are_invalid_not_missing() {
    for name in ["Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature", "Wechatpay-Serial"] {
        let server = signed_answer(200, "{}", move |h| {
            let value = &mut h.iter_mut().find(|(n, _)| n == name).unwrap().1;
            value.extend_from_slice(&[0xff, 0xfe]);
        });
        let failure = failure(call(&server));
        assert_eq!(failure, VerificationFailure::InvalidHeader { name }, "{name}");
        assert!(failure.to_string().contains("not plain ASCII"), "{failure}");
    }
    // Missing stays missing.
    let server = signed_answer(200, "{}", |h| h.retain(|(n, _)| n != "Wechatpay-Nonce"));
    assert_eq!(failure(call(&server)), VerificationFailure::MissingHeaders(vec!["Wechatpay-Nonce"]));
}

#[test]
fn a_foreign_signature_type_is_refused_by_name() {
    for kind in ["WECHATPAY2-SM2-WITH-SM3", "wechatpay2-sha256-rsa2048", ""] {
        let server = signed_answer(200, "{}", move |h| {
            h.push(("Wechatpay-Signature-Type".to_owned(), kind.as_bytes().to_vec()))
        });
        let failure = failure(call(&server));
        assert_eq!(failure, VerificationFailure::UnsupportedSignatureType(kind.to_owned()), "{kind:?}");
        assert!(failure.to_string().contains("WECHATPAY2-SHA256-RSA2048"), "{failure}");
    }
    let server = signed_answer(200, "{}", |h| h.push(("Wechatpay-Signature-Type".to_owned(), vec![b'S', b'M', 0xff])));
    assert_eq!(failure(call(&server)), VerificationFailure::UnsupportedSignatureType("SM\u{fffd}".to_owned()));

    // Notifications too; without the header (or with the RSA one) the same message passes the
    // signature check and fails only later, at decryption.
    let client = vector_builder().apiv3_key("pJKrljmXR68AHQ5YJK2AaVG8opcVCFfX").clock(|| TIMESTAMP).build().unwrap();
    let body = br#"{"id":"EV-1","event_type":"TRANSACTION.SUCCESS","resource":{}}"#;
    let mut headers = wechatpay_chain::http::HeaderMap::new();
    for (name, value) in wechatpay_signature_headers("wechatpay_pubkey_private_key.pem", PUB_KEY_ID, TIMESTAMP, body) {
        headers.insert(wechatpay_chain::http::HeaderName::try_from(name).unwrap(), value.parse().unwrap());
    }
    let kind =
        |headers: &wechatpay_chain::http::HeaderMap| client.notification(headers, body).unwrap_err().kind().clone();
    assert_eq!(kind(&headers), NotificationErrorKind::Malformed);
    headers.insert("wechatpay-signature-type", "WECHATPAY2-SHA256-RSA2048".parse().unwrap());
    assert_eq!(kind(&headers), NotificationErrorKind::Malformed);
    headers.insert("wechatpay-signature-type", "WECHATPAY2-SM2-WITH-SM3".parse().unwrap());
    assert_eq!(
        kind(&headers),
        NotificationErrorKind::Signature(VerificationFailure::UnsupportedSignatureType(
            "WECHATPAY2-SM2-WITH-SM3".into()
        ))
    );
    headers.append("wechatpay-nonce", "second".parse().unwrap());
    assert_eq!(
        kind(&headers),
        NotificationErrorKind::Signature(VerificationFailure::DuplicateHeaders(vec!["Wechatpay-Nonce"]))
    );
}
