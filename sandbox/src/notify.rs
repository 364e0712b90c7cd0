//! Forged WeChat Pay notifications (回调通知) and their delivery to a local endpoint, plus the
//! AES-256-GCM sealing and `+08:00` timestamps they share with `GET /v3/certificates`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use aws_lc_rs::aead;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};

use super::keys::{random_alnum, random_serial};
use crate::Sandbox;
use crate::error::Error;
use crate::server::sign_message;
use crate::state::State;

/// How long [`Sandbox::deliver`] waits to connect, to send and for each read of the answer.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest answer body [`Sandbox::deliver`] reads.
const MAX_ANSWER: usize = 16 * 1024 * 1024;
/// The longest status or header line [`Sandbox::deliver`] reads.
const MAX_LINE: u64 = 16 * 1024;

/// What a forged notification should look like: the event and the plaintext resource, with WeChat Pay's
/// defaults for the rest. The resource is redacted in `Debug` (in real notifications it is personal data).
///
/// ```
/// use serde_json::json;
/// use wechatpay_sandbox::{NotificationSpec, Tamper};
///
/// let spec = NotificationSpec::new("REFUND.SUCCESS", json!({"out_refund_no": "R1", "refund_status": "SUCCESS"}))
///     .original_type("refund")
///     .associated_data("refund")
///     .summary("退款成功")
///     .tamper(Tamper::Signature);
/// assert!(!format!("{spec:?}").contains("out_refund_no"));
/// ```
#[derive(Clone)]
pub struct NotificationSpec {
    event_type: String,
    resource: Value,
    original_type: String,
    associated_data: String,
    summary: String,
    signed_by: Option<String>,
    tamper: Option<Tamper>,
}

impl std::fmt::Debug for NotificationSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotificationSpec")
            .field("event_type", &self.event_type)
            .field("original_type", &self.original_type)
            .field("associated_data", &self.associated_data)
            .field("summary", &self.summary)
            .field("signed_by", &self.signed_by)
            .field("tamper", &self.tamper)
            .field("resource", &"<redacted>")
            .finish()
    }
}

impl NotificationSpec {
    /// A notification of `event_type` (e.g. `TRANSACTION.SUCCESS`) whose encrypted resource is `resource`
    /// (serialized compactly, in its key order). Defaults: `original_type` and `associated_data`
    /// `transaction`, `summary` `支付成功`, signed with the key the sandbox signs answers with by default,
    /// not tampered with.
    pub fn new(event_type: impl Into<String>, resource: Value) -> Self {
        NotificationSpec {
            event_type: event_type.into(),
            resource,
            original_type: "transaction".to_owned(),
            associated_data: "transaction".to_owned(),
            summary: "支付成功".to_owned(),
            signed_by: None,
            tamper: None,
        }
    }

    /// `resource.original_type` (default `transaction`).
    pub fn original_type(mut self, original_type: impl Into<String>) -> Self {
        self.original_type = original_type.into();
        self
    }

    /// The associated data the resource is encrypted with and `resource.associated_data`
    /// (default `transaction`).
    pub fn associated_data(mut self, associated_data: impl Into<String>) -> Self {
        self.associated_data = associated_data.into();
        self
    }

    /// `summary` (default `支付成功`).
    pub fn summary(mut self, summary: impl Into<String>) -> Self {
        self.summary = summary.into();
        self
    }

    /// Sign with the sandbox key of this id: the public key id (`PUB_KEY_ID_…`) or the serial of any
    /// platform certificate the sandbox holds, expired ones included. Default: the key the sandbox signs
    /// answers with by default (the public key in [`SignMode::PublicKey`](super::SignMode::PublicKey),
    /// otherwise the newest unexpired platform certificate).
    pub fn signed_by(mut self, key_id: impl Into<String>) -> Self {
        self.signed_by = Some(key_id.into());
        self
    }

    /// Introduce one defect (default: none).
    pub fn tamper(mut self, tamper: Tamper) -> Self {
        self.tamper = Some(tamper);
        self
    }
}

