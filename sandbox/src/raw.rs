//! Raw HTTP/1.1 exchanges, for tests that send exactly the bytes they want (a header left out, a body
//! changed after signing) and see the sandbox's answer unparsed.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// The status, headers (names lowercase) and body of a raw answer.
pub type RawAnswer = (u16, Vec<(String, String)>, Vec<u8>);

/// The largest answer [`raw_request`] reads.
const MAX_ANSWER: u64 = 16 * 1024 * 1024;

/// Sends one HTTP/1.1 request with exactly these headers (plus `Host`, `Connection: close` and
/// `Content-Length`, which it computes; given ones of those names are skipped) and `body`, and reads the
/// whole answer (at most 16 MiB, 20 s per read).
///
/// ```
/// let sandbox = wechatpay_sandbox::Sandbox::start()?;
/// let (status, _, body) = wechatpay_sandbox::raw_request(sandbox.addr(), "GET", "/v3/certificates", &[], b"")?;
/// assert_eq!(status, 401);
/// assert!(String::from_utf8_lossy(&body).contains("SIGN_ERROR"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn raw_request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> std::io::Result<RawAnswer> {
    let invalid = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    stream.set_write_timeout(Some(Duration::from_secs(20)))?;
    let mut request = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        if ["host", "content-length", "connection"].contains(&name.to_ascii_lowercase().as_str()) {
            continue;
        }
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(body);
    stream.write_all(&bytes)?;
    let mut response = Vec::new();
    // A reset after a complete answer (the `reset` fault, or a server closing early) keeps what arrived.
    let _ = stream.take(MAX_ANSWER).read_to_end(&mut response);
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| invalid("no response head"))?;
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid("no status line"))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Ok((status, headers, response[split + 4..].to_vec()))
}
