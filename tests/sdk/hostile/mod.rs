//! A hostile server on 127.0.0.1, speaking raw HTTP/1.1 over TCP: an endless body, a 1 byte/s drip, a
//! stalled body, a gzip bomb (2 MB of gzip → 2 GiB of zeros, generated as it is sent), a 10 GB
//! `Content-Length`, duplicated, non-UTF-8 and foreign signature headers. The SDK must end every one
//! within its limits, with the limit's own typed error, and let go of the connection.
//!
//! Every call runs under a hang detector with generous slack (a hang fails the test instead of blocking
//! the suite); nothing asserts how fast anything is. Peak memory during the gzip bomb is measured in a
//! child process of its own (`VmHWM`, Linux).
//!
//! Also here: the redacted `Debug` of answers and errors, `file://` key inputs that are not key files,
//! and multipart boundaries that need quoting.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use crate::common::*;
use serde_json::json;
use wechatpay_chain::download::{BillLink, DEFAULT_MAX_BILL_BYTES, HashType};
use wechatpay_chain::error::{DownloadError, DownloadErrorKind, NotificationErrorKind, VerificationFailure};
use wechatpay_chain::{Client, Error, Options, Sent};

/// How long any single scenario may take before it counts as a hang. The limits under test are a few
/// seconds; the slack covers a loaded machine.
const HANG: Duration = Duration::from_secs(120);

// ---------------------------------------------------------------------------------------------
// The hostile server
// ---------------------------------------------------------------------------------------------

/// How one connection is answered, after its request head was read. Returns when the answer is done
/// or the client went away (a write or read error).
type Answer = dyn Fn(&mut TcpStream, &str) -> std::io::Result<()> + Send + Sync;

/// A raw-TCP HTTP/1.1 server: every connection gets `answer`. Reports each finished connection (the
/// client closed it, or the answer ended) on `ended`, with the request head.
struct Hostile {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    ended: Mutex<mpsc::Receiver<String>>,
}

impl Hostile {
    fn start(answer: impl Fn(&mut TcpStream, &str) -> std::io::Result<()> + Send + Sync + 'static) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let stop = Arc::new(AtomicBool::new(false));
        let (ended_tx, ended) = mpsc::channel();
        let answer: Arc<Answer> = Arc::new(answer);
        let stopping = Arc::clone(&stop);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                let (answer, ended_tx) = (Arc::clone(&answer), ended_tx.clone());
                std::thread::spawn(move || {
                    // A client that neither reads nor closes cannot pin this thread forever.
                    let _ = stream.set_write_timeout(Some(Duration::from_secs(60)));
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
                    let head = read_head(&mut stream).unwrap_or_default();
                    let _ = answer(&mut stream, &head);
                    let _ = ended_tx.send(head);
                });
            }
        });
        Hostile { addr, stop, ended: Mutex::new(ended) }
    }

    fn base_uri(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// A client of the vector merchant pointed at this server.
    fn client(&self) -> Client {
        vector_builder().base_uri(self.base_uri()).build().expect("client")
    }

    /// Waits until a connection handler has finished: the SDK let go of the connection (a hostile
    /// answer only ends when its writes or reads fail).
    fn wait_connection_closed(&self) -> String {
        self.ended
            .lock()
            .expect("lock")
            .recv_timeout(HANG)
            .expect("the SDK kept the hostile connection open after giving up on it")
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

/// The request head, up to the blank line (at most 64 KiB).
fn read_head(stream: &mut TcpStream) -> std::io::Result<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 64 * 1024 {
        if stream.read(&mut byte)? == 0 {
            break;
        }
        head.push(byte[0]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

/// Blocks until the client closes the connection (or the read timeout).
fn wait_for_close(stream: &mut TcpStream) -> std::io::Result<()> {
    let mut buf = [0u8; 1024];
    while stream.read(&mut buf)? > 0 {}
    Ok(())
}

/// Writes `block` again and again until the client goes away.
fn write_forever(stream: &mut TcpStream, block: &[u8]) -> std::io::Result<()> {
    loop {
        stream.write_all(block)?;
    }
}

/// Runs `f` on its own thread and returns its result, failing the test if it takes longer than
/// [`HANG`] (the SDK hung) or panics.
fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(HANG) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: no answer within {HANG:?}, the SDK hung"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: the call panicked"),
    }
}

fn download_kind(error: &Error) -> DownloadErrorKind {
    match error {
        Error::Download(d) => d.kind().clone(),
        other => panic!("expected Error::Download, got {other:?}: {other}"),
    }
}

fn saved_kind(error: &DownloadError) -> DownloadErrorKind {
    error.kind().clone()
}

/// Reads a whole download (blocking), returning what arrived and how it ended.
fn drain(client: &Client, options: Options) -> (u64, Result<(), Error>) {
    let mut download = match client.chain("v3/billdownload/file").download(options.query("token", "t")) {
        Ok(download) => download,
        Err(e) => return (0, Err(e)),
    };
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match download.read(&mut buf) {
            Ok(0) => return (download.received(), Ok(())),
            Ok(_) => {}
            Err(e) => {
                let inner = e.into_inner().expect("an SDK error").downcast::<DownloadError>().expect("an SDK error");
                return (download.received(), Err(Error::from(*inner)));
            }
        }
    }
}

