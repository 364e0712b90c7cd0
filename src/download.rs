//! Streaming downloads of WeChat Pay's files: bills, transfer receipts, complaint images, fapiao files,
//! overseas statements. The body is never buffered whole: it arrives in chunks, as a blocking
//! [`Read`](std::io::Read) or an async [`Stream`], with an optional digest check that
//! fails the read at the end when the bytes do not match. A broken connection is an error, never an
//! early end of file: partial data is never presented as complete.
//!
//! ```
//! use std::io::Read;
//! use serde_json::json;
//! use wechatpay_chain::download::HashType;
//! use wechatpay_chain::sandbox::Sandbox;
//!
//! let sandbox = Sandbox::start()?;
//! let client = sandbox.client_builder().build()?;
//! let bill: serde_json::Value = client.chain("v3/bill/tradebill").get(json!({"query": {"bill_date": "2024-11-24"}}))?.json()?;
//! let mut file = client
//!     .chain(bill["download_url"].as_str().unwrap())
//!     .download(())?
//!     .expect_digest(HashType::parse(bill["hash_type"].as_str().unwrap())?, bill["hash_value"].as_str().unwrap());
//! let mut csv = String::new();
//! file.read_to_string(&mut csv)?; // fails, at the end, if the digest does not match
//! assert!(csv.starts_with("交易时间,"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Limits
//!
//! A download is bounded in time and size, so a broken or hostile server cannot hang the caller,
//! exhaust memory or fill a disk. Each limit ends the download with its own
//! [`DownloadErrorKind`] in an [`Error::Download`] (`sent()` is [`Sent::Yes`]):
//!
//! | limit | default | client builder / per call | error |
//! | --- | --- | --- | --- |
//! | the whole download, from the call to the last byte | [`DEFAULT_DOWNLOAD_TIMEOUT`] (10 min) | [`download_timeout`](crate::ClientBuilder::download_timeout) / `download_timeout` option | [`DeadlineExceeded`](DownloadErrorKind::DeadlineExceeded) |
//! | each wait for more data (idle timeout) | the call's timeout (30 s) | [`timeout`](crate::ClientBuilder::timeout) / `timeout` option | [`Stalled`](DownloadErrorKind::Stalled) |
//! | bytes received | none; bills [`DEFAULT_MAX_BILL_BYTES`] (4 GiB) | [`max_download_bytes`](crate::ClientBuilder::max_download_bytes) / `max_bytes` option | [`TooLarge`](DownloadErrorKind::TooLarge) |
//! | a gzip bill's decompressed bytes | the same cap | the same | [`InflatedTooLarge`](DownloadErrorKind::InflatedTooLarge) |
//!
//! A `Content-Length` above the cap is refused before the first byte is read. A reader that stops
//! reading does not hold the connection past the deadline. Partial data is never presented as complete:
//! every limit, a broken connection or a digest mismatch is an error, and
//! [`Download::save`] / [`Client::save_bill_to`](crate::Client::save_bill_to) write to `<path>.part`
//! and rename it only when the file is complete and checked.
//!
//! ```
//! use std::time::Duration;
//! use serde_json::json;
//! use wechatpay_chain::error::DownloadErrorKind;
//! use wechatpay_chain::{Error, Options};
//! # let sandbox = wechatpay_chain::sandbox::Sandbox::start()?;
//! # let client = sandbox.client_builder().build()?;
//! let bill: serde_json::Value = client.chain("v3/bill/tradebill").get(json!({"query": {"bill_date": "2024-11-24"}}))?.json()?;
//! let options = Options::new().max_bytes(100).download_timeout(Duration::from_secs(60));
//! match client.chain(bill["download_url"].as_str().unwrap_or_default()).download(options) {
//!     Err(Error::Download(e)) => assert!(matches!(e.kind(), DownloadErrorKind::TooLarge { limit: 100, announced: Some(_) })),
//!     other => panic!("{other:?}"),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::Stream;
use http::{HeaderMap, StatusCode};
use http_body_util::BodyExt;
use ring::digest;

use crate::error::{DownloadError, DownloadErrorKind, Error, InputErrorKind, Sent, TransportError};
use crate::response::Verification;

/// Chunks buffered between the connection and the reader: memory stays flat whatever the file size.
const CHANNEL_CHUNKS: usize = 8;