/// One deliberate defect in a forged notification, to test that a notification handler rejects it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Tamper {
    /// One byte of the body changes after signing (a character of `summary`, or of `id` when `summary`
    /// has none that can change); the body stays valid UTF-8 and JSON. The signature check fails.
    Body,
    /// Bits of the signature are flipped. The signature check fails.
    Signature,
    /// `Wechatpay-Serial` names a random key nobody has. Key lookup fails.
    Serial,
    /// Signed correctly, but with a timestamp 600 s in the past. Only the ±300 s window check fails.
    Timestamp,
    /// A byte of the ciphertext is flipped before encoding, then the body is signed correctly. The
    /// signature verifies; decryption fails.
    Ciphertext,
    /// The resource is encrypted with the real associated data, but the envelope names another one; the
    /// body is signed correctly. The signature verifies; decryption fails.
    AssociatedData,
    /// WeChat Pay's signature probe: `Wechatpay-Signature: WECHATPAY/SIGNTEST/<base64 random>`, which
    /// a handler must reject.
    Probe,
}

/// A notification as WeChat Pay would POST it: its `id`, headers and body.
#[derive(Clone, Debug)]
pub struct ForgedNotification {
    /// The event id (`EV-…`), as in the body (unless [`Tamper::Body`] changed it).
    pub id: String,
    /// `Wechatpay-Timestamp`, `-Nonce`, `-Serial`, `-Signature`, `-Signature-Type` and `Content-Type`.
    pub headers: HeaderMap,
    /// The compact JSON body.
    pub body: Bytes,
}

impl Sandbox {
    /// Forges a notification (回调通知) as WeChat Pay would send it: the resource encrypted with
    /// AES-256-GCM under the sandbox's APIv3 key, the body signed with a sandbox key, the timestamp from
    /// the sandbox clock, and the defect `spec` asks for.
    ///
    /// Fails when `spec` names a key the sandbox does not hold.
    pub fn notification(&self, spec: &NotificationSpec) -> Result<ForgedNotification, Error> {
        self.state.notification(spec)
    }

    /// POSTs `notification` to `url` (`http://127.0.0.1:PORT/path`, `http://localhost:PORT/path` or
    /// `http://[::1]:PORT/path`) as WeChat Pay would, over HTTP/1.1 with `Connection: close`, and returns
    /// the answer's status code and body. Each step (connect, send, every read) may take up to 10 s.
    ///
    /// Fails for other URLs (the sandbox only delivers to this machine) and on I/O errors.
    pub fn deliver(&self, url: &str, notification: &ForgedNotification) -> Result<(u16, Bytes), Error> {
        deliver(url, notification)
    }
}

