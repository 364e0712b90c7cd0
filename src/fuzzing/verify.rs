//! Fuzz targets: response verification.

use super::*;

/// `Verifier::verify_response`. Byte 0: mode (`% 4 == 0`: sign, verify, tamper; otherwise the rest
/// is arbitrary: method `(byte / 4) % 5`, path field, alternate-path field, headers, body).
///
/// Properties: only a listed download path on `GET` passes unsigned; an accepted signature is exactly
/// one set of headers whose signature verifies over the body (statements: over the SHA-1 whose value
/// matches the body); a freshly signed answer verifies and any tampering (body, nonce, timestamp,
/// serial, other key, statement body) is refused.
pub fn verify_response(data: &[u8]) {
    let mut input = Input(data);
    let mode = input.byte();
    if mode % 4 == 0 {
        verify_signed_then_tampered(input);
        return;
    }
    let f = fixture();
    let method = METHODS[usize::from(mode / 4) % METHODS.len()].clone();
    let path = input.text();
    let alternate = input.text();
    let alternate = (!alternate.is_empty()).then_some(alternate.as_str());
    let headers = read_headers(&mut input);
    let body = input.rest();
    let candidates = || std::iter::once(path.as_str()).chain(alternate);
    match f.client.verifier().verify_response(&method, &path, alternate, &headers, body) {
        Ok(Verification::UnsignedDownload) => {
            let listed = candidates().any(|p| {
                let lower = p.to_ascii_lowercase();
                UNSIGNED_DOWNLOAD_PREFIXES.iter().any(|prefix| match prefix.strip_suffix('/') {
                    Some(_) => lower.len() > prefix.len() && lower.starts_with(prefix),
                    None => lower == *prefix,
                })
            });
            check!(method == Method::GET && listed, "{method} {path} ({alternate:?}) passed as an unsigned download");
        }
        Ok(Verification::Signed { key_id }) => {
            let statement = candidates().any(|p| STATEMENTS.iter().any(|s| p.eq_ignore_ascii_case(s)));
            let sha1 = headers.get("wechatpay-statement-sha1").and_then(|v| v.to_str().ok());
            match (statement, sha1) {
                (true, Some(sha1)) => {
                    let actual = digest_hex(&digest::SHA1_FOR_LEGACY_USE_ONLY, body);
                    check!(actual.eq_ignore_ascii_case(sha1), "a statement with SHA-1 {actual} passed as `{sha1}`");
                    check_signature(&headers, &key_id, format!("{{\"sha1\":\"{sha1}\"}}").as_bytes());
                }
                _ => {
                    check_signature(&headers, &key_id, body);
                }
            }
        }
        Ok(other) => panic!("fuzzing property violated: an APIv3 verification ended as {other:?}"),
        Err(failure) => {
            let _ = (failure.to_string(), format!("{failure:?}"));
        }
    }
}

/// Byte: key and path (bit 0: platform certificate or WeChat Pay public key; bit 1: an overseas
/// statement); 2 bytes: clock offset; nonce field; tamper byte; 2 bytes: position; body = rest.
fn verify_signed_then_tampered(mut input: Input<'_>) {
    let f = fixture();
    let which = input.byte();
    let (key, other_key, id, other_id) = if which & 1 == 0 {
        (&f.platform, &f.wechatpay, PLATFORM_SERIAL, PUB_KEY_ID)
    } else {
        (&f.wechatpay, &f.platform, PUB_KEY_ID, PLATFORM_SERIAL)
    };
    let statement = which & 2 != 0;
    let offset = i64::from(input.u16() as i16) % 400;
    let nonce: String = input.text().chars().filter(char::is_ascii_graphic).take(64).collect();
    let tamper = input.byte();
    let position = usize::from(input.u16());
    let body = input.rest();
    let timestamp = NOW + offset;
    let path = if statement { "/v3/global/statements" } else { "/v3/pay/transactions/id/4200000000202411240000000001" };
    let sha1 = digest_hex(&digest::SHA1_FOR_LEGACY_USE_ONLY, body);
    let payload = if statement { format!("{{\"sha1\":\"{sha1}\"}}").into_bytes() } else { body.to_vec() };
    let mut headers = signed_headers(key, id, timestamp, &nonce, &payload);
    if statement {
        headers
            .insert("wechatpay-statement-sha1", HeaderValue::from_str(&sha1).unwrap_or(HeaderValue::from_static("")));
    }
    let verify =
        |headers: &HeaderMap, body: &[u8]| f.client.verifier().verify_response(&Method::GET, path, None, headers, body);

    let result = verify(&headers, body);
    if offset.abs() > 300 {
        check!(
            matches!(result, Err(VerificationFailure::ClockSkew { .. })),
            "a signature {offset} s off the clock gave {result:?}"
        );
        return;
    }
    check!(
        result == Ok(Verification::Signed { key_id: id.to_owned() }),
        "a freshly signed answer (nonce `{nonce}`, {} bytes) gave {result:?}",
        body.len()
    );

    let mut tampered_headers = headers.clone();
    let mut tampered_body = body.to_vec();
    let set = |headers: &mut HeaderMap, name: &'static str, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    let what = match tamper % 7 {
        0 if !body.is_empty() => {
            let at = position % body.len();
            tampered_body[at] ^= 1 << (tamper / 8 % 8);
            "one body bit"
        }
        1 => {
            set(&mut tampered_headers, "wechatpay-nonce", &format!("{nonce}x"));
            "the nonce"
        }
        2 => {
            let moved = if offset < 300 { timestamp + 1 } else { timestamp - 1 };
            set(&mut tampered_headers, "wechatpay-timestamp", &moved.to_string());
            "the timestamp"
        }
        3 => {
            set(&mut tampered_headers, "wechatpay-serial", other_id);
            "the serial"
        }
        4 => {
            set(&mut tampered_headers, "wechatpay-signature", &signature(other_key, timestamp, &nonce, &payload));
            "the signing key"
        }
        5 => {
            tampered_body.push(tamper);
            "an appended byte"
        }
        _ if !body.is_empty() => {
            tampered_body.truncate(position % body.len());
            "a truncation"
        }
        _ => return,
    };
    let result = verify(&tampered_headers, &tampered_body);
    check!(result.is_err(), "an answer with {what} changed after signing still verified: {result:?}");
}
