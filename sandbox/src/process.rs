//! The sandbox as a process: what the `wechatpay-sandbox` binary and `wechatpay sandbox` run.
//!
//! [`ProcessOptions`] holds the command-line options, [`ProcessOptions::parse`] reads them from
//! arguments, [`Sandbox::write_keys`] writes the throwaway keys and `sandbox.json` an application in any
//! language needs, [`json_line`] formats one logged request, and [`run`] starts the sandbox, prints
//! `listening 127.0.0.1:PORT` and one JSON line per request on stdout, and serves until the process is
//! stopped. The crate root re-exports what the two binaries need.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine;
use serde_json::{Map, Value, json};

use super::{Error, LoggedRequest, Sandbox, SignMode, Verdict};

/// The usage line of the sandbox process options.
pub const USAGE: &str = "usage: wechatpay-sandbox [--port N] [--keys-dir DIR] [--mchid ID] \
[--sign-mode public-key|certificate|mixed] [--fault-rate R --seed S] [--log-capacity N] [--quiet]";

/// How to run the sandbox process. Start from `ProcessOptions::default()` and set the fields.
///
/// ```no_run
/// let mut options = wechatpay_sandbox::ProcessOptions::default();
/// options.keys_dir = Some("./sandbox-keys".into());
/// if let Err(message) = wechatpay_sandbox::run_process(&options) {
///     eprintln!("{message}");
///     std::process::exit(1);
/// }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ProcessOptions {
    /// The port on 127.0.0.1 (0: an ephemeral one, printed in `listening …`).
    pub port: u16,
    /// Where to write the keys and `sandbox.json` (see [`Sandbox::write_keys`]); nowhere when `None`.
    pub keys_dir: Option<PathBuf>,
    /// The merchant id (default `1900000001`).
    pub mchid: Option<String>,
    /// How the sandbox signs its answers.
    pub sign_mode: SignMode,
    /// The share of requests that get a random fault (see
    /// [`SandboxBuilder::random_faults`](super::SandboxBuilder::random_faults)).
    pub fault_rate: Option<f64>,
    /// The seed of the random faults.
    pub seed: u64,
    /// No JSON request lines on stdout (`listening …` is still printed).
    pub quiet: bool,
    /// How many requests the process keeps in memory (default [`PROCESS_LOG_CAPACITY`]); the JSON lines on
    /// stdout list every one.
    pub log_capacity: usize,
}

/// How many requests the sandbox process keeps in memory unless `--log-capacity` says otherwise: a
/// process runs for days, and its JSON-lines log on stdout is complete anyway.
pub const PROCESS_LOG_CAPACITY: usize = 1000;

impl Default for ProcessOptions {
    fn default() -> Self {
        ProcessOptions {
            port: 0,
            keys_dir: None,
            mchid: None,
            sign_mode: SignMode::PublicKey,
            fault_rate: None,
            seed: 0,
            quiet: false,
            log_capacity: PROCESS_LOG_CAPACITY,
        }
    }
}

/// What the arguments asked for.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Parsed {
    /// Run with these options.
    Run(ProcessOptions),
    /// `-h` / `--help`: print [`USAGE`].
    Help,
}

impl std::str::FromStr for SignMode {
    type Err = String;

    /// Parses a sign mode name: `public-key`, `certificate` or `mixed`.
    fn from_str(name: &str) -> Result<SignMode, String> {
        match name {
            "public-key" => Ok(SignMode::PublicKey),
            "certificate" => Ok(SignMode::Certificate),
            "mixed" => Ok(SignMode::Mixed),
            other => Err(format!("unknown sign mode `{other}` (public-key, certificate or mixed)")),
        }
    }
}

impl ProcessOptions {
    /// Reads the options from command-line arguments (without the program name). The error is a message
    /// ending with [`USAGE`].
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Parsed, String> {
        let mut options = ProcessOptions::default();
        let mut it = args.into_iter();
        while let Some(arg) = it.next() {
            let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value\n{USAGE}"));
            match arg.as_str() {
                "--port" => {
                    options.port =
                        value("--port")?.parse().map_err(|_| format!("--port must be 0 to 65535\n{USAGE}"))?
                }
                "--keys-dir" => options.keys_dir = Some(value("--keys-dir")?.into()),
                "--mchid" => options.mchid = Some(value("--mchid")?),
                "--sign-mode" => {
                    options.sign_mode = value("--sign-mode")?.parse().map_err(|e| format!("{e}\n{USAGE}"))?
                }
                "--fault-rate" => {
                    options.fault_rate = Some(
                        value("--fault-rate")?
                            .parse()
                            .map_err(|_| format!("--fault-rate must be a number\n{USAGE}"))?,
                    )
                }
                "--seed" => {
                    options.seed =
                        value("--seed")?.parse().map_err(|_| format!("--seed must be an integer\n{USAGE}"))?
                }
                "--log-capacity" => {
                    options.log_capacity = value("--log-capacity")?
                        .parse()
                        .map_err(|_| format!("--log-capacity must be a count of requests\n{USAGE}"))?
                }
                "--quiet" => options.quiet = true,
                "-h" | "--help" => return Ok(Parsed::Help),
                other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
            }
        }
        Ok(Parsed::Run(options))
    }
}