/// Default total time limit of one download, from the call to the last byte (10 minutes): the
/// client's [`download_timeout`](crate::ClientBuilder::download_timeout), per call the
/// `download_timeout` option. The idle timeout (the longest wait for the next piece of data) is the
/// call's `timeout`, 30 s by default.
pub const DEFAULT_DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// Default size cap of a bill (4 GiB) in [`save_bill`](crate::Client::save_bill),
/// [`download_bill`](crate::Client::download_bill) and their variants, when neither the call's
/// `max_bytes` nor the client's [`max_download_bytes`](crate::ClientBuilder::max_download_bytes) sets
/// one. It bounds both the bytes received and, for gzip bills, the decompressed bytes; a day's bill of
/// the largest merchants is far below it.
pub const DEFAULT_MAX_BILL_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// The longest `download_timeout` accepted (one day).
const MAX_DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(86_400);

/// The download settings of one call (`download_timeout`, `max_bytes` options).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct DownloadOptions {
    /// Total time limit of the download.
    pub(crate) timeout: Option<Duration>,
    /// Largest body accepted.
    pub(crate) max_bytes: Option<u64>,
    /// The cap used when neither the call nor the client sets one (bills: [`DEFAULT_MAX_BILL_BYTES`]).
    pub(crate) fallback_max_bytes: Option<u64>,
}

impl DownloadOptions {
    /// Whether the caller set anything (which only downloads accept).
    pub(crate) fn is_set(&self) -> bool {
        self.timeout.is_some() || self.max_bytes.is_some()
    }

    pub(crate) fn set_timeout(&mut self, timeout: Duration) -> Result<(), String> {
        if timeout.is_zero() || timeout > MAX_DOWNLOAD_TIMEOUT {
            return Err(format!("`download_timeout` must be more than zero and at most one day, not {timeout:?}"));
        }
        self.timeout = Some(timeout);
        Ok(())
    }

    pub(crate) fn set_max_bytes(&mut self, bytes: u64) -> Result<(), String> {
        if bytes == 0 {
            return Err("`max_bytes` must be greater than zero".to_owned());
        }
        self.max_bytes = Some(bytes);
        Ok(())
    }

    /// The `download_timeout` (seconds) and `max_bytes` keys of JSON options; `null` leaves them unset.
    pub(crate) fn set_json(&mut self, key: &str, value: &serde_json::Value) -> Result<(), String> {
        if value.is_null() {
            return Ok(());
        }
        match key {
            "download_timeout" => match value.as_f64() {
                Some(secs) if secs.is_finite() && secs > 0.0 && secs <= MAX_DOWNLOAD_TIMEOUT.as_secs_f64() => {
                    self.set_timeout(Duration::from_secs_f64(secs))
                }
                _ => Err(format!("`download_timeout` must be a number of seconds between 0 and 86400, not {value}")),
            },
            _ => match value.as_u64() {
                Some(bytes) if bytes > 0 => self.set_max_bytes(bytes),
                _ => Err(format!("`max_bytes` must be a whole number of bytes greater than zero, not {value}")),
            },
        }
    }
}

/// The client's download defaults ([`ClientBuilder::download_timeout`](crate::ClientBuilder::download_timeout),
/// [`max_download_bytes`](crate::ClientBuilder::max_download_bytes)).
#[derive(Clone, Copy, Debug)]
pub(crate) struct DownloadDefaults {
    pub(crate) timeout: Duration,
    pub(crate) max_bytes: Option<u64>,
}

impl DownloadDefaults {
    /// The limits of a download that starts at `started` with the call's idle timeout `idle`.
    pub(crate) fn limits(&self, started: Instant, idle: Duration, call: DownloadOptions) -> Limits {
        let total = call.timeout.unwrap_or(self.timeout);
        Limits {
            deadline: started + total,
            total,
            idle,
            max_bytes: call.max_bytes.or(self.max_bytes).or(call.fallback_max_bytes),
        }
    }
}

/// The limits one download runs under.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// When the whole download must have ended.
    pub(crate) deadline: Instant,
    /// The total time limit `deadline` was computed from (for the error).
    pub(crate) total: Duration,
    /// The longest wait for the next piece of data.
    pub(crate) idle: Duration,
    /// The largest body accepted.
    pub(crate) max_bytes: Option<u64>,
}

