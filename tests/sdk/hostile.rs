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

// ---------------------------------------------------------------------------------------------
// Endless, dripping and stalled bodies; a 10 GB Content-Length
// ---------------------------------------------------------------------------------------------

fn endless_chunked() -> Hostile {
    Hostile::start(|stream, _| {
        stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")?;
        let mut chunk = b"10000\r\n".to_vec();
        chunk.extend_from_slice(&[b'0'; 0x10000]);
        chunk.extend_from_slice(b"\r\n");
        write_forever(stream, &chunk)
    })
}

#[test]
fn an_endless_body_stops_at_max_bytes() {
    let server = endless_chunked();
    let client = server.client();
    let (received, ended) = within("endless body, max_bytes", move || {
        drain(&client, Options::new().max_bytes(8 * MIB).download_timeout(Duration::from_secs(60)))
    });
    let error = ended.unwrap_err();
    assert_eq!(download_kind(&error), DownloadErrorKind::TooLarge { limit: 8 * MIB, announced: None }, "{error}");
    assert_eq!(error.sent(), Sent::Yes);
    assert!(received <= 8 * MIB, "{received} bytes handed out past the cap");
    assert!(error.to_string().contains("max_bytes"), "{error}");
    server.wait_connection_closed();

    // The same cap from the client builder.
    let client = vector_builder().base_uri(server.base_uri()).max_download_bytes(MIB).build().unwrap();
    let (_, ended) = within("endless body, max_download_bytes", move || drain(&client, Options::new()));
    assert_eq!(download_kind(&ended.unwrap_err()), DownloadErrorKind::TooLarge { limit: MIB, announced: None });
}

#[test]
fn an_endless_body_stops_at_the_deadline() {
    let server = endless_chunked();
    let client = server.client();
    let started = Instant::now();
    let (received, ended) = within("endless body, deadline", move || {
        drain(&client, Options::new().download_timeout(Duration::from_secs(2)))
    });
    let error = ended.unwrap_err();
    assert_eq!(download_kind(&error), DownloadErrorKind::DeadlineExceeded { limit: Duration::from_secs(2) });
    assert!(error.is_timeout() && error.sent() == Sent::Yes, "{error}");
    assert!(started.elapsed() >= Duration::from_secs(2), "ended before its deadline");
    assert!(received > 0);
    server.wait_connection_closed();

    // The deadline from the client builder, and JSON options for the per-call form.
    let client = vector_builder().base_uri(server.base_uri()).download_timeout(Duration::from_secs(1)).build().unwrap();
    let (_, ended) = within("endless body, builder deadline", move || drain(&client, Options::new()));
    assert_eq!(
        download_kind(&ended.unwrap_err()),
        DownloadErrorKind::DeadlineExceeded { limit: Duration::from_secs(1) }
    );
    let client = server.client();
    let (_, ended) = within("endless body, JSON options", move || {
        drain(&client, Options::from(json!({"download_timeout": 1.5, "max_bytes": 1_000_000_000_000u64})))
    });
    assert_eq!(
        download_kind(&ended.unwrap_err()),
        DownloadErrorKind::DeadlineExceeded { limit: Duration::from_millis(1500) }
    );
}

#[test]
fn a_reader_that_stops_reading_still_releases_the_connection_at_the_deadline() {
    let server = endless_chunked();
    let client = server.client();
    let ended = within("paused reader", move || {
        let mut download = client
            .chain("v3/billdownload/file")
            .download(Options::new().query("token", "t").download_timeout(Duration::from_secs(2)))
            .unwrap();
        let mut first = [0u8; 16];
        download.read_exact(&mut first).unwrap();
        // The reader pauses past the deadline while the server keeps sending: the SDK's buffer fills,
        // and the connection is let go at the deadline rather than held for the reader.
        std::thread::sleep(Duration::from_secs(4));
        let mut rest = Vec::new();
        let error = download.read_to_end(&mut rest).unwrap_err();
        let error = Error::from(*error.into_inner().unwrap().downcast::<DownloadError>().unwrap());
        // Reading again after the failure fails again, never a clean end of file.
        let again = download.read(&mut first).unwrap_err();
        (error, again.kind())
    });
    let (error, again) = ended;
    assert_eq!(download_kind(&error), DownloadErrorKind::DeadlineExceeded { limit: Duration::from_secs(2) });
    assert_eq!(again, std::io::ErrorKind::InvalidData);
    server.wait_connection_closed();
}

