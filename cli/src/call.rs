//! `get|post|put|patch|delete` and `download`: one signed call, the verified answer printed.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use base64::Engine;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use wechatpay_chain::download::HashType;
use wechatpay_chain::http::Method;
use wechatpay_chain::{Client, Options};

use crate::args::{CallArgs, Cli, DownloadArgs};
use crate::credentials::{Credentials, RecordingSigner};
use crate::output::{self, Failure};

fn split<'a>(text: &'a str, separator: char, flag: &str, shape: &str) -> Result<(&'a str, &'a str), Failure> {
    match text.split_once(separator) {
        Some((name, value)) if !name.trim().is_empty() => Ok((name.trim(), value)),
        _ => Err(Failure::input(format!("{flag} `{text}` must look like {shape}"))),
    }
}

/// The request options from `--param`, `--query`, `--json` and `--header`.
fn options(params: &[String], queries: &[String], json: Option<&str>, headers: &[String]) -> Result<Options, Failure> {
    let mut options = Options::new();
    for param in params {
        let (name, value) = split(param, '=', "--param", "NAME=VALUE")?;
        options = options.param(name, value);
    }
    for query in queries {
        let (name, value) = split(query, '=', "--query", "NAME=VALUE")?;
        options = options.query(name, value);
    }
    if let Some(json) = json {
        let text = match json.strip_prefix('@') {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|e| Failure::input(format!("--json @{path}: cannot read the file ({e})")))?,
            None => json.to_owned(),
        };
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| Failure::input(format!("--json is not valid JSON ({e})")))?;
        options = options.json(&value);
    }
    for header in headers {
        let (name, value) = split(header, ':', "--header", "NAME:VALUE")?;
        options = options.header(name, value.trim());
    }
    Ok(options)
}

/// With `--verbose`: each message the client signed (the exact bytes, `\n` shown) and its Authorization
/// header, signature shortened.
fn print_signed(cli: &Cli, client: &Client, signer: &RecordingSigner) {
    if !cli.verbose {
        return;
    }
    for signed in signer.signed() {
        output::status(&format!("> signed message: {}", output::visible(&signed.message)));
        // The message is METHOD\nTARGET\nTIMESTAMP\nNONCE\nBODY\n: the header carries its timestamp and nonce.
        let text = String::from_utf8_lossy(&signed.message);
        let mut lines = text.splitn(5, '\n');
        let (timestamp, nonce) = (lines.nth(2).unwrap_or(""), lines.next().unwrap_or(""));
        let signature = base64::engine::general_purpose::STANDARD.encode(&signed.signature);
        let authorization = format!(
            "{} mchid=\"{}\",serial_no=\"{}\",timestamp=\"{timestamp}\",nonce_str=\"{nonce}\",signature=\"{signature}\"",
            wechatpay_chain::auth::SCHEME,
            client.mchid(),
            client.serial()
        );
        output::status(&format!("> Authorization: {}", output::shorten_signature(&authorization)));
    }
}

/// Status, Request-ID and verification of an answer, on stderr.
fn print_head(status: wechatpay_chain::http::StatusCode, request_id: Option<&str>, verified: &str) {
    output::status(&format!("HTTP {status}"));
    if let Some(id) = request_id {
        output::status(&format!("Request-ID: {id}"));
    }
    output::status(&format!("verified: {verified}"));
}

/// `wechatpay get|post|put|patch|delete CHAIN …`.
pub fn run(cli: &Cli, method: Method, args: &CallArgs) -> Result<(), Failure> {
    let options = options(&args.param, &args.query, args.json.as_deref(), &args.header)?;
    let credentials = Credentials::resolve(&cli.credentials)?;
    let (client, signer) = credentials.client(false, cli.timeout)?;
    let result = client.chain(&args.chain).request(method, options);
    print_signed(cli, &client, &signer);
    match result {
        Ok(response) => {
            print_head(response.status(), response.request_id(), &output::verification(response.verification()));
            output::body(response.body())
        }
        Err(error) => {
            if let Some(api) = error.api() {
                output::status(&format!("HTTP {}", api.status()));
                if let Some(id) = api.request_id() {
                    output::status(&format!("Request-ID: {id}"));
                }
                output::status(&format!("error body signed by: {}", api.signed_by().unwrap_or("nobody (unsigned)")));
                output::status(&format!("body: {}", String::from_utf8_lossy(api.body())));
            }
            Err(Failure::sdk(&error))
        }
    }
}

/// A writer that advances a progress bar.
struct Progress<W> {
    inner: W,
    bar: Option<ProgressBar>,
}

impl<W: Write> Write for Progress<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
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

fn part_path(output: &Path) -> PathBuf {
    let mut name = output.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".part");
    output.with_file_name(name)
}

/// `wechatpay download URL|CHAIN --output FILE [--hash-type T --hash-value HEX]`: streams into
/// `FILE.part`, renamed to `FILE` once complete (and checked); removed on failure.
pub fn download(cli: &Cli, args: &DownloadArgs) -> Result<(), Failure> {
    let options = options(&args.param, &args.query, None, &args.header)?;
    let digest = match (&args.hash_type, &args.hash_value) {
        (Some(kind), Some(value)) => Some((HashType::parse(kind)?, value.clone())),
        _ => None,
    };
    let credentials = Credentials::resolve(&cli.credentials)?;
    let (client, signer) = credentials.client(false, cli.timeout)?;
    let opened = client.chain(&args.chain).download(options);
    print_signed(cli, &client, &signer);
    let mut download = opened?;
    if let Some((kind, value)) = digest {
        download = download.expect_digest(kind, &value);
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
    let part = part_path(&args.output);
    let file =
        std::fs::File::create(&part).map_err(|e| Failure::config(format!("cannot create {} ({e})", part.display())))?;
    let bar = progress_bar(length);
    let mut writer = Progress { inner: std::io::BufWriter::new(file), bar: bar.clone() };
    let copied = download.copy_to(&mut writer).map_err(|e| Failure::sdk(&e.into())).and_then(|n| {
        writer.flush().map(|()| n).map_err(|e| Failure::io(format!("cannot write {} ({e})", part.display())))
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    drop(writer);
    match copied {
        Ok(bytes) => {
            std::fs::rename(&part, &args.output).map_err(|e| {
                let _ = std::fs::remove_file(&part);
                Failure::io(format!("cannot move {} to {} ({e})", part.display(), args.output.display()))
            })?;
            let checked = if args.hash_type.is_some() { ", digest checked" } else { ", no digest given: not checked" };
            output::status(&format!("saved {bytes} bytes to {}{checked}", args.output.display()));
            Ok(())
        }
        Err(failure) => {
            let _ = std::fs::remove_file(&part);
            Err(failure)
        }
    }
}
