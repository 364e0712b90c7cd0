//! Bills through the client: ask for a bill's link, then stream it through its digest check (and
//! gunzip) into a writer or a file.

use std::io::Write;
use std::path::Path;

use super::Client;
use crate::download::{Bill, BillLink, BillSink, DEFAULT_MAX_BILL_BYTES, bill_link, save_atomically, write_error};
use crate::error::Error;

impl Client {
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
        let mut download = self.engine.download_blocking(&link.download_url, prepared)?;
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
        let mut download = std::sync::Arc::clone(&self.engine).download_async(&link.download_url, prepared).await?;
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
