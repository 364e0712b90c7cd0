//! `notify verify`: check and decrypt a captured notification.

use std::path::Path;

use wechatpay_chain::http::{HeaderMap, HeaderName, HeaderValue};

use crate::args::Cli;
use crate::credentials::Credentials;
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

/// Verifies (signature, ±300 s, key) and decrypts (APIv3 key) the notification; prints the decrypted
/// resource on stdout and the envelope on stderr.
pub fn verify(cli: &Cli, headers: &Path, body: &Path) -> Result<(), Failure> {
    let text = std::fs::read_to_string(headers)
        .map_err(|e| Failure::input(format!("cannot read the headers file {} ({e})", headers.display())))?;
    let headers = parse_headers(&text)?;
    let body = std::fs::read(body)
        .map_err(|e| Failure::input(format!("cannot read the body file {} ({e})", body.display())))?;
    let credentials = Credentials::resolve(&cli.credentials)?;
    let (client, _signer) = credentials.client(true, cli.timeout)?;
    let notification = client.notification(&headers, &body).map_err(wechatpay_chain::Error::from)?;
    output::status(&format!("id: {}", notification.id()));
    output::status(&format!("event_type: {}", notification.event_type()));
    if !notification.summary().is_empty() {
        output::status(&format!("summary: {}", notification.summary()));
    }
    output::status(&format!("signed by {}", notification.signed_by()));
    output::body(notification.plaintext())
}
