//! Test support: golden vectors, the vector keys, a canned-response server and a raw HTTP sender.
//! The two network helpers use plain `std::net` so they share nothing with the SDK's transport.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use wechatpay_chain::{Client, ClientBuilder};

pub const MCHID: &str = "1900000001";
pub const MERCHANT_SERIAL: &str = "1946DD7BDF37823B2192F1DB21574B1D465D9A21";
pub const PLATFORM_SERIAL: &str = "7B9F2C366F58149F90CC94CDEEAD667C4816FFDC";
pub const PUB_KEY_ID: &str = "PUB_KEY_ID_0112345678202411240000000000000000";
/// The vectors' APIv2 key (`keys/secrets.json`), a throwaway.
pub const APIV2_KEY: &str = "GcOWSRrXHahnYIF9qpp0u4AMvS9IKGu1";

pub fn data(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(path)
}

pub fn key_uri(name: &str) -> String {
    format!("file://{}", data(&format!("keys/{name}")).display())
}

pub fn key_text(name: &str) -> String {
    std::fs::read_to_string(data(&format!("keys/{name}"))).expect("vector key file")
}

/// The cases of one vector file as a fixture: always the repository's copy (`tests/data/vectors`), for
/// tests that borrow a captured value. Vector runs use [`rules::vector_cases`], which can be pointed
/// at another capture.
pub fn cases(file: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(data(&format!("vectors/{file}"))).expect("vector file");
    let doc: Value = serde_json::from_str(&text).expect("vector JSON");
    doc["cases"].as_array().expect("cases").clone()
}

pub mod rules;

/// The SHA-1 of `bytes`, in lower-case hex (as bill links carry it).
pub fn sha1_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A builder configured like the SDK instance behind the vectors.
pub fn vector_builder() -> ClientBuilder {
    Client::builder()
        .mchid(MCHID)
        .serial(MERCHANT_SERIAL)
        .private_key(key_uri("merchant_apiclient_key.pem"))
        .cert(PLATFORM_SERIAL, key_uri("platform_cert.pem"))
        .cert(PUB_KEY_ID, key_uri("wechatpay_public_key.pem"))
        .apiv2_key(APIV2_KEY)
}

/// The `Wechatpay-*` signature headers WeChat Pay would send with `body`, signed with the vector key in
/// `key_file` under `id` at `timestamp`.
pub fn wechatpay_signature_headers(key_file: &str, id: &str, timestamp: i64, body: &[u8]) -> Vec<(String, String)> {
    use base64::Engine;
    let key = wechatpay_chain::crypto::PrivateKey::load(&key_uri(key_file)).expect("vector key");
    let nonce = "vectorNonce0123456789abcdefABCDE";
    let mut message = format!("{timestamp}\n{nonce}\n").into_bytes();
    message.extend_from_slice(body);
    message.push(b'\n');
    let signature = base64::engine::general_purpose::STANDARD.encode(key.sign_sha256(&message).expect("sign"));
    vec![
        ("Wechatpay-Timestamp".to_owned(), timestamp.to_string()),
        ("Wechatpay-Nonce".to_owned(), nonce.to_owned()),
        ("Wechatpay-Serial".to_owned(), id.to_owned()),
        ("Wechatpay-Signature".to_owned(), signature),
    ]
}

/// Reads one HTTP/1.1 request (as a notification endpoint receives it): the request line, the headers
/// and the body (by `Content-Length`).
pub fn read_http_request(stream: &TcpStream) -> (String, wechatpay_chain::http::HeaderMap, Vec<u8>) {
    use wechatpay_chain::http::{HeaderName, HeaderValue};
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).expect("request line");
    let (mut headers, mut length) = (wechatpay_chain::http::HeaderMap::new(), 0);
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line).expect("header line");
        let Some((name, value)) = line.trim_end().split_once(':') else { break };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = value.parse().expect("content-length");
        }
        headers.append(HeaderName::try_from(name).expect("name"), HeaderValue::try_from(value).expect("value"));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).expect("body");
    (request_line.trim_end().to_owned(), headers, body)
}

/// A canned HTTP response.
#[derive(Clone, Debug)]
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// A one-response-per-connection HTTP/1.1 server that answers every request with `Canned` and records
/// the request heads it saw.
pub struct Replay {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl Replay {
    pub fn start(canned: Canned) -> Replay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (stop2, seen2) = (Arc::clone(&stop), Arc::clone(&seen));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let _ = serve_one(stream, &canned, &seen2);
            }
        });
        Replay { addr, seen, stop }
    }

    pub fn base_uri(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

impl Drop for Replay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

/// Reads one HTTP/1.1 request from `reader`: its head (request line and headers, up to the blank line)
/// and its body by `Content-Length`. `None` when the stream ends before a request starts.
pub fn read_request_from(reader: &mut impl BufRead) -> std::io::Result<Option<(String, Vec<u8>)>> {
    let mut head = String::new();
    let mut content_length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            if head.is_empty() {
                return Ok(None);
            }
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            content_length = value.trim().parse().unwrap_or(0);
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0u8; content_length];
    reader.read_exact(&mut body)?;
    Ok(Some((head, body)))
}

fn serve_one(stream: TcpStream, canned: &Canned, seen: &Mutex<Vec<String>>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let (head, _body) = read_request_from(&mut reader)?.unwrap_or_default();
    seen.lock().expect("lock").push(head);
    let mut out = Vec::new();
    write!(out, "HTTP/1.1 {} X\r\n", canned.status)?;
    for (name, value) in &canned.headers {
        if name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("connection") {
            continue;
        }
        write!(out, "{name}: {value}\r\n")?;
    }
    write!(out, "Content-Length: {}\r\nConnection: close\r\n\r\n", canned.body.len())?;
    out.extend_from_slice(&canned.body);
    let mut stream = stream;
    stream.write_all(&out)?;
    stream.flush()?;
    Ok(())
}

/// Sends one raw HTTP/1.1 request and returns the status, headers and body of the answer.
pub fn raw_request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    wechatpay_sandbox::raw_request(addr, method, target, headers, body).expect("raw request")
}

/// The payment tests' shared fixture: a sandbox, a client for it, and the ids WeChat Pay's examples use.
pub mod pay {
    use wechatpay_chain::Client;
    use wechatpay_sandbox::Sandbox;

    pub const MCHID: &str = "1900000001";
    pub const APPID: &str = "wxd678efh567hg6787";
    pub const OPENID: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
    pub const HTTPS_NOTIFY: &str = "https://www.weixin.qq.com/wxpay/pay.php";

    pub fn setup() -> (Sandbox, Client) {
        let sandbox = Sandbox::start().expect("sandbox");
        let client = sandbox.client_builder().build().expect("client");
        (sandbox, client)
    }
}