#[test]
fn a_drip_of_one_byte_a_second_ends_at_the_deadline() {
    let server = Hostile::start(|stream, _| {
        stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")?;
        loop {
            stream.write_all(b"x")?;
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    let client = server.client();
    // The idle timeout (the call's 30 s `timeout`) never fires: a byte arrives every second.
    let (received, ended) =
        within("drip", move || drain(&client, Options::new().download_timeout(Duration::from_secs(3))));
    let error = ended.unwrap_err();
    assert_eq!(download_kind(&error), DownloadErrorKind::DeadlineExceeded { limit: Duration::from_secs(3) }, "{error}");
    assert!(received < 1000);
    server.wait_connection_closed();
}

#[test]
fn a_stalled_body_ends_at_the_idle_timeout() {
    let server = Hostile::start(|stream, _| {
        stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nsome")?;
        wait_for_close(stream)
    });
    let client = server.client();
    let (received, ended) = within("stall", move || drain(&client, Options::new().timeout(Duration::from_secs(1))));
    let error = ended.unwrap_err();
    assert_eq!(download_kind(&error), DownloadErrorKind::Stalled { idle: Duration::from_secs(1) }, "{error}");
    assert!(error.is_timeout() && error.sent() == Sent::Yes);
    assert_eq!(received, 4);
    server.wait_connection_closed();

    // Async: the stream's last item is the error, then it ends.
    let client = server.client();
    let items = within("stall, async", move || {
        futures::executor::block_on(async {
            use futures::StreamExt;
            let options = Options::new().query("token", "t").timeout(Duration::from_secs(1));
            let stream = client.chain("v3/billdownload/file").download_async(options).await.unwrap();
            stream.collect::<Vec<_>>().await
        })
    });
    assert!(matches!(items.last(), Some(Err(_))), "{items:?}");
    assert!(items[..items.len() - 1].iter().all(Result::is_ok));
}

/// Announces 10 GB and streams zeros for as long as the client reads.
fn ten_gigabytes() -> Hostile {
    Hostile::start(|stream, _| {
        stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 10000000000\r\n\r\n")?;
        write_forever(stream, &[0u8; 64 * 1024])
    })
}

#[test]
fn a_ten_gigabyte_content_length_is_refused_before_reading() {
    let server = ten_gigabytes();
    let client = server.client();
    let (received, ended) = within("10 GB, max_bytes", move || drain(&client, Options::new().max_bytes(100 * MIB)));
    let error = ended.unwrap_err();
    assert_eq!(
        download_kind(&error),
        DownloadErrorKind::TooLarge { limit: 100 * MIB, announced: Some(10_000_000_000) },
        "{error}"
    );
    assert_eq!((received, error.sent()), (0, Sent::Yes));
    assert!(error.to_string().contains("10000000000"), "{error}");
    server.wait_connection_closed();

    // A bill has a cap by default; nothing is written.
    let client = server.client();
    let link = BillLink::new(
        format!("{}v3/billdownload/file?token=big", server.base_uri()),
        HashType::Sha1,
        "0".repeat(40),
        false,
    );
    let (written, error) = within("10 GB bill", move || {
        let mut out = Counting::default();
        let error = client.save_bill(&link, (), false, &mut out).unwrap_err();
        (out.0, error)
    });
    assert_eq!(
        download_kind(&error),
        DownloadErrorKind::TooLarge { limit: DEFAULT_MAX_BILL_BYTES, announced: Some(10_000_000_000) }
    );
    assert_eq!(written, 0);

    // Without a cap, the deadline ends it.
    let client = server.client();
    let (received, ended) =
        within("10 GB, no cap", move || drain(&client, Options::new().download_timeout(Duration::from_secs(2))));
    assert_eq!(
        download_kind(&ended.unwrap_err()),
        DownloadErrorKind::DeadlineExceeded { limit: Duration::from_secs(2) }
    );
    assert!(received < 10_000_000_000);
}

#[test]
fn download_limits_are_refused_where_they_do_not_apply() {
    let server = ten_gigabytes();
    let client = server.client();
    for options in [Options::new().max_bytes(1), Options::from(json!({"download_timeout": 5}))] {
        let error = client.chain("v3/pay/transactions/id/1").get(options).unwrap_err();
        assert!(matches!(&error, Error::Input(_)) && error.sent() == Sent::No, "{error}");
        assert!(error.to_string().contains("download"), "{error}");
    }
    for bad in [
        json!({"max_bytes": 0}),
        json!({"max_bytes": -1}),
        json!({"download_timeout": 0}),
        json!({"download_timeout": "1"}),
    ] {
        let error = client.chain("v3/billdownload/file").download(Options::from(bad.clone())).unwrap_err();
        assert!(matches!(error, Error::Input(_)), "{bad}: {error}");
    }
    let error = vector_builder().max_download_bytes(0).build().unwrap_err();
    assert!(matches!(&error, Error::Config(c) if c.setting() == "max_download_bytes"), "{error}");
    let error = vector_builder().download_timeout(Duration::ZERO).build().unwrap_err();
    assert!(matches!(&error, Error::Config(c) if c.setting() == "download_timeout"), "{error}");
}

// ---------------------------------------------------------------------------------------------
// Partial files
// ---------------------------------------------------------------------------------------------

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wechatpay-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn a_failed_download_never_leaves_a_file_that_looks_complete() {
    let server = endless_chunked();
    let dir = temp_dir("partial");
    let target = dir.join("bill.csv");

    let client = server.client();
    let path = target.clone();
    let error = within("save, endless", move || {
        let download = client
            .chain("v3/billdownload/file")
            .download(Options::new().query("token", "t").max_bytes(2 * MIB))
            .unwrap();
        download.save(&path).unwrap_err()
    });
    assert!(matches!(saved_kind(&error), DownloadErrorKind::TooLarge { .. }), "{error}");
    assert_eq!(entries(&dir), Vec::<String>::new(), "neither the file nor its .part may remain");

    // An earlier complete file stays as it was.
    std::fs::write(&target, b"the previous bill").unwrap();
    let client = server.client();
    let link = BillLink::new(
        format!("{}v3/billdownload/file?token=t", server.base_uri()),
        HashType::Sha1,
        "0".repeat(40),
        false,
    );
    let path = target.clone();
    let error = within("save_bill_to, endless", move || {
        client.save_bill_to(&link, Options::new().download_timeout(Duration::from_secs(1)), true, &path).unwrap_err()
    });
    assert!(matches!(download_kind(&error), DownloadErrorKind::DeadlineExceeded { .. }), "{error}");
    assert_eq!(entries(&dir), vec!["bill.csv".to_owned()]);
    assert_eq!(std::fs::read(&target).unwrap(), b"the previous bill");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_complete_download_is_renamed_into_place() {
    let body = "交易时间,公众账号ID\n2024-11-24,wx1\n";
    let server = Hostile::start(move |stream, _| {
        write!(stream, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())?;
        wait_for_close(stream)
    });
    let dir = temp_dir("complete");
    let target = dir.join("bill.csv");
    let client = server.client();
    let link = BillLink::new(
        format!("{}v3/billdownload/file?token=t", server.base_uri()),
        HashType::Sha1,
        sha1_hex(body.as_bytes()),
        false,
    );
    let path = target.clone();
    let written = within("save_bill_to", move || client.save_bill_to(&link, (), false, &path).unwrap());
    assert_eq!(written, body.len() as u64);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), body);
    assert_eq!(entries(&dir), vec!["bill.csv".to_owned()]);

    // The wrong digest: the complete body arrives, but the file is not kept.
    std::fs::remove_file(&target).unwrap();
    let client = server.client();
    let link = BillLink::new(
        format!("{}v3/billdownload/file?token=t", server.base_uri()),
        HashType::Sha1,
        "0".repeat(40),
        false,
    );
    let path = target.clone();
    let error = within("save_bill_to, bad digest", move || client.save_bill_to(&link, (), false, &path).unwrap_err());
    assert!(matches!(download_kind(&error), DownloadErrorKind::DigestMismatch { .. }), "{error}");
    assert_eq!(entries(&dir), Vec::<String>::new());
    let _ = std::fs::remove_dir_all(&dir);
}

fn sha1_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The gzip bomb
// ---------------------------------------------------------------------------------------------

/// A gzip file of `mib` MiB of zeros, in parts that are sent one after another: the gzip header and a
/// first deflate block, one block repeated `mib - 1` times (each 1 MiB of zeros, ~1 KiB, byte-aligned
/// by a sync flush and referring only to earlier zeros, so every repetition decodes the same), the
/// final block, and the trailer (CRC-32 and size). About 2 MB for 2 GiB; never held whole.
struct Bomb {
    head: Vec<u8>,
    block: Vec<u8>,
    repeats: u64,
    tail: Vec<u8>,
}

impl Bomb {
    fn new(mib: u64) -> Bomb {
        use flate2::{Compress, Compression, FlushCompress};
        let zeros = vec![0u8; MIB as usize];
        let mut deflate = Compress::new(Compression::best(), false);
        let mut compress = |input: &[u8], flush| {
            let mut out = Vec::with_capacity(64 * 1024);
            let before = deflate.total_in();
            deflate.compress_vec(input, &mut out, flush).unwrap();
            assert_eq!(deflate.total_in() - before, input.len() as u64, "the whole input is taken at once");
            out
        };
        let first = compress(&zeros, FlushCompress::Sync);
        let block = compress(&zeros, FlushCompress::Sync);
        assert_eq!(compress(&zeros, FlushCompress::Sync), block, "the repeated block is stable");
        let last = compress(&[], FlushCompress::Finish);

        let mut head = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
        head.extend_from_slice(&first);
        // The compressor saw a third copy only to check that the block is stable; the final block refers
        // to nothing before it.
        let repeats = mib - 1;
        let mut tail = last;
        tail.extend_from_slice(&crc32_of_zeros(mib * MIB).to_le_bytes());
        tail.extend_from_slice(&((mib * MIB) as u32).to_le_bytes());
        Bomb { head, block, repeats, tail }
    }

    fn len(&self) -> u64 {
        self.head.len() as u64 + self.block.len() as u64 * self.repeats + self.tail.len() as u64
    }

    fn send(&self, stream: &mut impl Write) -> std::io::Result<()> {
        stream.write_all(&self.head)?;
        for _ in 0..self.repeats {
            stream.write_all(&self.block)?;
        }
        stream.write_all(&self.tail)
    }

    /// A server that answers every request with this bomb as the body.
    fn serve(self) -> Hostile {
        let bomb = Arc::new(self);
        Hostile::start(move |stream, _| {
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/x-gzip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                bomb.len()
            )?;
            bomb.send(stream)?;
            wait_for_close(stream)
        })
    }
}

/// CRC-32 (gzip's) of `n` zero bytes without reading them: zero bytes only multiply the CRC register
/// by x^8 each, so the register is 0xFFFFFFFF · x^(8n) mod P, computed by squaring.
fn crc32_of_zeros(n: u64) -> u32 {
    const POLY: u32 = 0xedb8_8320;
    // a · b mod P, bit-reflected (bit 31 is x^0).
    fn mul(a: u32, mut b: u32) -> u32 {
        let mut product = 0;
        for bit in (0..32).rev() {
            if a & (1 << bit) != 0 {
                product ^= b;
            }
            b = if b & 1 != 0 { (b >> 1) ^ POLY } else { b >> 1 };
        }
        product
    }
    let (mut power, mut x_2k, mut bits) = (1u32 << 31, 1u32 << 30, n * 8); // x^0, x^1, exponent
    while bits > 0 {
        if bits & 1 == 1 {
            power = mul(x_2k, power);
        }
        x_2k = mul(x_2k, x_2k);
        bits >>= 1;
    }
    !mul(power, 0xffff_ffff)
}

#[test]
fn the_bomb_is_a_valid_gzip_file() {
    let mut crc = flate2::Crc::new();
    crc.update(&vec![0u8; 3 * MIB as usize + 5]);
    assert_eq!(crc32_of_zeros(3 * MIB + 5), crc.sum());
    assert_eq!(crc32_of_zeros(0), 0);

    let bomb = Bomb::new(4);
    let mut gz = Vec::new();
    bomb.send(&mut gz).unwrap();
    assert_eq!(gz.len() as u64, bomb.len());
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut plain).unwrap();
    assert_eq!(plain.len() as u64, 4 * MIB);
    assert!(plain.iter().all(|&b| b == 0));
    // 2 GiB of zeros in about 2 MB.
    let big = Bomb::new(2048);
    assert!(big.len() < 4 * MIB, "{}", big.len());
}