fn download_error(kind: DownloadErrorKind) -> Error {
    Error::Download(DownloadError::new(kind))
}

/// A digest algorithm WeChat Pay names in `hash_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HashType {
    /// `SHA1` (bills, statements).
    Sha1,
    /// `SHA256`.
    Sha256,
}

impl HashType {
    /// Parses WeChat Pay's `hash_type` (`SHA1`, `SHA256`, case-insensitive).
    pub fn parse(name: &str) -> Result<HashType, Error> {
        match name.to_ascii_uppercase().as_str() {
            "SHA1" | "SHA-1" => Ok(HashType::Sha1),
            "SHA256" | "SHA-256" => Ok(HashType::Sha256),
            _ => Err(Error::input(
                InputErrorKind::InvalidOption,
                format!("hash_type `{name}` is not supported (SHA1 and SHA256 are)"),
            )),
        }
    }

    fn algorithm(self) -> &'static digest::Algorithm {
        match self {
            HashType::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
            HashType::Sha256 => &digest::SHA256,
        }
    }

    fn name(self) -> &'static str {
        match self {
            HashType::Sha1 => "SHA1",
            HashType::Sha256 => "SHA256",
        }
    }
}

/// A running digest and the value it must reach.
pub(crate) struct DigestCheck {
    hash_type: HashType,
    expected: String,
    context: digest::Context,
}

impl DigestCheck {
    pub(crate) fn new(hash_type: HashType, expected: &str) -> Self {
        DigestCheck {
            hash_type,
            expected: expected.trim().to_ascii_lowercase(),
            context: digest::Context::new(hash_type.algorithm()),
        }
    }

    pub(crate) fn update(&mut self, bytes: &[u8]) {
        self.context.update(bytes);
    }

    /// Compares at the end; the error names both values.
    pub(crate) fn finish(self) -> Result<(), Error> {
        let actual: String = self.context.finish().as_ref().iter().map(|b| format!("{b:02x}")).collect();
        if actual == self.expected {
            Ok(())
        } else {
            Err(download_error(DownloadErrorKind::DigestMismatch {
                hash_type: self.hash_type.name(),
                expected: self.expected,
                actual,
            }))
        }
    }
}

/// What the connection task hands the reader.
enum Item {
    Data(Bytes),
    /// The body ended cleanly. A channel that closes without it means the download was cut off.
    End,
    Failed(Error),
}

/// Where a [`Download`] stands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    /// Ended cleanly (and the digest, if any, matched).
    Ended,
    /// Failed; every further read fails too.
    Failed,
}

/// An open download: status and headers are known, the body is read as it arrives. Read it with
/// [`std::io::Read`] (blocking; any thread except the SDK's own) or as a [`futures::Stream`] of
/// `Result<Bytes, Error>` (any executor), or [`save`](Download::save) it to a file. Dropping it closes
/// the connection.
///
/// Every download is bounded: the whole transfer by the deadline (`download_timeout`), each wait for
/// more data by the idle timeout (the call's `timeout`), and the size by `max_bytes` when set (a
/// `Content-Length` above it is refused before the first byte). Each limit ends the download with its
/// own [`DownloadErrorKind`]; a connection that closes early is an error too, never an end of file.
pub struct Download {
    status: StatusCode,
    headers: HeaderMap,
    verification: Verification,
    chunks: tokio::sync::mpsc::Receiver<Item>,
    current: Bytes,
    check: Option<DigestCheck>,
    state: State,
    received: u64,
    limits: Limits,
}

impl fmt::Debug for Download {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Download")
            .field("status", &self.status)
            .field("verification", &self.verification)
            .field("received", &self.received)
            .field("max_bytes", &self.limits.max_bytes)
            .finish_non_exhaustive()
    }
}

/// The `Content-Length` of an answer, when it has exactly one that is a number.
fn content_length(headers: &HeaderMap) -> Option<u64> {
    let mut values = headers.get_all(http::header::CONTENT_LENGTH).iter();
    let first = values.next()?;
    if values.next().is_some() {
        return None;
    }
    first.to_str().ok()?.trim().parse().ok()
}