/// One request as a JSON line: what arrived and how the sandbox judged it. The Authorization
/// signature is already redacted in the log; bodies are text, or base64 when not UTF-8.
pub fn json_line(request: &LoggedRequest) -> String {
    let headers: Map<String, Value> =
        request.headers.iter().map(|(name, value)| (name.clone(), Value::String(value.clone()))).collect();
    let (verdict, reason) = match &request.verdict {
        Verdict::Authenticated => ("authenticated", None),
        Verdict::Unauthenticated { reason } => ("unauthenticated", Some(reason.as_str())),
        Verdict::Invalid { reason } => ("invalid", Some(reason.as_str())),
        _ => ("other", None),
    };
    let mut line = json!({
        "method": request.method,
        "target": request.target,
        "status": request.status,
        "verdict": verdict,
        "reason": reason,
        "tls": request.tls,
        "client_cert": request.client_cert,
        "headers": headers,
    });
    match std::str::from_utf8(&request.body) {
        Ok(text) => line["body"] = Value::String(text.to_owned()),
        Err(_) => line["body_base64"] = Value::String(base64::engine::general_purpose::STANDARD.encode(&request.body)),
    }
    line.to_string()
}

/// Writes `text` to `path`; `private` files are readable by their owner only (mode 600 on Unix), so
/// tools that refuse unprotected keys (ssh-style) accept them.
fn write_file(path: &Path, text: &str, private: bool) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        // An existing file keeps its mode on open: tighten it first.
        if path.exists() {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    #[cfg(not(unix))]
    let _ = private;
    options.open(path)?.write_all(text.as_bytes())
}

impl Sandbox {
    /// Writes the sandbox's throwaway keys into `dir` (created if needed): `apiclient_key.pem` and
    /// `apiclient_cert.pem` (the merchant's), `wechatpay_<serial>.pem` (the platform certificate),
    /// `pub_key.pem` (the WeChat Pay public key), `sandbox_tls_root.pem` (the certificate to trust for
    /// `https://`, [`Sandbox::tls_root_pem`]) and `sandbox.json` (base URIs, mchid, serials, public key id,
    /// APIv3 and APIv2 keys, file names): everything a program in another language needs to talk to it.
    /// The private key and `sandbox.json` are written with mode 600 on Unix.
    pub fn write_keys(&self, dir: &Path) -> Result<(), Error> {
        write_keys(dir, self).map_err(Error::new)
    }
}

fn write_keys(dir: &Path, sandbox: &Sandbox) -> Result<(), String> {
    let keys = sandbox.keys();
    let fail = |what: &str, e: std::io::Error| format!("cannot write {what} in {}: {e}", dir.display());
    std::fs::create_dir_all(dir).map_err(|e| fail("the directory", e))?;
    let platform_file = format!("wechatpay_{}.pem", keys.platform_serial());
    let mut files = vec![
        ("merchant_private_key", "apiclient_key.pem".to_owned(), keys.merchant_private_key_pem().to_owned(), true),
        ("platform_certificate", platform_file, keys.platform_certificate_pem().to_owned(), false),
        ("wechatpay_public_key", "pub_key.pem".to_owned(), keys.public_key_pem().to_owned(), false),
        ("tls_root_certificate", "sandbox_tls_root.pem".to_owned(), sandbox.tls_root_pem().to_owned(), false),
    ];
    if let Some(cert) = keys.merchant_certificate_pem() {
        files.push(("merchant_certificate", "apiclient_cert.pem".to_owned(), cert.to_owned(), false));
    }
    let mut names = Map::new();
    for (role, name, text, private) in &files {
        write_file(&dir.join(name), text, *private).map_err(|e| fail(name, e))?;
        names.insert((*role).to_owned(), Value::String(name.clone()));
    }
    let summary = json!({
        "_comment": "THROWAWAY sandbox keys; they protect nothing",
        "base_uri": sandbox.base_uri(),
        "https_base_uri": sandbox.https_base_uri(),
        "mchid": keys.mchid(),
        "merchant_serial": keys.merchant_serial(),
        "platform_serial": keys.platform_serial(),
        "public_key_id": keys.public_key_id(),
        "apiv3_key": keys.apiv3_key(),
        "apiv2_key": keys.apiv2_key(),
        "files": names,
    });
    let text = serde_json::to_string_pretty(&summary).map_err(|e| e.to_string())?;
    write_file(&dir.join("sandbox.json"), &text, true).map_err(|e| fail("sandbox.json", e))
}

/// Starts the sandbox as `options` say, writes the keys (with `keys_dir`), prints
/// `listening 127.0.0.1:PORT` on stdout, then one [`json_line`] per request (unless `quiet`), and
/// serves until the process is stopped (Ctrl-C, SIGTERM): it returns only on a start-up failure, with
/// the message to print.
pub fn run(options: &ProcessOptions) -> Result<std::convert::Infallible, String> {
    let stdout = Arc::new(Mutex::new(std::io::stdout()));
    let mut builder =
        Sandbox::builder().port(options.port).sign_mode(options.sign_mode).log_capacity(options.log_capacity);
    if let Some(mchid) = &options.mchid {
        builder = builder.mchid(mchid.clone());
    }
    if let Some(rate) = options.fault_rate {
        builder = builder.random_faults(rate, options.seed);
    }
    if !options.quiet {
        let out = Arc::clone(&stdout);
        builder = builder.on_request(move |request| {
            let mut out = out.lock().unwrap_or_else(PoisonError::into_inner);
            let _ = writeln!(out, "{}", json_line(request));
            let _ = out.flush();
        });
    }
    let sandbox = builder.start().map_err(|e| e.to_string())?;
    if let Some(dir) = &options.keys_dir {
        write_keys(dir, &sandbox)?;
    }
    {
        let mut out = stdout.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = writeln!(out, "listening {}", sandbox.addr());
        let _ = out.flush();
    }
    // Serve until the process is stopped; the sandbox runs on its own thread.
    let _sandbox = sandbox;
    loop {
        std::thread::park();
    }
}