fn bomb_link(server: &Hostile) -> BillLink {
    BillLink::new(format!("{}v3/billdownload/file?token=bomb", server.base_uri()), HashType::Sha1, "0".repeat(40), true)
}

#[test]
fn a_gzip_bomb_stops_at_the_size_cap() {
    let server = Bomb::new(2048).serve();
    for gunzip in [true, false] {
        let client = server.client();
        let link = bomb_link(&server);
        let (written, error) = within("gzip bomb", move || {
            let mut out = Counting::default();
            let error = client.save_bill(&link, Options::new().max_bytes(64 * MIB), gunzip, &mut out).unwrap_err();
            (out.0, error)
        });
        assert_eq!(download_kind(&error), DownloadErrorKind::InflatedTooLarge { limit: 64 * MIB }, "{error}");
        assert_eq!(error.sent(), Sent::Yes);
        assert!(error.to_string().contains("gzip bomb"), "{error}");
        // Decompressed, at most the cap was written; kept compressed, at most what arrived.
        assert!(written <= 64 * MIB, "gunzip={gunzip}: {written} bytes written");
        server.wait_connection_closed();
    }

    // Async, into a tokio writer, with the cap from the builder.
    let client = vector_builder().base_uri(server.base_uri()).max_download_bytes(32 * MIB).build().unwrap();
    let link = bomb_link(&server);
    let error = within("gzip bomb, async", move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async { client.save_bill_async(&link, (), true, &mut tokio::io::sink()).await.unwrap_err() })
    });
    assert_eq!(download_kind(&error), DownloadErrorKind::InflatedTooLarge { limit: 32 * MIB }, "{error}");
    server.wait_connection_closed();
}