impl State {
    /// [`Sandbox::notification`], for the sandbox's own use (payments).
    pub(crate) fn notification(&self, spec: &NotificationSpec) -> Result<ForgedNotification, Error> {
        let fail = |e: String| Error::new(e);
        let now = self.clock.now();
        let key = match &spec.signed_by {
            Some(id) => self.key_by_id(id).ok_or_else(|| {
                fail(format!("the sandbox holds no key `{id}` to sign the notification with (it has: {})", {
                    self.key_ids().join(", ")
                }))
            })?,
            None => self.response_key(None, now),
        };
        let tamper = spec.tamper;

        let nonce = random_alnum(12);
        let mut sealed =
            seal(&self.apiv3_key, &nonce, &spec.associated_data, spec.resource.to_string().as_bytes()).map_err(fail)?;
        if tamper == Some(Tamper::Ciphertext)
            && let Some(b) = sealed.first_mut()
        {
            *b ^= 0x01;
        }
        let associated_data = if tamper == Some(Tamper::AssociatedData) {
            format!("{}-tampered", spec.associated_data)
        } else {
            spec.associated_data.clone()
        };
        let id = format!("EV-{}", random_alnum(24));
        let body = json!({
            "id": id,
            "create_time": rfc3339_cst(now),
            "resource_type": "encrypt-resource",
            "event_type": spec.event_type,
            "summary": spec.summary,
            "resource": {
                "original_type": spec.original_type,
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": STANDARD.encode(&sealed),
                "associated_data": associated_data,
                "nonce": nonce,
            },
        })
        .to_string();

        let timestamp = if tamper == Some(Tamper::Timestamp) { now.saturating_sub(600) } else { now }.to_string();
        let header_nonce = random_alnum(32);
        let mut signature = sign_message(&key.pair, &timestamp, &header_nonce, body.as_bytes()).map_err(fail)?;
        let mut body = body.into_bytes();
        match tamper {
            Some(Tamper::Body) => alter_one_byte(&mut body),
            Some(Tamper::Signature) => {
                for b in signature.iter_mut().skip(10).take(4) {
                    *b ^= 0x55;
                }
            }
            _ => {}
        }
        let serial = if tamper == Some(Tamper::Serial) { random_serial().map_err(fail)? } else { key.id.clone() };
        let signature = if tamper == Some(Tamper::Probe) {
            let mut probe = [0u8; 64];
            getrandom::fill(&mut probe).map_err(|e| fail(format!("the system random source failed: {e}")))?;
            format!("WECHATPAY/SIGNTEST/{}", STANDARD.encode(probe))
        } else {
            STANDARD.encode(&signature)
        };

        let mut headers = HeaderMap::with_capacity(6);
        for (name, value) in [
            ("wechatpay-timestamp", timestamp),
            ("wechatpay-nonce", header_nonce),
            ("wechatpay-serial", serial),
            ("wechatpay-signature", signature),
            ("wechatpay-signature-type", "WECHATPAY2-SHA256-RSA2048".to_owned()),
            ("content-type", "application/json".to_owned()),
        ] {
            let value = HeaderValue::try_from(value)
                .map_err(|_| fail(format!("the `{name}` header of the notification is not valid header text")))?;
            headers.insert(HeaderName::from_static(name), value);
        }
        Ok(ForgedNotification { id, headers, body: Bytes::from(body) })
    }
}

/// [`Sandbox::deliver`], also for the sandbox's own use (payments).
pub(crate) fn deliver(url: &str, notification: &ForgedNotification) -> Result<(u16, Bytes), Error> {
    let fail = |e: String| Error::new(e);
    let target = parse_loopback_url(url).map_err(fail)?;
    let io = |e: std::io::Error| {
        let e = if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) {
            format!("no progress within {} s ({e})", DELIVERY_TIMEOUT.as_secs())
        } else {
            e.to_string()
        };
        fail(format!("delivering the notification to {url} failed: {e}"))
    };

    let mut stream = None;
    let mut last_error = None;
    for addr in &target.addrs {
        match TcpStream::connect_timeout(addr, DELIVERY_TIMEOUT) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last_error = Some(e),
        }
    }
    let stream = match (stream, last_error) {
        (Some(s), _) => s,
        (None, Some(e)) => return Err(io(e)),
        (None, None) => return Err(fail(format!("`{url}` resolves to no loopback address"))),
    };
    stream.set_read_timeout(Some(DELIVERY_TIMEOUT)).map_err(io)?;
    stream.set_write_timeout(Some(DELIVERY_TIMEOUT)).map_err(io)?;

    let mut request = Vec::with_capacity(notification.body.len() + 512);
    request.extend_from_slice(format!("POST {} HTTP/1.1\r\nHost: {}\r\n", target.path, target.authority).as_bytes());
    let mut has_user_agent = false;
    for (name, value) in &notification.headers {
        if matches!(name.as_str(), "host" | "content-length" | "connection" | "transfer-encoding") {
            continue;
        }
        has_user_agent |= name == http::header::USER_AGENT;
        request.extend_from_slice(name.as_str().as_bytes());
        request.extend_from_slice(b": ");
        request.extend_from_slice(value.as_bytes());
        request.extend_from_slice(b"\r\n");
    }
    if !has_user_agent {
        request.extend_from_slice(b"User-Agent: wechatpay-chain-sandbox\r\n");
    }
    request.extend_from_slice(
        format!("Content-Length: {}\r\nConnection: close\r\n\r\n", notification.body.len()).as_bytes(),
    );
    request.extend_from_slice(&notification.body);
    let mut writer = &stream;
    writer.write_all(&request).map_err(io)?;
    writer.flush().map_err(io)?;

    let mut reader = BufReader::new(&stream);
    read_answer(&mut reader).map_err(io)
}

