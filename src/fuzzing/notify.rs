//! Fuzz targets: notifications.

use super::*;

/// `Client::notification` (APIv3). Byte 0: mode (`% 4 == 0`: build a valid notification, open it,
/// tamper; otherwise headers, then body = rest).
///
/// Properties: a signature probe is always refused as one; an accepted notification carries one
/// verifying signature over the body and a resource that decrypts, independently, to exactly the
/// plaintext and JSON returned; `Debug` does not show the plaintext; every refusal has `Sent::No`, a
/// 4xx/5xx answer and no APIv3 key in its text; a freshly built notification opens to what was
/// sealed, and a changed ciphertext, algorithm, associated data or body is refused.
pub fn notification_v3(data: &[u8]) {
    let mut input = Input(data);
    if input.byte() % 4 == 0 {
        notification_v3_built(input);
        return;
    }
    let f = fixture();
    let headers = read_headers(&mut input);
    let body = input.rest();
    let probe = headers
        .get_all("wechatpay-signature")
        .iter()
        .any(|v| v.as_bytes().starts_with(crate::notify::SIGNATURE_PROBE_PREFIX.as_bytes()));
    match f.client.notification(&headers, body) {
        Ok(notification) => {
            check!(!probe, "a signature probe was accepted");
            check_signature(&headers, notification.signed_by(), body);
            let envelope: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            let resource = &envelope["resource"];
            check!(
                resource["algorithm"] == "AEAD_AES_256_GCM",
                "accepted resource.algorithm {}",
                resource["algorithm"]
            );
            let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            let plain = aead::decrypt(
                &f.v3,
                text(&resource["nonce"]).as_bytes(),
                text(&resource["associated_data"]).as_bytes(),
                &text(&resource["ciphertext"]),
            );
            check!(plain.as_deref() == Ok(notification.plaintext()), "the returned plaintext is not the resource's");
            let json: Result<Value, _> = serde_json::from_slice(notification.plaintext());
            check!(json.ok().as_ref() == Some(notification.resource()), "resource() is not the plaintext's JSON");
            check!(envelope["id"] == notification.id(), "id() is not the envelope's");
            check!(envelope["event_type"] == notification.event_type(), "event_type() is not the envelope's");
            check_notification_redacted(&notification);
        }
        Err(e) => {
            // A refusal is a `NotificationError` by type; as an `Error` it says nothing was sent.
            check!(Error::from(e.clone()).sent() == Sent::No, "a refused notification converts to a sent error");
            let refusal = &e;
            let status = refusal.http_status().as_u16();
            check!((400..600).contains(&status), "a refusal answers {status}");
            if probe {
                check!(
                    *refusal.kind() == NotificationErrorKind::SignatureProbe,
                    "a signature probe was refused as {:?}",
                    refusal.kind()
                );
            }
            check_no_key(&e, data, APIV3_KEY);
        }
    }
}

fn check_notification_redacted(notification: &crate::notify::Notification) {
    let Ok(plain) = std::str::from_utf8(notification.plaintext()) else {
        return;
    };
    let fields = format!(
        "{:?}{:?}{:?}{:?}{:?}{:?}",
        notification.id(),
        notification.create_time(),
        notification.event_type(),
        notification.resource_type(),
        notification.original_type(),
        notification.signed_by()
    );
    if plain.len() >= 8 && !shows(&fields, plain) {
        check!(!shows(&format!("{notification:?}"), plain), "Debug of a notification shows the decrypted resource");
    }
}

fn check_no_key(e: &(impl fmt::Display + fmt::Debug), input: &[u8], key: &str) {
    if input.windows(key.len()).any(|w| w == key.as_bytes()) {
        return;
    }
    check!(!format!("{e}").contains(key) && !format!("{e:?}").contains(key), "an error shows the key");
}