/// `VmHWM` (peak resident memory) of this process in KiB, where the system reports it.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

const MEASURE_ENV: &str = "WECHATPAY_HOSTILE_MEASURE";

/// The 2 GiB bomb through `save_bill` with gunzip and a 512 MiB cap (a quarter of the bomb, 256 times
/// its compressed size, kept moderate because unoptimized test builds inflate slowly), then `VmHWM`.
/// Run alone in a child process by [`gzip_bomb_peak_memory_stays_under_64_mib`], so nothing else in
/// the test binary raises the peak.
#[test]
#[ignore = "run in a process of its own by gzip_bomb_peak_memory_stays_under_64_mib"]
fn gzip_bomb_in_this_process() {
    let server = Bomb::new(2048).serve();
    let client = server.client();
    let link = bomb_link(&server);
    let before = peak_rss_kib().expect("VmHWM in /proc/self/status");
    let (written, error) = within("gzip bomb, 512 MiB", move || {
        let mut out = Counting::default();
        let error = client.save_bill(&link, Options::new().max_bytes(512 * MIB), true, &mut out).unwrap_err();
        (out.0, error)
    });
    let peak = peak_rss_kib().expect("VmHWM in /proc/self/status");
    println!("VmHWM_KIB={peak} (before the bomb: {before})");
    assert_eq!(download_kind(&error), DownloadErrorKind::InflatedTooLarge { limit: 512 * MIB }, "{error}");
    // Everything up to the cap came out, in small steps.
    assert!(written > 511 * MIB && written <= 512 * MIB, "{written}");
    assert!(peak < 64 * 1024, "peak resident memory {peak} KiB during the gzip bomb");
}

