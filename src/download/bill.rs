//! Bills (账单): the link and digest the bill APIs return, and the sink that checks a bill's digest over
//! the original bytes while it is written, inflating gzip bills in bounded steps.

use std::io::Write;

use bytes::Bytes;

use super::{DigestCheck, HashType, download_error};
use crate::error::{DownloadError, DownloadErrorKind, Error};

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
    pub(crate) fn path(self) -> &'static str {
        match self {
            Bill::Trade => "v3/bill/tradebill",
            Bill::FundFlow => "v3/bill/fundflowbill",
        }
    }
}

/// What `v3/bill/tradebill` / `fundflowbill` answers: where to download the bill and its digest.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
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

impl BillLink {
    /// A link kept from an earlier `tradebill` / `fundflowbill` answer (`gzip`: `tar_type=GZIP` was asked
    /// for).
    pub fn new(
        download_url: impl Into<String>,
        hash_type: HashType,
        hash_value: impl Into<String>,
        gzip: bool,
    ) -> Self {
        BillLink { download_url: download_url.into(), hash_type, hash_value: hash_value.into(), gzip }
    }
}

/// Counts, hashes and (when the bill is written decompressed) collects what the gzip decoder
/// produces; refuses to go past the size cap, which stops the decoder at once.
pub(crate) struct Inflated {
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
pub(crate) enum BillSink {
    Plain(Box<DigestCheck>),
    Gzip { decoder: Box<flate2::write::GzDecoder<Inflated>>, gunzip: bool },
}

impl BillSink {
    pub(crate) fn new(link: &BillLink, gunzip: bool, limit: Option<u64>) -> Self {
        let check = DigestCheck::new(link.hash_type, &link.hash_value);
        if !link.gzip {
            return BillSink::Plain(Box::new(check));
        }
        let inflated = Inflated { check, out: Vec::new(), keep: gunzip, produced: 0, limit, over: false };
        BillSink::Gzip { decoder: Box::new(flate2::write::GzDecoder::new(inflated)), gunzip }
    }

    fn inflate_error(inflated: &Inflated, e: &std::io::Error) -> DownloadError {
        match inflated.limit {
            Some(limit) if inflated.over => download_error(DownloadErrorKind::InflatedTooLarge { limit }),
            _ => download_error(DownloadErrorKind::Decompress(e.to_string())),
        }
    }

    /// One bounded step over the start of `input`: how many bytes of it were used, and the bytes to
    /// write for them. Call again with the rest until `input` is used up.
    pub(crate) fn step(&mut self, input: &Bytes) -> Result<(usize, Bytes), DownloadError> {
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
    pub(crate) fn finish(self) -> Result<Bytes, DownloadError> {
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

pub(crate) fn bill_link(bill: Bill, query: &serde_json::Value, answer: &serde_json::Value) -> Result<BillLink, Error> {
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