/// Fields: id, event_type, nonce, associated data, plaintext (JSON, or text made a JSON string);
/// tamper byte; 2 bytes: position.
fn notification_v3_built(mut input: Input<'_>) {
    let f = fixture();
    let id = input.text();
    let event_type = input.text();
    let nonce = input.text();
    let associated_data = input.text();
    let plain_field = input.field();
    let tamper = input.byte();
    let position = usize::from(input.u16());
    let plaintext = match serde_json::from_slice::<Value>(plain_field) {
        Ok(_) => plain_field.to_vec(),
        Err(_) => {
            serde_json::to_vec(&Value::String(String::from_utf8_lossy(plain_field).into_owned())).unwrap_or_default()
        }
    };
    let sealed = aead::encrypt(&f.v3, nonce.as_bytes(), associated_data.as_bytes(), &plaintext);
    let ciphertext = match sealed {
        Ok(c) => c,
        Err(e) => {
            check!(
                e == AeadError::NonceLength { length: nonce.len() } && !(1..=64).contains(&nonce.len()),
                "sealing with a {}-byte nonce failed: {e}",
                nonce.len()
            );
            return;
        }
    };
    let envelope = |algorithm: &str, ciphertext: &str, associated_data: &str| {
        json!({
            "id": id, "create_time": "2026-11-24T23:14:00+08:00", "resource_type": "encrypt-resource",
            "event_type": event_type, "summary": "fuzz",
            "resource": {"original_type": "transaction", "algorithm": algorithm, "ciphertext": ciphertext,
                         "associated_data": associated_data, "nonce": nonce},
        })
        .to_string()
        .into_bytes()
    };
    let open = |body: &[u8]| {
        let headers = signed_headers(&f.platform, PLATFORM_SERIAL, NOW, "fuzz-notification-nonce", body);
        f.client.notification(&headers, body)
    };
    let body = envelope("AEAD_AES_256_GCM", &ciphertext, &associated_data);
    match open(&body) {
        Ok(n) => {
            check!(n.plaintext() == plaintext, "a sealed resource opened to other bytes");
            check!(
                Some(n.resource()) == serde_json::from_slice::<Value>(&plaintext).ok().as_ref(),
                "resource() differs"
            );
            check!(n.id() == id && n.event_type() == event_type, "id or event_type changed");
            check!(n.signed_by() == PLATFORM_SERIAL, "signed_by() is `{}`", n.signed_by());
            check_notification_redacted(&n);
        }
        Err(e) => panic!("fuzzing property violated: a valid notification was refused: {e}"),
    }

    let kind = |result: Result<crate::notify::Notification, NotificationError>| match result {
        Ok(_) => None,
        Err(e) => Some(e.kind().clone()),
    };
    match tamper % 4 {
        0 => {
            let mut chars: Vec<char> = ciphertext.chars().collect();
            let at = position % chars.len();
            chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
            let changed: String = chars.into_iter().collect();
            let got = kind(open(&envelope("AEAD_AES_256_GCM", &changed, &associated_data)));
            check!(
                matches!(got, Some(NotificationErrorKind::Decrypt(_))),
                "a changed ciphertext (position {at}) gave {got:?}"
            );
        }
        1 => {
            let got = kind(open(&envelope("AEAD_AES_256_GCM ", &ciphertext, &associated_data)));
            check!(matches!(got, Some(NotificationErrorKind::Algorithm(_))), "another algorithm gave {got:?}");
        }
        2 => {
            let got = kind(open(&envelope("AEAD_AES_256_GCM", &ciphertext, &format!("{associated_data}x"))));
            check!(
                matches!(got, Some(NotificationErrorKind::Decrypt(AeadError::Authentication))),
                "other associated data gave {got:?}"
            );
        }
        _ => {
            let headers = signed_headers(&f.platform, PLATFORM_SERIAL, NOW, "fuzz-notification-nonce", &body);
            let mut changed = body.clone();
            let at = position % changed.len();
            changed[at] ^= 1 << (tamper / 4 % 8);
            let got = kind(f.client.notification(&headers, &changed));
            check!(
                matches!(got, Some(NotificationErrorKind::Signature(_))),
                "a body changed after signing (byte {at}) gave {got:?}"
            );
        }
    }
}

/// Up to `count % 8` fields of element-name keys (no `sign`) and XML-writable values.
fn v2_fields(input: &mut Input<'_>) -> Map<String, Value> {
    let mut fields = Map::new();
    for _ in 0..input.byte() % 8 {
        let key = input.text();
        let value = input.text();
        if xml::is_element_name(&key) && key != "sign" && key != "sign_type" && value.chars().all(is_xml_char) {
            fields.entry(key).or_insert(Value::String(value));
        }
    }
    fields
}

/// `Client::v2_notification`. Byte 0: mode (`% 4 == 0`: build, sign, open, tamper, with HMAC-SHA256
/// when bit 2 is set; otherwise body = rest).
///
/// Properties: an accepted notification parses to the returned fields, has `return_code` `SUCCESS`
/// and a `sign` equal to the signature computed independently here; refusals have `Sent::No`, a 4xx
/// answer and no APIv2 key in their text; a freshly signed notification opens to its fields, and one
/// with a changed value is refused.
pub fn notification_v2(data: &[u8]) {
    let f = fixture();
    let mut input = Input(data);
    let mode = input.byte();
    if mode % 4 != 0 {
        let body = input.rest();
        match f.client.v2_notification(body) {
            Ok(fields) => {
                check!(xml::parse(body).ok().as_ref() == Some(&fields), "the returned fields are not the body's");
                check!(
                    fields.get("return_code") == Some(&json!("SUCCESS")),
                    "accepted return_code {:?}",
                    fields.get("return_code")
                );
                let sign = fields.get("sign").and_then(Value::as_str).unwrap_or_default();
                let expected = v2_signature(&fields, sign.len() == 64);
                check!(expected.as_deref() == Some(sign), "accepted sign `{sign}`, expected {expected:?}");
            }
            Err(e) => check_v2_refusal(&e, data),
        }
        return;
    }
    let hmac = mode & 4 != 0;
    let mut fields = v2_fields(&mut input);
    let tamper = usize::from(input.byte());
    fields.insert("return_code".to_owned(), json!("SUCCESS"));
    if hmac {
        fields.insert("sign_type".to_owned(), json!("HMAC-SHA256"));
    }
    let Some(sign) = v2_signature(&fields, hmac) else { return };
    fields.insert("sign".to_owned(), Value::String(sign));
    let Ok(body) = xml::to_xml(&fields) else { return };
    match f.client.v2_notification(body.as_bytes()) {
        Ok(opened) => check!(opened == fields, "a signed notification opened to other fields"),
        Err(e) => panic!("fuzzing property violated: a signed APIv2 notification was refused: {e}"),
    }
    let names: Vec<String> = fields.keys().filter(|k| *k != "sign").cloned().collect();
    let name = &names[tamper % names.len()];
    if let Some(Value::String(value)) = fields.get_mut(name) {
        value.push('x');
    }
    let Ok(body) = xml::to_xml(&fields) else { return };
    let result = f.client.v2_notification(body.as_bytes());
    check!(result.is_err(), "a notification with `{name}` changed after signing was accepted");
}