#[cfg(target_os = "linux")]
#[test]
fn gzip_bomb_peak_memory_stays_under_64_mib() {
    if std::env::var_os(MEASURE_ENV).is_some() {
        return; // inside the child: the measurement is gzip_bomb_in_this_process
    }
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["hostile::gzip_bomb_in_this_process", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env(MEASURE_ENV, "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Hang detector for the child: generous, since 512 MiB are inflated in an unoptimized build.
    let deadline = Instant::now() + Duration::from_secs(600);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the gzip bomb child process did not finish within 10 minutes");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "the measuring test did not run:\n{stdout}");
    let peak: u64 = stdout
        .lines()
        .find_map(|l| l.split("VmHWM_KIB=").nth(1))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no VmHWM reported:\n{stdout}"));
    assert!(peak < 64 * 1024, "peak resident memory {peak} KiB");
}

// ---------------------------------------------------------------------------------------------
// Signature headers: duplicated, not UTF-8, a foreign algorithm
// ---------------------------------------------------------------------------------------------

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

fn pinned_client(server: &Hostile) -> Client {
    vector_builder().base_uri(server.base_uri()).clock(|| TIMESTAMP).build().unwrap()
}

fn call(server: &Hostile) -> Result<wechatpay_chain::Response, Error> {
    let client = pinned_client(server);
    within("signed answer", move || client.chain("v3/pay/transactions/id/4200000001").get(()))
}

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

// ---------------------------------------------------------------------------------------------
// Debug never shows bodies or header values
// ---------------------------------------------------------------------------------------------

const SECRET: &str = "oUpF8uMuAJO_SECRET_openid_M2pxb1Q9";

#[test]
fn debug_shows_the_shape_of_answers_never_their_content() {
    static BODY: &str = r#"{"payer":{"openid":"oUpF8uMuAJO_SECRET_openid_M2pxb1Q9"},"amount":{"total":100}}"#;
    let secret_header = |h: &mut Vec<(String, Vec<u8>)>| h.push(("X-Echo".to_owned(), SECRET.as_bytes().to_vec()));

    // A verified answer.
    let response = call(&signed_answer(200, BODY, secret_header)).unwrap();
    let shown = format!("{response:?}");
    assert!(!shown.contains("SECRET") && !shown.contains("payer"), "{shown}");
    for part in
        ["200", "08F78BB106A1B1F0-hostile", "x-echo", "wechatpay-signature", &format!("body_len: {}", BODY.len())]
    {
        assert!(shown.contains(part), "{part} missing from {shown}");
    }
    assert!(std::str::from_utf8(response.body()).unwrap().contains(SECRET), "body() still has the bytes");

    // An answer that fails verification (a foreign signature type): the error and its response.
    let result = call(&signed_answer(200, BODY, move |h| {
        secret_header(h);
        h.push(("Wechatpay-Signature-Type".to_owned(), b"SM2".to_vec()));
    }));
    let error = result.unwrap_err();
    for shown in [format!("{error:?}"), format!("{:?}", error.verification().unwrap()), error.to_string()] {
        assert!(!shown.contains("SECRET") && !shown.contains("payer"), "{shown}");
        assert!(shown.contains("08F78BB106A1B1F0-hostile"), "{shown}");
    }
    assert!(format!("{error:?}").contains("UnsupportedSignatureType"));
    assert!(std::str::from_utf8(error.verification().unwrap().response().body()).unwrap().contains(SECRET));

    // An API error: code and message shown, the detail and body not.
    static ERROR_BODY: &str = r#"{"code":"PARAM_ERROR","message":"参数错误","detail":{"field":"openid","value":"oUpF8uMuAJO_SECRET_openid_M2pxb1Q9"}}"#;
    let error = call(&signed_answer(400, ERROR_BODY, secret_header)).unwrap_err();
    let api = error.api().expect("an API error");
    assert_eq!(api.code(), Some("PARAM_ERROR"));
    for shown in [format!("{error:?}"), format!("{api:?}")] {
        assert!(!shown.contains("SECRET"), "{shown}");
        for part in ["400", "PARAM_ERROR", "参数错误", "08F78BB106A1B1F0-hostile", "x-echo", "body_len"] {
            assert!(shown.contains(part), "{part} missing from {shown}");
        }
    }
    assert!(std::str::from_utf8(api.body()).unwrap().contains(SECRET));
}

// ---------------------------------------------------------------------------------------------
// Key and certificate files that are not key files
// ---------------------------------------------------------------------------------------------

fn config_message(error: Error) -> String {
    match error {
        Error::Config(c) => c.message().to_owned(),
        other => panic!("expected a configuration error, got {other}"),
    }
}

#[cfg(unix)]
#[test]
fn devices_fifos_directories_and_huge_files_are_not_read_as_keys() {
    let dir = temp_dir("keys");
    let fifo = dir.join("apiclient_key.pem");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().map(|s| s.success()).unwrap_or(false);
    let huge = dir.join("huge.pem");
    std::fs::write(&huge, vec![b'A'; 2 * MIB as usize]).unwrap();

    let mut inputs = vec![
        ("/dev/zero".to_owned(), "not a regular file"),
        ("/dev/urandom".to_owned(), "not a regular file"),
        (dir.display().to_string(), "is a directory"),
        (huge.display().to_string(), "larger than 1024 KiB"),
    ];
    if made {
        // Opening a FIFO for reading would block until a writer comes: it must not be opened.
        inputs.push((fifo.display().to_string(), "not a regular file"));
    }
    for (path, expected) in inputs {
        let uri = format!("file://{path}");
        let (key, cert, root, tls) = {
            let uri = uri.clone();
            within("key files", move || {
                let base = || {
                    Client::builder()
                        .mchid(MCHID)
                        .serial(MERCHANT_SERIAL)
                        .cert(PUB_KEY_ID, key_uri("wechatpay_public_key.pem"))
                };
                (
                    base().private_key(uri.clone()).build().unwrap_err(),
                    vector_builder()
                        .public_key("PUB_KEY_ID_0112345678202411240000000000000001", uri.clone())
                        .build()
                        .unwrap_err(),
                    vector_builder().root_certificate(uri.clone()).build().unwrap_err(),
                    vector_builder()
                        .merchant_tls_pem(key_uri("merchant_apiclient_cert.pem"), uri.clone())
                        .build()
                        .unwrap_err(),
                )
            })
        };
        for error in [key, cert, root, tls] {
            let message = config_message(error);
            assert!(message.contains(expected) && message.contains(&path), "{path}: {message}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------------------------
// Multipart boundaries
// ---------------------------------------------------------------------------------------------

#[test]
fn boundaries_with_specials_are_quoted_and_reach_the_server_intact() {
    use wechatpay_chain::Media;
    let png = b"\x89PNG\r\n\x1a\n-hostile".to_vec();
    let client = vector_builder().build().unwrap();
    let media = Media::from_bytes("logo.png", png.clone()).unwrap().boundary("a=b/c?d").unwrap();
    let prepared = client
        .v3()
        .merchant()
        .media()
        .upload()
        .prepare(wechatpay_chain::http::Method::POST, Options::new().media(media))
        .unwrap();
    assert_eq!(prepared.headers()["content-type"], "multipart/form-data; boundary=\"a=b/c?d\"");
    assert!(prepared.body().starts_with(b"--a=b/c?d\r\n"));

    // The sandbox (an independent multipart parser) reads it and accepts the upload.
    let sandbox = wechatpay_sandbox::Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    for boundary in ["a=b", "with space", "plain-token_1.2"] {
        let media = Media::from_bytes("logo.png", png.clone()).unwrap().boundary(boundary).unwrap();
        let answer = client.v3().merchant().media().upload().post(Options::new().media(media)).unwrap();
        assert!(answer.json().unwrap()["media_id"].as_str().is_some_and(|id| !id.is_empty()), "{boundary}");
    }
    for bad in ["", "trailing ", "semi;colon", "quote\"d"] {
        assert!(Media::from_bytes("logo.png", png.clone()).unwrap().boundary(bad).is_err(), "{bad:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Bills through the ordinary path still work
// ---------------------------------------------------------------------------------------------

#[test]
fn a_genuine_gzip_bill_within_the_limits_is_saved() {
    let csv: Vec<u8> =
        (0..20_000).flat_map(|i| format!("2024-11-24 10:00:{i:05},wx2421b1c4370ec43b,{i}\n").into_bytes()).collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&csv).unwrap();
    let gz = Arc::new(gz.finish().unwrap());
    let served = Arc::clone(&gz);
    let server = Hostile::start(move |stream, _| {
        write!(stream, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", served.len())?;
        stream.write_all(&served)?;
        wait_for_close(stream)
    });
    let client = server.client();
    let link = BillLink::new(
        format!("{}v3/billdownload/file?token=t", server.base_uri()),
        HashType::Sha1,
        sha1_hex(&csv),
        true,
    );
    let (plain, packed) = within("genuine bill", move || {
        let mut plain = Vec::new();
        client.save_bill(&link, Options::new().max_bytes(csv.len() as u64), true, &mut plain).unwrap();
        let mut packed = Vec::new();
        client.save_bill(&link, (), false, &mut packed).unwrap();
        assert_eq!(plain, csv);
        // One byte under the decompressed size is over the cap.
        let error = client
            .save_bill(&link, Options::new().max_bytes(csv.len() as u64 - 1), true, &mut Counting::default())
            .unwrap_err();
        assert_eq!(download_kind(&error), DownloadErrorKind::InflatedTooLarge { limit: csv.len() as u64 - 1 });
        (plain.len(), packed)
    });
    assert!(plain > 0);
    assert_eq!(packed, *gz);
}
