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

use std::fmt;
use std::io::Write;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::crypto::backend::digest;
use bytes::Bytes;
use futures::Stream;
use http::{HeaderMap, StatusCode};
use http_body_util::BodyExt;

use crate::error::{DownloadError, DownloadErrorKind, Error, InputErrorKind, Sent, TimeoutError, TransportError};
use crate::response::Verification;

/// Chunks buffered between the connection and the reader: memory stays flat whatever the file size.
const CHANNEL_CHUNKS: usize = 8;

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
            Err(Error::Download(DownloadError::new(DownloadErrorKind::DigestMismatch {
                hash_type: self.hash_type.name(),
                expected: self.expected,
                actual,
            })))
        }
    }
}

/// An open download: status and headers are known, the body is read as it arrives. Read it with
/// [`std::io::Read`] (blocking; any thread except the SDK's own) or as a [`futures::Stream`] of
/// `Result<Bytes, Error>` (any executor). Dropping it closes the connection.
pub struct Download {
    status: StatusCode,
    headers: HeaderMap,
    verification: Verification,
    chunks: tokio::sync::mpsc::Receiver<Result<Bytes, Error>>,
    current: Bytes,
    check: Option<DigestCheck>,
    finished: bool,
    received: u64,
}

impl fmt::Debug for Download {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Download")
            .field("status", &self.status)
            .field("verification", &self.verification)
            .field("received", &self.received)
            .finish_non_exhaustive()
    }
}