/// A `Write` that counts and drops.
#[derive(Default)]
struct Counting(u64);

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const MIB: u64 = 1024 * 1024;

/// A server whose answer is a chunked body that never ends.
fn endless_chunked() -> Hostile {
    Hostile::start(|stream, _| {
        stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")?;
        let mut chunk = b"10000\r\n".to_vec();
        chunk.extend_from_slice(&[b'0'; 0x10000]);
        chunk.extend_from_slice(b"\r\n");
        write_forever(stream, &chunk)
    })
}

/// A fresh, empty directory for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wechatpay-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A bill link to `server` with download `token`, the expected SHA-1 (hex) and whether the bill is
/// gzipped.
fn bill_link(server: &Hostile, token: &str, sha1: String, gzip: bool) -> BillLink {
    BillLink::new(format!("{}v3/billdownload/file?token={token}", server.base_uri()), HashType::Sha1, sha1, gzip)
}

/// The clock of the signed answers and of the clients that check them.
const TIMESTAMP: i64 = 1_795_562_040;

/// A server that answers with `status`, `body` and the signature headers of `body` (signed with the
/// vector WeChat Pay public key), changed by `edit`, written as raw bytes.
fn signed_answer(
    status: u16,
    body: &'static str,
    edit: impl Fn(&mut Vec<(String, Vec<u8>)>) + Send + Sync + 'static,
) -> Hostile {
    Hostile::start(move |stream, _| {
        let mut headers: Vec<(String, Vec<u8>)> =
            wechatpay_signature_headers("wechatpay_pubkey_private_key.pem", PUB_KEY_ID, TIMESTAMP, body.as_bytes())
                .into_iter()
                .map(|(n, v)| (n, v.into_bytes()))
                .collect();
        headers.push(("Request-ID".to_owned(), b"08F78BB106A1B1F0-hostile".to_vec()));
        headers.push(("Content-Type".to_owned(), b"application/json".to_vec()));
        edit(&mut headers);
        let mut out = format!("HTTP/1.1 {status} X\r\n").into_bytes();
        for (name, value) in &headers {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("Content-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).as_bytes());
        stream.write_all(&out)?;
        wait_for_close(stream)
    })
}

/// A client of the vector merchant for `server`, its clock pinned to [`TIMESTAMP`].
fn pinned_client(server: &Hostile) -> Client {
    vector_builder().base_uri(server.base_uri()).clock(|| TIMESTAMP).build().unwrap()
}

/// One blocking call to `server` (under the hang detector).
fn call(server: &Hostile) -> Result<wechatpay_chain::Response, Error> {
    let client = pinned_client(server);
    within("signed answer", move || client.chain("v3/pay/transactions/id/4200000001").get(()))
}

mod bills;
mod bodies;
mod boundaries;
mod gzip_bomb;
mod key_files;
mod partial_files;
mod redaction;
mod signature_headers;