/// Where [`Sandbox::deliver`] sends to.
struct Target {
    authority: String,
    path: String,
    addrs: Vec<SocketAddr>,
}

fn parse_loopback_url(url: &str) -> Result<Target, String> {
    let refuse = |why: &str| format!("cannot deliver to `{url}`: {why}");
    let scheme_len = "http://".len();
    if url.len() < scheme_len || !url[..scheme_len].eq_ignore_ascii_case("http://") {
        return Err(refuse("the sandbox delivers only to plain http:// URLs on this machine"));
    }
    let rest = &url[scheme_len..];
    let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let path = if path.starts_with('?') { format!("/{path}") } else { path.to_owned() };
    if path.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(refuse("the path contains spaces or control characters; percent-encode them"));
    }
    if authority.contains('@') {
        return Err(refuse("user information in the URL is not supported"));
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => {
            (host, port.parse::<u16>().map_err(|_| refuse(&format!("`{port}` is not a port number")))?)
        }
        _ => (authority, 80),
    };
    let addrs: Vec<SocketAddr> = if host == "127.0.0.1" {
        vec![SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)]
    } else if host == "[::1]" {
        vec![SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port)]
    } else if host.eq_ignore_ascii_case("localhost") {
        ("localhost", port)
            .to_socket_addrs()
            .map_err(|e| refuse(&format!("`localhost` does not resolve ({e})")))?
            .filter(|a| a.ip().is_loopback())
            .collect()
    } else {
        return Err(refuse("the sandbox delivers only to 127.0.0.1, localhost or [::1]"));
    };
    Ok(Target { authority: authority.to_owned(), path, addrs })
}

fn invalid(message: impl Into<String>) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message.into())
}

/// One CRLF- (or LF-) terminated line without its terminator; an error at EOF or past [`MAX_LINE`].
fn read_line(reader: &mut impl BufRead) -> std::io::Result<String> {
    let mut line = Vec::new();
    reader.take(MAX_LINE).read_until(b'\n', &mut line)?;
    if line.last() != Some(&b'\n') {
        return Err(invalid(if line.len() as u64 >= MAX_LINE {
            "an answer line is too long"
        } else {
            "the connection closed in the middle of the answer"
        }));
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line).map_err(|_| invalid("an answer line is not UTF-8"))
}

/// Reads an HTTP/1.x answer: skips `1xx` interim answers, then reads the body by `Transfer-Encoding:
/// chunked`, `Content-Length` or to the end of the connection.
fn read_answer(reader: &mut impl BufRead) -> std::io::Result<(u16, Bytes)> {
    loop {
        let status_line = read_line(reader)?;
        let mut parts = status_line.splitn(3, ' ');
        let (Some(version), Some(code)) = (parts.next(), parts.next()) else {
            return Err(invalid(format!("not an HTTP status line: `{status_line}`")));
        };
        let status = code
            .parse::<u16>()
            .ok()
            .filter(|c| version.starts_with("HTTP/1.") && (100..1000).contains(c))
            .ok_or_else(|| invalid(format!("not an HTTP status line: `{status_line}`")))?;
        let (mut content_length, mut chunked) = (None, false);
        loop {
            let line = read_line(reader)?;
            if line.is_empty() {
                break;
            }
            let Some((name, value)) = line.split_once(':') else {
                return Err(invalid(format!("malformed answer header `{line}`")));
            };
            let value = value.trim();
            if name.trim().eq_ignore_ascii_case("content-length") {
                let n: usize = value.parse().map_err(|_| invalid(format!("bad Content-Length `{value}`")))?;
                content_length = Some(n);
            } else if name.trim().eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.rsplit(',').next().is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"));
            }
        }
        if (100..200).contains(&status) {
            continue;
        }
        if status == 204 || status == 304 {
            return Ok((status, Bytes::new()));
        }
        let body = if chunked {
            read_chunked(reader)?
        } else if let Some(n) = content_length {
            if n > MAX_ANSWER {
                return Err(invalid(format!("the answer body of {n} bytes is larger than {MAX_ANSWER}")));
            }
            let mut body = vec![0u8; n];
            reader.read_exact(&mut body)?;
            body
        } else {
            let mut body = Vec::new();
            reader.take(MAX_ANSWER as u64 + 1).read_to_end(&mut body)?;
            if body.len() > MAX_ANSWER {
                return Err(invalid(format!("the answer body is larger than {MAX_ANSWER} bytes")));
            }
            body
        };
        return Ok((status, Bytes::from(body)));
    }
}

