//! `download` and `download-bill`: files streamed into `FILE.part`, flushed to disk and renamed to
//! `FILE` only once complete and checked; removed on any failure.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use wechatpay_chain::download::{Bill, BillLink, DEFAULT_MAX_BILL_BYTES, HashType};
use wechatpay_chain::error::DownloadErrorKind;
use wechatpay_chain::{Error, Options};

use crate::args::{BillArgs, BillKind, DownloadArgs, DownloadLimits};
use crate::call::{base_options, check_params, check_query, print_head, print_signed, report_answer, shown};
use crate::chainform;
use crate::credentials::{CredentialArgs, Credentials, Need};
use crate::output::{self, Failure};

/// The gzip magic number, to recognise a gzip file whose digest was checked over the compressed bytes.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// A writer that advances a progress bar and remembers the first bytes written.
struct Progress<W> {
    inner: W,
    bar: Option<ProgressBar>,
    head: Vec<u8>,
}

impl<W: Write> Write for Progress<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        if self.head.len() < 2 {
            self.head.extend(buf[..n].iter().take(2 - self.head.len()));
        }
        if let Some(bar) = &self.bar {
            bar.inc(n as u64);
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A bar on stderr when it is a terminal: bytes of `Content-Length`, or a spinner without one.
fn progress_bar(length: Option<u64>) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let (bar, template) = match length {
        Some(length) => (
            ProgressBar::with_draw_target(Some(length), ProgressDrawTarget::stderr()),
            "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        ),
        None => {
            (ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()), "{spinner} {bytes} {bytes_per_sec}")
        }
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    Some(bar)
}

fn part_path(output: &Path) -> Result<PathBuf, Failure> {
    let mut name = output
        .file_name()
        .map(|n| n.to_os_string())
        .ok_or_else(|| Failure::input(format!("--output `{}` does not name a file", output.display())))?;
    name.push(".part");
    Ok(output.with_file_name(name))
}

/// Runs `write` into `output.part` (with a progress bar of `length` bytes on a terminal), then flushes
/// it to disk and renames it to `output`; removes it on any failure, leaving an existing `output` as it
/// was. `write` gets the writer and returns the byte count.
fn save_part(
    output: &Path,
    length: Option<u64>,
    write: impl FnOnce(&mut Progress<std::io::BufWriter<std::fs::File>>) -> Result<u64, Failure>,
) -> Result<u64, Failure> {
    let part = part_path(output)?;
    let file =
        std::fs::File::create(&part).map_err(|e| Failure::config(format!("cannot create {} ({e})", part.display())))?;
    let bar = progress_bar(length);
    let mut writer = Progress { inner: std::io::BufWriter::new(file), bar: bar.clone(), head: Vec::new() };
    let written = write(&mut writer).and_then(|n| {
        let file = writer
            .inner
            .into_inner()
            .map_err(|e| Failure::io(format!("cannot write {} ({})", part.display(), e.error())))?;
        file.sync_all().map_err(|e| Failure::io(format!("cannot flush {} to disk ({e})", part.display())))?;
        Ok(n)
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let renamed = written.and_then(|n| {
        std::fs::rename(&part, output)
            .map(|()| n)
            .map_err(|e| Failure::io(format!("cannot move {} to {} ({e})", part.display(), output.display())))
    });
    if renamed.is_err() {
        let _ = std::fs::remove_file(&part);
    }
    renamed
}

/// `--max-bytes` and `--download-timeout` as request options.
fn limits(mut options: Options, limits: &DownloadLimits) -> Result<Options, Failure> {
    if let Some(bytes) = limits.max_bytes {
        if bytes == 0 {
            return Err(Failure::input("--max-bytes must be greater than zero"));
        }
        options = options.max_bytes(bytes);
    }
    if let Some(secs) = limits.download_timeout {
        if secs == 0 || secs > 86_400 {
            return Err(Failure::input("--download-timeout must be 1 to 86400 seconds"));
        }
        options = options.download_timeout(Duration::from_secs(secs));
    }
    Ok(options)
}

/// A download's failure, with what to do when the digest failed over a gzip file's compressed bytes.
fn download_failure(error: Error, head: &[u8]) -> Failure {
    let mut failure = Failure::sdk(&error);
    let digest = matches!(&error, Error::Download(d) if matches!(d.kind(), DownloadErrorKind::DigestMismatch { .. }));
    if digest && head.starts_with(&GZIP_MAGIC) {
        failure.message.push_str(
            "\nhint: the file is gzip (a bill asked for with tar_type=GZIP), and WeChat Pay's hash_value is the digest \
             of the decompressed bill: add --gunzip to save it decompressed, or --gzip to keep it compressed",
        );
    }
    failure
}

/// `wechatpay download URL|CHAIN --output FILE [--hash-type T --hash-value HEX] [--gunzip|--gzip]`.
pub fn download(args: &DownloadArgs) -> Result<(), Failure> {
    let (template, dotted) = chainform::template(&args.chain)?;
    let named = shown(&args.chain, &template, dotted);
    check_params(&args.param, &template, &named)?;
    check_query(&args.query, &template, &named)?;
    let options = limits(base_options(&args.param, &args.query, &args.header)?, &args.limits)?;
    let digest = match (&args.hash_type, &args.hash_value) {
        (Some(kind), Some(value)) => Some((HashType::parse(kind)?, value.clone())),
        _ => None,
    };
    let credentials =
        Credentials::resolve(&CredentialArgs::new(&args.merchant).keys(&args.keys).connection(&args.connection))?;
    let (client, signer) = credentials.client(Need::default())?;
    let verbose = args.connection.verbose;

    if let (Some((hash_type, hash_value)), true) = (&digest, args.gunzip || args.gzip) {
        // As the library's bill helpers: the digest over the decompressed bytes, gunzip in bounded steps.
        let link = BillLink::new(template, *hash_type, hash_value.clone(), true);
        let saved = save_part(&args.output, None, |writer| {
            client.save_bill(&link, options, args.gunzip, writer).map_err(|e| {
                report_answer(&e);
                Failure::sdk(&e)
            })
        });
        print_signed(verbose, &client, &signer);
        let bytes = saved?;
        let how = if args.gunzip { "decompressed" } else { "as downloaded (gzip)" };
        output::status(&format!(
            "saved {bytes} bytes to {} {how}, digest of the decompressed file checked",
            args.output.display()
        ));
        return Ok(());
    }

    let opened = client.chain(&template).download(options);
    print_signed(verbose, &client, &signer);
    let mut download = opened.inspect_err(report_answer)?;
    if let Some((kind, value)) = &digest {
        download = download.expect_digest(*kind, value);
    }
    print_head(
        download.status(),
        download.headers().get("request-id").and_then(|v| v.to_str().ok()),
        &output::verification(download.verification()),
    );
    let length = download
        .headers()
        .get(wechatpay_chain::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let cap = download.max_bytes().unwrap_or(DEFAULT_MAX_BILL_BYTES);
    let bytes = save_part(&args.output, length, |writer| {
        if args.gunzip {
            let mut gunzip = Gunzip::new(writer, cap);
            download.copy_to(&mut gunzip).map_err(|e| Failure::sdk(&e.into()))?;
            gunzip.finish()
        } else {
            download.copy_to(writer).map_err(|e| download_failure(e.into(), &writer.head))
        }
    })?;
    let checked = match (&digest, args.gunzip) {
        (Some(_), _) => ", digest checked",
        (None, true) => ", decompressed; no digest given: not checked",
        (None, false) => ", no digest given: not checked",
    };
    output::status(&format!("saved {bytes} bytes to {}{checked}", args.output.display()));
    Ok(())
}

/// Gunzip of a download without a digest: inflated in the decoder's bounded steps, the decompressed
/// size capped (`--max-bytes`, else [`DEFAULT_MAX_BILL_BYTES`]), bytes after the gzip stream refused.
struct Gunzip<'a, W: Write> {
    decoder: flate2::write::GzDecoder<Capped<&'a mut W>>,
}

/// Counts what the decoder writes and refuses to pass the cap.
struct Capped<W> {
    inner: W,
    written: u64,
    cap: u64,
}

impl<W: Write> Write for Capped<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.written.saturating_add(buf.len() as u64) > self.cap {
            return Err(std::io::Error::other(format!(
                "the decompressed file is larger than {} bytes (raise it with --max-bytes)",
                self.cap
            )));
        }
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<'a, W: Write> Gunzip<'a, W> {
    fn new(inner: &'a mut W, cap: u64) -> Self {
        Gunzip { decoder: flate2::write::GzDecoder::new(Capped { inner, written: 0, cap }) }
    }

    /// Checks that the gzip stream ended (a truncated one is an error) and returns the bytes written.
    fn finish(mut self) -> Result<u64, Failure> {
        self.decoder
            .try_finish()
            .map_err(|e| Failure::io(format!("the download is not a complete gzip file ({e})")))?;
        let capped = self
            .decoder
            .finish()
            .map_err(|e| Failure::io(format!("the download is not a complete gzip file ({e})")))?;
        Ok(capped.written)
    }
}

impl<W: Write> Write for Gunzip<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let used = self.decoder.write(buf)?;
        if used == 0 && !buf.is_empty() {
            return Err(std::io::Error::other("there are bytes after the end of the gzip stream"));
        }
        Ok(used)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.decoder.flush()
    }
}

/// `wechatpay download-bill trade|fundflow --bill-date D …`: asks for the bill, then streams it as the
/// library's `save_bill` does (digest over the original bill, optional gunzip, bounded).
pub fn download_bill(args: &BillArgs) -> Result<(), Failure> {
    let gzip = args.tar_type.as_deref().is_some_and(|t| t.eq_ignore_ascii_case("GZIP"));
    if args.gunzip && !gzip {
        return Err(Failure::input("--gunzip decompresses a GZIP bill: add --tar-type GZIP"));
    }
    let (bill, wrong) = match args.kind {
        BillKind::Trade => (Bill::Trade, args.account_type.as_ref().map(|_| "--account-type is for fund-flow bills")),
        BillKind::Fundflow => (
            Bill::FundFlow,
            match (&args.bill_type, &args.sub_mchid) {
                (Some(_), _) => Some("--bill-type is for trade bills; fund-flow bills take --account-type"),
                (_, Some(_)) => Some("--sub-mchid is for trade bills"),
                _ => None,
            },
        ),
    };
    if let Some(message) = wrong {
        return Err(Failure::input(message));
    }
    let mut query = serde_json::Map::new();
    query.insert("bill_date".to_owned(), args.bill_date.clone().into());
    for (name, value) in [
        ("sub_mchid", &args.sub_mchid),
        ("bill_type", &args.bill_type),
        ("account_type", &args.account_type),
        ("tar_type", &args.tar_type),
    ] {
        if let Some(value) = value {
            query.insert(name.to_owned(), value.clone().into());
        }
    }
    let options = limits(Options::new(), &args.limits)?;
    let credentials =
        Credentials::resolve(&CredentialArgs::new(&args.merchant).keys(&args.keys).connection(&args.connection))?;
    let (client, signer) = credentials.client(Need::default())?;
    let saved = client
        .bill_link(bill, serde_json::Value::Object(query))
        .inspect_err(report_answer)
        .map_err(Failure::from)
        .and_then(|link| {
            let name = match link.hash_type {
                HashType::Sha1 => "SHA1",
                HashType::Sha256 => "SHA256",
                _ => "digest",
            };
            output::status(&format!("bill: {name} {}, {}", link.hash_value, if gzip { "gzip" } else { "plain" }));
            save_part(&args.output, None, |writer| {
                client.save_bill(&link, options, args.gunzip, writer).map_err(|e| {
                    report_answer(&e);
                    Failure::sdk(&e)
                })
            })
        });
    print_signed(args.connection.verbose, &client, &signer);
    let bytes = saved?;
    let how = match (gzip, args.gunzip) {
        (true, true) => "decompressed, ",
        (true, false) => "as downloaded (gzip), ",
        _ => "",
    };
    output::status(&format!(
        "saved {bytes} bytes to {} ({how}digest of the original bill checked)",
        args.output.display()
    ));
    Ok(())
}
