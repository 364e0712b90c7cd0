//! `wechatpay-sandbox`: the SDK's local WeChat Pay imitation as a process, for integration tests in any
//! language.
//!
//! ```text
//! cargo run --bin wechatpay-sandbox -- --port 0 --keys-dir ./sandbox-keys
//! ```
//!
//! Prints `listening 127.0.0.1:PORT` first, then one JSON line per request it receives. With
//! `--keys-dir DIR` it writes the throwaway keys an application needs to talk to it:
//! `apiclient_key.pem` and `apiclient_cert.pem` (the merchant's), `wechatpay_<serial>.pem` (the platform
//! certificate), `pub_key.pem` (the WeChat Pay public key) and `sandbox.json` (base URI, mchid, serials,
//! public key id, APIv3 key, file names). Runs until stopped (Ctrl-C, SIGTERM).

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use base64::Engine;
use serde_json::{Map, Value, json};
use wechatpay_chain::sandbox::{LoggedRequest, Sandbox, SignMode, Verdict};

const USAGE: &str = "usage: wechatpay-sandbox [--port N] [--keys-dir DIR] [--mchid ID] \
[--sign-mode public-key|certificate|mixed] [--fault-rate R --seed S] [--quiet]";

struct Args {
    port: u16,
    keys_dir: Option<PathBuf>,
    mchid: Option<String>,
    mode: SignMode,
    fault_rate: Option<f64>,
    seed: u64,
    quiet: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        port: 0,
        keys_dir: None,
        mchid: None,
        mode: SignMode::PublicKey,
        fault_rate: None,
        seed: 0,
        quiet: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--port" => {
                args.port = value("--port")?.parse().map_err(|_| format!("--port must be 0 to 65535\n{USAGE}"))?
            }
            "--keys-dir" => args.keys_dir = Some(value("--keys-dir")?.into()),
            "--mchid" => args.mchid = Some(value("--mchid")?),
            "--sign-mode" => {
                args.mode = match value("--sign-mode")?.as_str() {
                    "public-key" => SignMode::PublicKey,
                    "certificate" => SignMode::Certificate,
                    "mixed" => SignMode::Mixed,
                    other => return Err(format!("unknown sign mode `{other}`\n{USAGE}")),
                }
            }
            "--fault-rate" => {
                args.fault_rate = Some(
                    value("--fault-rate")?.parse().map_err(|_| format!("--fault-rate must be a number\n{USAGE}"))?,
                )
            }
            "--seed" => {
                args.seed = value("--seed")?.parse().map_err(|_| format!("--seed must be an integer\n{USAGE}"))?
            }
            "--quiet" => args.quiet = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    Ok(args)
}

/// One request as a JSON line: what arrived and how the sandbox judged it. The Authorization
/// signature is already redacted in the log; bodies are text, or base64 when not UTF-8.
fn json_line(request: &LoggedRequest) -> String {
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
        "headers": headers,
    });
    match std::str::from_utf8(&request.body) {
        Ok(text) => line["body"] = Value::String(text.to_owned()),
        Err(_) => line["body_base64"] = Value::String(base64::engine::general_purpose::STANDARD.encode(&request.body)),
    }
    line.to_string()
}

fn write_keys(dir: &std::path::Path, sandbox: &Sandbox) -> Result<(), String> {
    let keys = sandbox.keys();
    let fail = |what: &str, e: std::io::Error| format!("cannot write {what} in {}: {e}", dir.display());
    std::fs::create_dir_all(dir).map_err(|e| fail("the directory", e))?;
    let platform_file = format!("wechatpay_{}.pem", keys.platform_serial());
    let mut files = vec![
        ("merchant_private_key", "apiclient_key.pem".to_owned(), keys.merchant_private_key_pem().to_owned()),
        ("platform_certificate", platform_file, keys.platform_certificate_pem().to_owned()),
        ("wechatpay_public_key", "pub_key.pem".to_owned(), keys.public_key_pem().to_owned()),
    ];
    if let Some(cert) = keys.merchant_certificate_pem() {
        files.push(("merchant_certificate", "apiclient_cert.pem".to_owned(), cert.to_owned()));
    }
    let mut names = Map::new();
    for (role, name, text) in &files {
        std::fs::write(dir.join(name), text).map_err(|e| fail(name, e))?;
        names.insert((*role).to_owned(), Value::String(name.clone()));
    }
    let summary = json!({
        "_comment": "THROWAWAY sandbox keys; they protect nothing",
        "base_uri": sandbox.base_uri(),
        "mchid": keys.mchid(),
        "merchant_serial": keys.merchant_serial(),
        "platform_serial": keys.platform_serial(),
        "public_key_id": keys.public_key_id(),
        "apiv3_key": keys.apiv3_key(),
        "files": names,
    });
    let text = serde_json::to_string_pretty(&summary).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("sandbox.json"), text).map_err(|e| fail("sandbox.json", e))
}

fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let stdout = std::sync::Arc::new(Mutex::new(std::io::stdout()));
    let mut builder = Sandbox::builder().port(args.port).sign_mode(args.mode);
    if let Some(mchid) = args.mchid {
        builder = builder.mchid(mchid);
    }
    if let Some(rate) = args.fault_rate {
        builder = builder.random_faults(rate, args.seed);
    }
    if !args.quiet {
        let out = std::sync::Arc::clone(&stdout);
        builder = builder.on_request(move |request| {
            let mut out = out.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let _ = writeln!(out, "{}", json_line(request));
            let _ = out.flush();
        });
    }
    let sandbox = match builder.start() {
        Ok(sandbox) => sandbox,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    if let Some(dir) = &args.keys_dir {
        if let Err(message) = write_keys(dir, &sandbox) {
            eprintln!("{message}");
            std::process::exit(1);
        }
    }
    {
        let mut out = stdout.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = writeln!(out, "listening {}", sandbox.addr());
        let _ = out.flush();
    }
    // Serve until the process is stopped (Ctrl-C, SIGTERM); the sandbox runs on its own thread.
    let _sandbox = sandbox;
    loop {
        std::thread::park();
    }
}