fn read_chunked(reader: &mut impl BufRead) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line = read_line(reader)?;
        let size = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size, 16).map_err(|_| invalid(format!("bad chunk size `{line}`")))?;
        if size == 0 {
            // Trailers, up to the empty line (or the end of the connection).
            while !read_line(reader).unwrap_or_default().is_empty() {}
            return Ok(body);
        }
        if body.len().saturating_add(size) > MAX_ANSWER {
            return Err(invalid(format!("the answer body is larger than {MAX_ANSWER} bytes")));
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        if !read_line(reader)?.is_empty() {
            return Err(invalid("a chunk is longer than its announced size"));
        }
    }
}

/// Changes exactly one byte of the body so that it stays valid UTF-8 and JSON: the first letter or digit
/// (or non-ASCII character) of the `summary` value, else of the `id` value.
fn alter_one_byte(body: &mut [u8]) {
    for key in [&b"\"summary\":\""[..], b"\"id\":\""] {
        let Some(mut i) = body.windows(key.len()).position(|w| w == key).map(|i| i + key.len()) else {
            continue;
        };
        while let Some(&b) = body.get(i) {
            match b {
                b'"' => break,
                // Escapes (`\n`, `\"`, `\u1234`) are skipped whole.
                b'\\' => i += if body.get(i + 1) == Some(&b'u') { 6 } else { 2 },
                b if b.is_ascii_alphanumeric() => {
                    body[i] = if b == b'A' { b'B' } else { b'A' };
                    return;
                }
                b if b.is_ascii() => i += 1,
                // The lead byte of a multi-byte character: flipping the lowest bit of its last byte keeps
                // that byte a continuation byte, so the text stays valid UTF-8 (another character).
                b => {
                    let len = if b >= 0xF0 {
                        4
                    } else if b >= 0xE0 {
                        3
                    } else {
                        2
                    };
                    if let Some(last) = body.get_mut(i + len - 1) {
                        *last ^= 0x01;
                    }
                    return;
                }
            }
        }
    }
}

/// AES-256-GCM as WeChat Pay uses it for resources: `key` is the 32-character APIv3 key, `nonce` the
/// 12-character nonce string, `aad` the associated data. Returns the ciphertext with the 16-byte tag.
pub(crate) fn seal(key: &str, nonce: &str, aad: &str, plaintext: &[u8]) -> Result<Vec<u8>, String> {
    let key = aead::UnboundKey::new(&aead::AES_256_GCM, key.as_bytes())
        .map_err(|_| "the APIv3 key must be 32 bytes for AES-256-GCM".to_owned())?;
    let nonce = aead::Nonce::try_assume_unique_for_key(nonce.as_bytes())
        .map_err(|_| "the AES-256-GCM nonce must be 12 bytes".to_owned())?;
    let mut sealed = plaintext.to_vec();
    aead::LessSafeKey::new(key)
        .seal_in_place_append_tag(nonce, aead::Aad::from(aad.as_bytes()), &mut sealed)
        .map_err(|_| "AES-256-GCM encryption failed".to_owned())?;
    Ok(sealed)
}

