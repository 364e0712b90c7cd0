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
//! use wechatpay_sandbox::Sandbox;
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
//! [`DownloadErrorKind`] in an [`Error::Download`] (`sent()` is [`Sent::Yes`](crate::Sent::Yes)):
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
//! # let sandbox = wechatpay_sandbox::Sandbox::start()?;
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

use crate::error::{DownloadError, DownloadErrorKind, Error};
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
mod bill;
mod digest;
mod limits;

pub use bill::{Bill, BillLink};
pub(crate) use bill::{BillSink, bill_link};
pub(crate) use digest::DigestCheck;
pub use digest::HashType;
pub(crate) use limits::{DownloadDefaults, DownloadOptions, Limits};

pub(crate) fn download_error(kind: DownloadErrorKind) -> DownloadError {
    DownloadError::new(kind)
}

/// What the connection task hands the reader.
enum Item {
    Data(Bytes),
    /// The body ended cleanly. A channel that closes without it means the download was cut off.
    End,
    Failed(DownloadError),
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
        if let (Some(limit), Some(announced)) = (limits.max_bytes, content_length(response.headers()))
            && announced > limit
        {
            return Err(download_error(DownloadErrorKind::TooLarge { limit, announced: Some(announced) }).into());
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
    fn accept(&mut self, item: Option<Item>) -> Option<Result<Bytes, DownloadError>> {
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
            None => download_error(DownloadErrorKind::Broken("the SDK's I/O runtime stopped".to_owned())),
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
    fn failed_before() -> DownloadError {
        download_error(DownloadErrorKind::AlreadyFailed)
    }

    /// Copies the whole body into `writer` (blocking) and returns the byte count. On error the writer
    /// holds partial data that must be discarded; [`save`](Download::save) does that for files.
    pub fn copy_to(&mut self, writer: &mut impl Write) -> Result<u64, DownloadError> {
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
    pub fn save(mut self, path: impl AsRef<Path>) -> Result<u64, DownloadError> {
        save_atomically(path.as_ref(), |file| self.copy_to(file))
    }

    /// The next chunk, blocking; `Ok(None)` at the (checked) end.
    pub(crate) fn next_blocking(&mut self) -> Result<Option<Bytes>, DownloadError> {
        if !self.current.is_empty() {
            return Ok(Some(std::mem::take(&mut self.current)));
        }
        match self.state {
            State::Open => {}
            State::Ended => return Ok(None),
            State::Failed => return Err(Self::failed_before()),
        }
        if crate::transport::refuse_on_io_thread("reading a download").is_err() {
            return Err(download_error(DownloadErrorKind::OnIoThread));
        }
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
            Ok(Some(Err(e))) => {
                Item::Failed(download_error(DownloadErrorKind::Broken(format!("the connection broke: {e}"))))
            }
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

pub(crate) fn write_error(e: &std::io::Error) -> DownloadError {
    download_error(DownloadErrorKind::Write(e.to_string()))
}

/// `<path>.part`, next to `path`.
fn part_path(path: &Path) -> Result<PathBuf, DownloadError> {
    let name = path.file_name().ok_or_else(|| {
        download_error(DownloadErrorKind::Write(format!("`{}` does not name a file", path.display())))
    })?;
    let mut part = name.to_os_string();
    part.push(".part");
    Ok(path.with_file_name(part))
}

/// Runs `write` into `<path>.part` and renames it to `path` once `write` and the flush to disk
/// succeeded; removes it otherwise.
pub(crate) fn save_atomically<E: From<DownloadError>>(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> Result<u64, E>,
) -> Result<u64, E> {
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
            E::from(download_error(DownloadErrorKind::Write(format!(
                "cannot rename `{}` to `{}`: {e}",
                part.display(),
                path.display()
            ))))
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
    type Item = Result<Bytes, DownloadError>;

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