impl Download {
    /// Starts pumping `body` on the SDK runtime into a bounded channel, within `limits`. A
    /// `Content-Length` above `max_bytes` is refused here, before any of the body is read.
    pub(crate) fn start(
        response: http::Response<hyper::body::Incoming>,
        verification: Verification,
        check: Option<DigestCheck>,
        limits: Limits,
    ) -> Result<Download, Error> {
        if let (Some(limit), Some(announced)) = (limits.max_bytes, content_length(response.headers())) {
            if announced > limit {
                return Err(download_error(DownloadErrorKind::TooLarge { limit, announced: Some(announced) }));
            }
        }
        let (parts, body) = response.into_parts();
        let (sender, chunks) = tokio::sync::mpsc::channel(CHANNEL_CHUNKS);
        crate::transport::spawn_detached(pump(body, sender, limits))?;
        Ok(Download {
            status: parts.status,
            headers: parts.headers,
            verification,
            chunks,
            current: Bytes::new(),
            check,
            state: State::Open,
            received: 0,
            limits,
        })
    }

    /// Checks the bytes against `hash_value` (hex) with `hash_type` when the body ends: the last read
    /// fails with [`Error::Download`] on a mismatch. For the statements the check from
    /// `Wechatpay-Statement-Sha1` is already set.
    pub fn expect_digest(mut self, hash_type: HashType, hash_value: &str) -> Download {
        self.check = Some(DigestCheck::new(hash_type, hash_value));
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The answer's headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// How the answer was trusted: [`Verification::UnsignedDownload`] for file downloads, or the key
    /// that signed a statement's digest.
    pub fn verification(&self) -> &Verification {
        &self.verification
    }

    /// Bytes received so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// The size cap this download runs under (`max_bytes`), if any.
    pub fn max_bytes(&self) -> Option<u64> {
        self.limits.max_bytes
    }

    /// The total time limit this download runs under (`download_timeout`), counted from the call.
    pub fn download_timeout(&self) -> Duration {
        self.limits.total
    }

    /// Handles the next item from the channel: `None` means the end was reached and checked.
    fn accept(&mut self, item: Option<Item>) -> Option<Result<Bytes, Error>> {
        let failure = match item {
            Some(Item::Data(bytes)) => {
                self.received += bytes.len() as u64;
                if let Some(check) = &mut self.check {
                    check.update(&bytes);
                }
                return Some(Ok(bytes));
            }
            Some(Item::End) => match self.check.take().map(DigestCheck::finish) {
                Some(Err(e)) => e,
                _ => {
                    self.state = State::Ended;
                    return None;
                }
            },
            Some(Item::Failed(e)) => e,
            // The connection task stopped without reaching the end: it waited for room in the channel
            // past the deadline, or the SDK's runtime is shutting down.
            None if Instant::now() >= self.limits.deadline => {
                download_error(DownloadErrorKind::DeadlineExceeded { limit: self.limits.total })
            }
            None => Error::Transport(TransportError::new(
                Sent::Yes,
                "the download was interrupted (the SDK's I/O runtime stopped?); the file is incomplete",
                None,
            )),
        };
        self.fail();
        Some(Err(failure))
    }

    /// Marks the download failed and lets the connection go.
    fn fail(&mut self) {
        self.state = State::Failed;
        self.current = Bytes::new();
        self.chunks.close();
    }

    /// What a read after a failure returns.
    fn failed_before() -> Error {
        Error::Transport(TransportError::new(
            Sent::Yes,
            "the download failed earlier; what was read is incomplete and must be discarded",
            None,
        ))
    }

    /// Copies the whole body into `writer` (blocking) and returns the byte count. On error the writer
    /// holds partial data that must be discarded; [`save`](Download::save) does that for files.
    pub fn copy_to(&mut self, writer: &mut impl Write) -> Result<u64, Error> {
        let mut written = 0u64;
        while let Some(chunk) = self.next_blocking()? {
            writer.write_all(&chunk).map_err(|e| write_error(&e))?;
            written += chunk.len() as u64;
        }
        Ok(written)
    }

    /// Saves the body to the file at `path` (blocking) and returns the byte count. The bytes go to
    /// `<path>.part`, which is flushed to disk and renamed to `path` only once the download is complete
    /// (and its digest matched, when one is expected); on any error it is removed, so `path` is never
    /// a partial file (an existing file there stays as it was).
    pub fn save(mut self, path: impl AsRef<Path>) -> Result<u64, Error> {
        save_atomically(path.as_ref(), |file| self.copy_to(file))
    }

    /// The next chunk, blocking; `Ok(None)` at the (checked) end.
    pub(crate) fn next_blocking(&mut self) -> Result<Option<Bytes>, Error> {
        if !self.current.is_empty() {
            return Ok(Some(std::mem::take(&mut self.current)));
        }
        match self.state {
            State::Open => {}
            State::Ended => return Ok(None),
            State::Failed => return Err(Self::failed_before()),
        }
        crate::transport::refuse_on_io_thread("reading a download")?;
        let item = futures::executor::block_on(self.chunks.recv());
        self.accept(item).transpose()
    }
}

/// Reads `body` into `sender` until it ends, fails, breaks a limit, or the reader goes away (which
/// closes the connection).
async fn pump(mut body: hyper::body::Incoming, sender: tokio::sync::mpsc::Sender<Item>, limits: Limits) {
    let mut received = 0u64;
    loop {
        let left = limits.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            let _ = sender
                .try_send(Item::Failed(download_error(DownloadErrorKind::DeadlineExceeded { limit: limits.total })));
            return;
        }
        let stall_first = limits.idle < left;
        // A dropped reader closes the channel: stop at once, which closes the connection.
        let closed = std::pin::pin!(sender.closed());
        let frame = std::pin::pin!(tokio::time::timeout(left.min(limits.idle), body.frame()));
        let next = match futures::future::select(closed, frame).await {
            futures::future::Either::Left(_) => return,
            futures::future::Either::Right((next, _)) => next,
        };
        let item = match next {
            Err(_) if stall_first => Item::Failed(download_error(DownloadErrorKind::Stalled { idle: limits.idle })),
            Err(_) => Item::Failed(download_error(DownloadErrorKind::DeadlineExceeded { limit: limits.total })),
            Ok(None) => Item::End,
            Ok(Some(Err(e))) => Item::Failed(Error::Transport(TransportError::new(
                Sent::Yes,
                "the connection broke during the download; the file is incomplete",
                Some(Box::new(e)),
            ))),
            Ok(Some(Ok(frame))) => match frame.into_data() {
                Ok(data) if data.is_empty() => continue,
                Ok(data) => {
                    received = received.saturating_add(data.len() as u64);
                    match limits.max_bytes {
                        Some(limit) if received > limit => {
                            Item::Failed(download_error(DownloadErrorKind::TooLarge { limit, announced: None }))
                        }
                        _ => Item::Data(data),
                    }
                }
                Err(_) => continue, // trailers
            },
        };
        let last = !matches!(item, Item::Data(_));
        // Wait for room in the channel, but not past the deadline: a reader that stops reading does not
        // hold the connection open forever (it then learns of the deadline from the closed channel).
        match tokio::time::timeout_at(limits.deadline.into(), sender.send(item)).await {
            Ok(Ok(())) if !last => {}
            _ => return,
        }
    }
}

