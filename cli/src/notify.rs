//! `notify verify`: check and decrypt a captured notification, APIv3 or APIv2.

use std::io::Read;
use std::path::Path;

use serde_json::Value;
use wechatpay_chain::http::{HeaderMap, HeaderName, HeaderValue};
use wechatpay_chain::v2::{ApiV2Key, NotifyError, SignType, notify};

use crate::args::NotifyArgs;
use crate::credentials::{CredentialArgs, Credentials, Need};
use crate::output::{self, Failure};

fn insert(headers: &mut HeaderMap, name: &str, value: &str) -> Result<(), Failure> {
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| Failure::input(format!("`{}` is not a header name", name.trim())))?;
    let value = HeaderValue::from_str(value.trim())
        .map_err(|_| Failure::input(format!("the value of header `{name}` is not a valid header value")))?;
    headers.append(name, value);
    Ok(())
}

/// The headers file: a JSON object (`{"Wechatpay-Serial": "…"}`, values may be arrays), or raw
/// `Name: value` lines as captured (a leading request line such as `POST /notify HTTP/1.1` and blank
/// lines are skipped).
pub fn parse_headers(text: &str) -> Result<HeaderMap, Failure> {
    let mut headers = HeaderMap::new();
    if text.trim_start().starts_with('{') {
        let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text)
            .map_err(|e| Failure::input(format!("the headers file is not a JSON object ({e})")))?;
        for (name, value) in &object {
            match value {
                serde_json::Value::String(v) => insert(&mut headers, name, v)?,
                serde_json::Value::Array(values) => {
                    for v in values {
                        insert(&mut headers, name, v.as_str().unwrap_or_default())?;
                    }
                }
                other => insert(&mut headers, name, &other.to_string())?,
            }
        }
        return Ok(headers);
    }
    for (number, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || (number == 0 && line.contains(" HTTP/")) {
            continue;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| Failure::input(format!("line {} of the headers file is not `Name: value`", number + 1)))?;
        insert(&mut headers, name, value)?;
    }
    Ok(headers)
}

/// Largest body file read: APIv3 bodies are a few KiB, APIv2 ones are capped by the SDK at 256 KiB.
const MAX_BODY_FILE: u64 = 1 << 20;

fn read_bounded(path: &Path, what: &str) -> Result<Vec<u8>, Failure> {
    let file = std::fs::File::open(path)
        .map_err(|e| Failure::input(format!("cannot read the {what} file {} ({e})", path.display())))?;
    let mut bytes = Vec::new();
    file.take(MAX_BODY_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::input(format!("cannot read the {what} file {} ({e})", path.display())))?;
    if bytes.len() as u64 > MAX_BODY_FILE {
        return Err(Failure::input(format!(
            "the {what} file {} is larger than 1 MiB: not a notification",
            path.display()
        )));
    }
    Ok(bytes)
}

/// `notify verify`: an XML body is an APIv2 notification (checked with the APIv2 key alone), anything
/// else an APIv3 one (its headers needed).
pub fn verify(args: &NotifyArgs) -> Result<(), Failure> {
    let body = read_bounded(&args.body, "body")?;
    let credentials = Credentials::resolve(
        &CredentialArgs::new(&args.merchant).keys(&args.keys).v2(&args.v2).connection(&args.connection),
    )?;
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<') {
        if args.headers.is_some() {
            output::status("note: an APIv2 notification is checked by its sign field; --headers is not used");
        }
        return verify_v2(&credentials, &body);
    }
    let Some(headers) = &args.headers else {
        return Err(Failure::input(
            "an APIv3 notification is checked with its Wechatpay-* headers: pass --headers FILE (the captured \
             headers); an APIv2 notification is an XML body",
        ));
    };
    let text = String::from_utf8_lossy(&read_bounded(headers, "headers")?).into_owned();
    let headers = parse_headers(&text)?;
    let (client, _signer) = credentials.client(Need { apiv3: true, ..Need::default() })?;
    let notification = client.notification(&headers, &body).map_err(wechatpay_chain::Error::from)?;
    output::status(&format!("id: {}", notification.id()));
    output::status(&format!("event_type: {}", notification.event_type()));
    if !notification.summary().is_empty() {
        output::status(&format!("summary: {}", notification.summary()));
    }
    output::status(&format!("signed by {}", notification.signed_by()));
    output::body(notification.plaintext())
}

/// An APIv2 notification: a payment (or other signed) notification's fields after its `sign` verified,
/// or a refund notification's decrypted `req_info`.
fn verify_v2(credentials: &Credentials, body: &[u8]) -> Result<(), Failure> {
    let key = ApiV2Key::new(&credentials.require_apiv2_key()?)
        .map_err(|e| Failure::config(format!("the APIv2 key was refused: {e}")))?;
    match notify::verify_notification(body, &key) {
        Ok(mut fields) => {
            let algorithm = match fields.get("sign").and_then(Value::as_str) {
                Some(sign) => SignType::of_sign(sign).as_str(),
                None => "?",
            };
            fields.shift_remove("sign");
            output::status(&format!("APIv2 notification: sign ({algorithm}) verified with the APIv2 key"));
            output::body(Value::Object(fields).to_string().as_bytes())
        }
        Err(NotifyError::RefundNotification) => {
            let refund = notify::decrypt_refund_notification(body, &key).map_err(v2_failure)?;
            let (outer, info) = refund.into_parts();
            for name in ["appid", "mch_id", "nonce_str"] {
                if let Some(value) = outer.get(name).and_then(Value::as_str) {
                    output::status(&format!("{name}: {value}"));
                }
            }
            output::status(
                "APIv2 refund notification: req_info decrypted with the APIv2 key. It has no integrity check \
                 (AES-256-ECB): confirm the refund with a refund query before acting on money",
            );
            output::body(Value::Object(info).to_string().as_bytes())
        }
        Err(e) => Err(v2_failure(e)),
    }
}

fn v2_failure(error: NotifyError) -> Failure {
    let kind = match &error {
        NotifyError::Signature(_) => "bad sign",
        NotifyError::ReturnCode { .. } => "return_code",
        NotifyError::ReqInfo(_) | NotifyError::ReqInfoXml(_) => "req_info",
        _ => "malformed",
    };
    Failure { code: output::EXIT_FAILURE, message: format!("notification v2 {kind}: {error}") }
}