/// Unix seconds as RFC 3339 in China Standard Time, the way WeChat Pay writes times:
/// `2024-11-24T13:29:35+08:00`.
pub(crate) fn rfc3339_cst(unix: i64) -> String {
    let local = unix.saturating_add(8 * 3600);
    let (year, month, day) = civil_from_days(local.div_euclid(86_400));
    let secs = local.rem_euclid(86_400);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}+08:00", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// The proleptic Gregorian date of a day count from 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153; // March = 0
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_china_standard_time() {
        assert_eq!(rfc3339_cst(0), "1970-01-01T08:00:00+08:00");
        assert_eq!(rfc3339_cst(1_732_426_175), "2024-11-24T13:29:35+08:00");
        assert_eq!(rfc3339_cst(951_782_400 - 8 * 3600), "2000-02-29T00:00:00+08:00");
        assert_eq!(rfc3339_cst(-8 * 3600 - 1), "1969-12-31T23:59:59+08:00");
        assert_eq!(rfc3339_cst(4_107_542_399 - 8 * 3600), "2100-02-28T23:59:59+08:00");
    }

    #[test]
    fn one_byte_changes_and_text_stays_json() {
        for summary in ["支付成功", "paid", "  ", "\\n", "\u{1F600}"] {
            let body = json!({"id": "EV-abc", "summary": summary}).to_string().into_bytes();
            let mut altered = body.clone();
            alter_one_byte(&mut altered);
            assert_eq!(body.iter().zip(&altered).filter(|(a, b)| a != b).count(), 1, "{summary}");
            let text = String::from_utf8(altered).expect("UTF-8");
            serde_json::from_str::<Value>(&text).expect("JSON");
        }
    }

    #[test]
    fn delivery_targets_are_loopback_only() {
        let t = parse_loopback_url("http://127.0.0.1:8080/notify?x=1#f").expect("ok");
        assert_eq!((t.authority.as_str(), t.path.as_str()), ("127.0.0.1:8080", "/notify?x=1"));
        assert_eq!(t.addrs, [SocketAddr::from(([127, 0, 0, 1], 8080))]);
        assert_eq!(parse_loopback_url("http://[::1]:81").expect("v6").path, "/");
        assert_eq!(parse_loopback_url("HTTP://127.0.0.1?a").expect("query").path, "/?a");
        for bad in [
            "https://127.0.0.1/",
            "http://example.com/",
            "http://10.0.0.1/",
            "http://127.0.0.1:99999/",
            "http://u@127.0.0.1/",
            "http://127.0.0.1/a b",
            "ftp://127.0.0.1/",
            "",
        ] {
            assert!(parse_loopback_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn answers_are_read_by_length_chunks_or_eof() {
        let read = |raw: &str| read_answer(&mut raw.as_bytes());
        assert_eq!(read("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA").expect("cl"), (200, Bytes::from("ok")));
        assert_eq!(
            read("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n3;x\r\nabc\r\n1\r\nd\r\n0\r\n\r\n")
                .expect("chunked"),
            (500, Bytes::from("abcd"))
        );
        assert_eq!(read("HTTP/1.0 404 Not Found\r\n\r\nto the end").expect("eof"), (404, Bytes::from("to the end")));
        assert_eq!(read("HTTP/1.1 204 No Content\r\n\r\n").expect("204"), (204, Bytes::new()));
        assert!(read("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nok").is_err());
        assert!(read("SSH-2.0\r\n\r\n").is_err());
    }

    #[test]
    fn sealing_matches_the_gcm_layout() {
        let sealed = seal("0123456789abcdef0123456789abcdef", "abcdefghijkl", "x", b"hello").expect("seal");
        assert_eq!(sealed.len(), 5 + 16);
        assert!(seal("short", "abcdefghijkl", "", b"").is_err());
        assert!(seal("0123456789abcdef0123456789abcdef", "short", "", b"").is_err());
    }
}