impl Download {
    /// Starts pumping `body` on the SDK runtime into a bounded channel; `idle` is the longest wait for
    /// the next chunk.
    pub(crate) fn start(
        response: http::Response<hyper::body::Incoming>,
        verification: Verification,
        check: Option<DigestCheck>,
        idle: Duration,
    ) -> Result<Download, Error> {
        let (parts, mut body) = response.into_parts();
        let (sender, chunks) = tokio::sync::mpsc::channel(CHANNEL_CHUNKS);
        crate::transport::spawn_detached(async move {
            loop {
                // A dropped reader closes the channel: stop at once, which closes the connection.
                let closed = std::pin::pin!(sender.closed());
                let frame = std::pin::pin!(tokio::time::timeout(idle, body.frame()));
                let next = match futures::future::select(closed, frame).await {
                    futures::future::Either::Left(_) => return,
                    futures::future::Either::Right((next, _)) => next,
                };
                let frame = match next {
                    Err(_) => Err(Error::Timeout(TimeoutError::new(
                        Sent::Yes,
                        idle,
                        "waiting for the next part of the download",
                    ))),
                    Ok(None) => return,
                    Ok(Some(Err(e))) => Err(Error::Transport(TransportError::new(
                        Sent::Yes,
                        "the connection broke during the download; the file is incomplete",
                        Some(Box::new(e)),
                    ))),
                    Ok(Some(Ok(frame))) => match frame.into_data() {
                        Ok(data) if data.is_empty() => continue,
                        Ok(data) => Ok(data),
                        Err(_) => continue, // trailers
                    },
                };
                let failed = frame.is_err();
                // The reader went away: stop reading, which closes the connection.
                if sender.send(frame).await.is_err() || failed {
                    return;
                }
            }
        })?;
        Ok(Download {
            status: parts.status,
            headers: parts.headers,
            verification,
            chunks,
            current: Bytes::new(),
            check,
            finished: false,
            received: 0,
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

    /// Handles the next item from the channel: `None` means the end was reached and checked.
    fn accept(&mut self, item: Option<Result<Bytes, Error>>) -> Option<Result<Bytes, Error>> {
        match item {
            Some(Ok(bytes)) => {
                self.received += bytes.len() as u64;
                if let Some(check) = &mut self.check {
                    check.update(&bytes);
                }
                Some(Ok(bytes))
            }
            Some(Err(e)) => {
                self.finished = true;
                Some(Err(e))
            }
            None => {
                self.finished = true;
                match self.check.take().map(DigestCheck::finish) {
                    Some(Err(e)) => Some(Err(e)),
                    _ => None,
                }
            }
        }
    }

    /// Copies the whole body into `writer` (blocking) and returns the byte count. On error the writer
    /// holds partial data that must be discarded.
    pub fn copy_to(&mut self, writer: &mut impl Write) -> Result<u64, Error> {
        let mut written = 0u64;
        while let Some(chunk) = self.next_blocking()? {
            writer.write_all(&chunk).map_err(|e| write_error(&e))?;
            written += chunk.len() as u64;
        }
        Ok(written)
    }

    /// The next chunk, blocking; `Ok(None)` at the (checked) end.
    pub(crate) fn next_blocking(&mut self) -> Result<Option<Bytes>, Error> {
        if !self.current.is_empty() {
            return Ok(Some(std::mem::take(&mut self.current)));
        }
        if self.finished {
            return Ok(None);
        }
        crate::transport::refuse_on_io_thread("reading a download")?;
        let item = futures::executor::block_on(self.chunks.recv());
        self.accept(item).transpose()
    }
}

pub(crate) fn write_error(e: &std::io::Error) -> Error {
    Error::Download(DownloadError::new(DownloadErrorKind::Write(e.to_string())))
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
        if self.finished {
            return Poll::Ready(None);
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

/// Turns downloaded chunks into output while checking the digest of the original bill.
struct BillSink {
    check: DigestCheck,
    /// Present for gzip files: decompresses into a buffer drained after each chunk.
    decoder: Option<flate2::write::GzDecoder<Vec<u8>>>,
    gunzip: bool,
}

impl BillSink {
    fn new(link: &BillLink, gunzip: bool) -> Self {
        BillSink {
            check: DigestCheck::new(link.hash_type, &link.hash_value),
            decoder: link.gzip.then(|| flate2::write::GzDecoder::new(Vec::new())),
            gunzip,
        }
    }

    fn decompress_error(e: &std::io::Error) -> Error {
        Error::Download(DownloadError::new(DownloadErrorKind::Decompress(e.to_string())))
    }

    /// The bytes to write for `chunk`.
    fn feed(&mut self, chunk: Bytes) -> Result<Bytes, Error> {
        let Some(decoder) = &mut self.decoder else {
            self.check.update(&chunk);
            return Ok(chunk);
        };
        decoder.write_all(&chunk).map_err(|e| Self::decompress_error(&e))?;
        let plain = std::mem::take(decoder.get_mut());
        self.check.update(&plain);
        Ok(if self.gunzip { Bytes::from(plain) } else { chunk })
    }

    /// The last decompressed bytes to write, after checking the whole digest.
    fn finish(mut self) -> Result<Bytes, Error> {
        let mut tail = Bytes::new();
        if let Some(decoder) = self.decoder.take() {
            let plain = decoder.finish().map_err(|e| Self::decompress_error(&e))?;
            self.check.update(&plain);
            if self.gunzip {
                tail = Bytes::from(plain);
            }
        }
        self.check.finish()?;
        Ok(tail)
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

    /// Downloads the bill behind `link` into `writer`, streaming, and checks its digest: decompressed
    /// when `gunzip` is set, else exactly as downloaded. `options` go with the download request (extra
    /// headers, a timeout). Returns the bytes written. On error, what was written is incomplete or
    /// untrusted and must be discarded.
    pub fn save_bill(
        &self,
        link: &BillLink,
        options: impl Into<crate::Options>,
        gunzip: bool,
        writer: &mut impl Write,
    ) -> Result<u64, Error> {
        let mut download = self.chain(&link.download_url).download(options)?;
        let mut sink = BillSink::new(link, gunzip);
        let mut written = 0u64;
        let mut put = |bytes: &[u8]| -> Result<(), Error> {
            writer.write_all(bytes).map_err(|e| write_error(&e))?;
            written += bytes.len() as u64;
            Ok(())
        };
        while let Some(chunk) = download.next_blocking()? {
            put(&sink.feed(chunk)?)?;
        }
        put(&sink.finish()?)?;
        writer.flush().map_err(|e| write_error(&e))?;
        Ok(written)
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
        let mut download = self.chain(&link.download_url).download_async(options).await?;
        let mut sink = BillSink::new(link, gunzip);
        let mut written = 0u64;
        while let Some(chunk) = download.next().await {
            let out = sink.feed(chunk?)?;
            writer.write_all(&out).await.map_err(|e| write_error(&e))?;
            written += out.len() as u64;
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
    /// # let sandbox = wechatpay_sandbox::Sandbox::start()?;
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