pub(crate) fn write_error(e: &std::io::Error) -> Error {
    download_error(DownloadErrorKind::Write(e.to_string()))
}

/// `<path>.part`, next to `path`.
fn part_path(path: &Path) -> Result<PathBuf, Error> {
    let name = path.file_name().ok_or_else(|| {
        download_error(DownloadErrorKind::Write(format!("`{}` does not name a file", path.display())))
    })?;
    let mut part = name.to_os_string();
    part.push(".part");
    Ok(path.with_file_name(part))
}

/// Runs `write` into `<path>.part` and renames it to `path` once `write` and the flush to disk
/// succeeded; removes it otherwise.
fn save_atomically(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> Result<u64, Error>,
) -> Result<u64, Error> {
    let part = part_path(path)?;
    let failed = |what: &str, e: &std::io::Error| {
        download_error(DownloadErrorKind::Write(format!("{what} `{}`: {e}", part.display())))
    };
    let file = std::fs::File::create(&part).map_err(|e| failed("cannot create", &e))?;
    let mut writer = std::io::BufWriter::new(file);
    let written = write(&mut writer).and_then(|n| {
        let file = writer.into_inner().map_err(|e| failed("cannot write", e.error()))?;
        file.sync_all().map_err(|e| failed("cannot flush", &e))?;
        Ok(n)
    });
    let renamed = written.and_then(|n| {
        std::fs::rename(&part, path).map(|()| n).map_err(|e| {
            download_error(DownloadErrorKind::Write(format!(
                "cannot rename `{}` to `{}`: {e}",
                part.display(),
                path.display()
            )))
        })
    });
    if renamed.is_err() {
        let _ = std::fs::remove_file(&part);
    }
    renamed
}

