//! Delivering a forged notification: one HTTP/1.1 POST over plain TCP to a loopback URL, with its
//! answer read by length, chunks or end of stream, within a time limit and a size cap.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use bytes::Bytes;

use super::ForgedNotification;
use crate::error::Error;

/// How long [`Sandbox::deliver`] waits to connect, to send and for each read of the answer.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest answer body [`Sandbox::deliver`] reads.
const MAX_ANSWER: usize = 16 * 1024 * 1024;
/// The longest status or header line [`Sandbox::deliver`] reads.
const MAX_LINE: u64 = 16 * 1024;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