fn check_v2_refusal(e: &NotificationError, input: &[u8]) {
    check!(Error::from(e.clone()).sent() == Sent::No, "a refused APIv2 notification converts to a sent error");
    let refusal = e;
    let status = refusal.http_status().as_u16();
    check!((400..500).contains(&status), "an APIv2 refusal answers {status}");
    check_no_key(e, input, APIV2_KEY);
}

/// `Client::v2_refund_notification`. Byte 0: mode (`% 4 == 0`: encrypt fields into `req_info`,
/// open, tamper; otherwise body = rest).
///
/// Properties: an accepted notification's outer fields are the body's without `req_info`, and its
/// decrypted fields are what `req_info` decrypts (AES-256-ECB) and parses to; `Debug` shows the names
/// of the decrypted fields, never their values; refusals as for `notification_v2`; an encrypted
/// `req_info` opens to the fields put in; a changed one never panics.
pub fn notification_v2_refund(data: &[u8]) {
    let f = fixture();
    let mut input = Input(data);
    let mode = input.byte();
    if mode % 4 != 0 {
        let body = input.rest();
        match f.client.v2_refund_notification(body) {
            Ok(notification) => {
                let Ok(mut fields) = xml::parse(body) else {
                    panic!("fuzzing property violated: an accepted refund notification does not parse");
                };
                check!(
                    fields.get("return_code") == Some(&json!("SUCCESS")),
                    "accepted return_code {:?}",
                    fields.get("return_code")
                );
                let req_info = fields.shift_remove("req_info");
                check!(notification.fields() == &fields, "fields() are not the body's without req_info");
                let plain = req_info
                    .as_ref()
                    .and_then(Value::as_str)
                    .and_then(|r| crate::v2::crypto::decrypt(&EcbKey::from_apiv2_key(&f.v2), r).ok())
                    .and_then(|p| String::from_utf8(p).ok());
                let info = plain.and_then(|p| xml::parse(p.as_bytes()).ok());
                check!(info.as_ref() == Some(notification.info()), "info() is not what req_info decrypts to");
                check_refund_redacted(&notification);
            }
            Err(e) => check_v2_refusal(&e, data),
        }
        return;
    }
    let info = v2_fields(&mut input);
    let tamper = input.byte();
    let position = usize::from(input.u16());
    let Ok(inner) = xml::to_xml_with_root("root", &info) else { return };
    let req_info = crate::v2::crypto::encrypt(&EcbKey::from_apiv2_key(&f.v2), inner.as_bytes());
    let body = |req_info: &str| {
        let outer = json!({"return_code": "SUCCESS", "appid": "wx2421b1c4370ec43b", "mch_id": MCHID,
                           "nonce_str": "TeqClE3i0mvn3DrK", "req_info": req_info});
        xml::to_xml(outer.as_object().unwrap_or(&Map::new())).unwrap_or_default()
    };
    match f.client.v2_refund_notification(body(&req_info).as_bytes()) {
        Ok(n) => {
            check!(n.info() == &info, "an encrypted req_info opened to other fields");
            check_refund_redacted(&n);
        }
        Err(e) => panic!("fuzzing property violated: a valid refund notification was refused: {e}"),
    }
    let mut chars: Vec<char> = req_info.chars().collect();
    let at = position % chars.len();
    chars[at] = char::from(b'A' + tamper % 26);
    let changed: String = chars.into_iter().collect();
    if let Err(e) = f.client.v2_refund_notification(body(&changed).as_bytes()) {
        check_v2_refusal(&e, data);
    }
}

fn check_refund_redacted(notification: &crate::v2::notify::RefundNotification) {
    let shown = format!("{notification:?}");
    let visible = format!("{:?}{:?}", notification.fields(), notification.info().keys().collect::<Vec<_>>());
    for value in notification.info().values().filter_map(Value::as_str) {
        if value.chars().count() >= 8 && !shows(&visible, value) {
            check!(!shows(&shown, value), "Debug of a refund notification shows a decrypted value");
        }
    }
}