impl std::io::Read for Download {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.current.is_empty() {
            match self.next_blocking() {
                Ok(Some(chunk)) => self.current = chunk,
                Ok(None) => return Ok(0),
                Err(e) => return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}

impl Stream for Download {
    type Item = Result<Bytes, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if !self.current.is_empty() {
            return Poll::Ready(Some(Ok(std::mem::take(&mut self.current))));
        }
        match self.state {
            State::Open => {}
            State::Ended => return Poll::Ready(None),
            // The error was the stream's last item.
            State::Failed => return Poll::Ready(None),
        }
        let item = std::task::ready!(self.chunks.poll_recv(cx));
        Poll::Ready(self.accept(item))
    }
}

/// Which bill to ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Bill {
    /// 交易账单, `GET v3/bill/tradebill`.
    Trade,
    /// 资金账单, `GET v3/bill/fundflowbill`.
    FundFlow,
}

impl Bill {
    fn path(self) -> &'static str {
        match self {
            Bill::Trade => "v3/bill/tradebill",
            Bill::FundFlow => "v3/bill/fundflowbill",
        }
    }
}

/// What `v3/bill/tradebill` / `fundflowbill` answers: where to download the bill and its digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BillLink {
    /// The download URL (valid for a short time).
    pub download_url: String,
    /// The digest algorithm.
    pub hash_type: HashType,
    /// The digest (hex) of the **original** bill: for `tar_type=GZIP`, of the decompressed content, as
    /// WeChat Pay documents ("原始账单（gzip需要解压缩）的摘要值").
    pub hash_value: String,
    /// Whether the file is gzip (`tar_type=GZIP` was asked for).
    pub gzip: bool,
}

/// Counts, hashes and (when the bill is written decompressed) collects what the gzip decoder
/// produces; refuses to go past the size cap, which stops the decoder at once.
struct Inflated {
    check: DigestCheck,
    /// Decompressed bytes waiting to be written (at most the decoder's 32 KiB buffer per step).
    out: Vec<u8>,
    keep: bool,
    produced: u64,
    limit: Option<u64>,
    over: bool,
}

impl Write for Inflated {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.produced = self.produced.saturating_add(buf.len() as u64);
        if self.limit.is_some_and(|limit| self.produced > limit) {
            self.over = true;
            return Err(std::io::Error::other("the decompressed size cap was reached"));
        }
        self.check.update(buf);
        if self.keep {
            self.out.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Turns downloaded chunks into output while checking the digest of the original bill. A gzip bill is
/// inflated in steps of at most the decoder's buffer (32 KiB), so memory does not depend on the
/// compression ratio, and the decompressed size is capped like the download.
enum BillSink {
    Plain(Box<DigestCheck>),
    Gzip { decoder: Box<flate2::write::GzDecoder<Inflated>>, gunzip: bool },
}

impl BillSink {
    fn new(link: &BillLink, gunzip: bool, limit: Option<u64>) -> Self {
        let check = DigestCheck::new(link.hash_type, &link.hash_value);
        if !link.gzip {
            return BillSink::Plain(Box::new(check));
        }
        let inflated = Inflated { check, out: Vec::new(), keep: gunzip, produced: 0, limit, over: false };
        BillSink::Gzip { decoder: Box::new(flate2::write::GzDecoder::new(inflated)), gunzip }
    }

    fn inflate_error(inflated: &Inflated, e: &std::io::Error) -> Error {
        match inflated.limit {
            Some(limit) if inflated.over => download_error(DownloadErrorKind::InflatedTooLarge { limit }),
            _ => download_error(DownloadErrorKind::Decompress(e.to_string())),
        }
    }

    /// One bounded step over the start of `input`: how many bytes of it were used, and the bytes to
    /// write for them. Call again with the rest until `input` is used up.
    fn step(&mut self, input: &Bytes) -> Result<(usize, Bytes), Error> {
        match self {
            BillSink::Plain(check) => {
                check.update(input);
                Ok((input.len(), input.clone()))
            }
            BillSink::Gzip { decoder, gunzip } => {
                let used = decoder.write(input).map_err(|e| Self::inflate_error(decoder.get_ref(), &e))?;
                if used == 0 && !input.is_empty() {
                    return Err(download_error(DownloadErrorKind::Decompress(
                        "there are bytes after the end of the gzip stream".to_owned(),
                    )));
                }
                let out = std::mem::take(&mut decoder.get_mut().out);
                Ok((used, if *gunzip { Bytes::from(out) } else { input.slice(..used) }))
            }
        }
    }

    /// The last decompressed bytes to write, after checking the whole digest.
    fn finish(self) -> Result<Bytes, Error> {
        match self {
            BillSink::Plain(check) => {
                (*check).finish()?;
                Ok(Bytes::new())
            }
            BillSink::Gzip { mut decoder, .. } => {
                decoder.try_finish().map_err(|e| Self::inflate_error(decoder.get_ref(), &e))?;
                let inflated =
                    decoder.finish().map_err(|e| download_error(DownloadErrorKind::Decompress(e.to_string())))?;
                inflated.check.finish()?;
                Ok(Bytes::from(inflated.out))
            }
        }
    }
}

fn bill_link(bill: Bill, query: &serde_json::Value, answer: &serde_json::Value) -> Result<BillLink, Error> {
    let text = |name: &str| {
        answer.get(name).and_then(serde_json::Value::as_str).map(str::to_owned).ok_or_else(|| {
            Error::Decode(crate::error::DecodeError::new(format!("the {} answer has no `{name}`", bill.path()), None))
        })
    };
    Ok(BillLink {
        download_url: text("download_url")?,
        hash_type: HashType::parse(&text("hash_type")?)?,
        hash_value: text("hash_value")?,
        gzip: query.get("tar_type").and_then(serde_json::Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case("GZIP")),
    })
}

impl crate::Client {
    /// Asks for a bill (`query` as in the API: `bill_date`, `bill_type`/`account_type`, `tar_type`,
    /// `sub_mchid`) and returns its download link and digest.
    pub fn bill_link(&self, bill: Bill, query: serde_json::Value) -> Result<BillLink, Error> {
        let answer: serde_json::Value = self.chain(bill.path()).get(serde_json::json!({"query": &query}))?.json()?;
        bill_link(bill, &query, &answer)
    }

    /// [`bill_link`](crate::Client::bill_link), async.
    pub async fn bill_link_async(&self, bill: Bill, query: serde_json::Value) -> Result<BillLink, Error> {
        let response = self.chain(bill.path()).get_async(serde_json::json!({"query": &query})).await?;
        bill_link(bill, &query, &response.json()?)
    }

    /// Opens the download of a bill: the bill's default size cap applies unless the call or the client
    /// sets one.
    fn open_bill(&self, link: &BillLink, options: crate::Options) -> Result<crate::request::PreparedRequest, Error> {
        let mut prepared = self.chain(&link.download_url).prepare(http::Method::GET, options)?;
        prepared.download.fallback_max_bytes = Some(DEFAULT_MAX_BILL_BYTES);
        Ok(prepared)
    }

    /// Downloads the bill behind `link` into `writer`, streaming, and checks its digest: decompressed
    /// when `gunzip` is set, else exactly as downloaded. `options` go with the download request (extra
    /// headers, `timeout`, `download_timeout`, `max_bytes`). Returns the bytes written.
    ///
    /// The size cap (`max_bytes`, else the client's `max_download_bytes`, else
    /// [`DEFAULT_MAX_BILL_BYTES`]) bounds the bytes received and, for a gzip bill, the decompressed
    /// bytes; gzip is inflated in small steps, so memory stays flat whatever the compression ratio. On
    /// error what was written is incomplete or untrusted and must be discarded:
    /// [`save_bill_to`](crate::Client::save_bill_to) does that for files.
    pub fn save_bill(
        &self,
        link: &BillLink,
        options: impl Into<crate::Options>,
        gunzip: bool,
        writer: &mut impl Write,
    ) -> Result<u64, Error> {
        let prepared = self.open_bill(link, options.into())?;
        let mut download = self.download_blocking(prepared)?;
        let mut sink = BillSink::new(link, gunzip, download.max_bytes());
        let mut written = 0u64;
        let mut put = |bytes: &[u8]| -> Result<(), Error> {
            writer.write_all(bytes).map_err(|e| write_error(&e))?;
            written += bytes.len() as u64;
            Ok(())
        };
        while let Some(mut chunk) = download.next_blocking()? {
            while !chunk.is_empty() {
                let (used, out) = sink.step(&chunk)?;
                put(&out)?;
                chunk = chunk.slice(used..);
            }
        }
        put(&sink.finish()?)?;
        writer.flush().map_err(|e| write_error(&e))?;
        Ok(written)
    }

    /// [`save_bill`](crate::Client::save_bill) into the file at `path` (blocking): written to
    /// `<path>.part`, flushed to disk and renamed to `path` only when the bill is complete and its digest
    /// matched; removed on any error, so `path` never holds a partial or unchecked bill.
    pub fn save_bill_to(
        &self,
        link: &BillLink,
        options: impl Into<crate::Options>,
        gunzip: bool,
        path: impl AsRef<Path>,
    ) -> Result<u64, Error> {
        let options = options.into();
        save_atomically(path.as_ref(), |file| self.save_bill(link, options, gunzip, file))
    }

    /// [`save_bill`](crate::Client::save_bill), async, into a tokio `AsyncWrite`.
    pub async fn save_bill_async<W: tokio::io::AsyncWrite + Unpin>(
        &self,
        link: &BillLink,
        options: impl Into<crate::Options>,
        gunzip: bool,
        writer: &mut W,
    ) -> Result<u64, Error> {
        use futures::StreamExt;
        use tokio::io::AsyncWriteExt;
        let prepared = self.open_bill(link, options.into())?;
        let mut download = self.download_async(prepared).await?;
        let mut sink = BillSink::new(link, gunzip, download.max_bytes());
        let mut written = 0u64;
        while let Some(chunk) = download.next().await {
            let mut chunk = chunk?;
            while !chunk.is_empty() {
                let (used, out) = sink.step(&chunk)?;
                writer.write_all(&out).await.map_err(|e| write_error(&e))?;
                written += out.len() as u64;
                chunk = chunk.slice(used..);
            }
        }
        let tail = sink.finish()?;
        writer.write_all(&tail).await.map_err(|e| write_error(&e))?;
        writer.flush().await.map_err(|e| write_error(&e))?;
        Ok(written + tail.len() as u64)
    }

    /// [`bill_link`](crate::Client::bill_link) then [`save_bill`](crate::Client::save_bill): asks for
    /// the bill, downloads it into `writer` (decompressed if `gunzip`), and checks its digest.
    ///
    /// ```
    /// use serde_json::json;
    /// use wechatpay_chain::download::Bill;
    /// # let sandbox = wechatpay_chain::sandbox::Sandbox::start()?;
    /// # let client = sandbox.client_builder().build()?;
    /// let mut csv = Vec::new();
    /// let link = client.download_bill(Bill::Trade, json!({"bill_date": "2024-11-24", "tar_type": "GZIP"}), true, &mut csv)?;
    /// assert!(link.gzip);
    /// assert!(String::from_utf8(csv)?.starts_with("交易时间,"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn download_bill(
        &self,
        bill: Bill,
        query: serde_json::Value,
        gunzip: bool,
        writer: &mut impl Write,
    ) -> Result<BillLink, Error> {
        let link = self.bill_link(bill, query)?;
        self.save_bill(&link, (), gunzip, writer)?;
        Ok(link)
    }

    /// [`download_bill`](crate::Client::download_bill), async.
    pub async fn download_bill_async<W: tokio::io::AsyncWrite + Unpin>(
        &self,
        bill: Bill,
        query: serde_json::Value,
        gunzip: bool,
        writer: &mut W,
    ) -> Result<BillLink, Error> {
        let link = self.bill_link_async(bill, query).await?;
        self.save_bill_async(&link, (), gunzip, writer).await?;
        Ok(link)
    }
}
