//! Downloads the WeChat Pay platform certificates and saves them as `wechatpay_<serial>.pem`, like the
//! PHP SDK's `CertificateDownloader`.
//!
//! ```text
//! cargo run --example download_certificates -- --output DIR
//! ```
//!
//! Reads the quickstart's variables (`WECHATPAY_MCHID`, `WECHATPAY_SERIAL`, `WECHATPAY_PRIVATE_KEY`,
//! optional `WECHATPAY_CERTS` and `WECHATPAY_BASE_URI`) plus `WECHATPAY_APIV3_KEY`. Without them it
//! runs against the local sandbox. `DIR` defaults to the system temporary directory.
//!
//! Each certificate is decrypted with the APIv3 key, parsed, and the download's signature is checked
//! with the downloaded certificates themselves; only certificates valid now are saved. Merchants that
//! only have a WeChat Pay public key get `RESOURCE_NOT_EXISTS` from WeChat Pay: they need no
//! certificates (configure the key with `.public_key(…)`).

use std::path::PathBuf;

use wechatpay_chain::Client;
use wechatpay_chain::sandbox::{Sandbox, SignMode};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let output = output_dir()?;
    let (client, _sandbox) = match client_from_env()? {
        Some(client) => (client, None),
        None => {
            let sandbox = Sandbox::builder().sign_mode(SignMode::Certificate).start()?;
            println!("no WECHATPAY_* environment: using the local sandbox at {}", sandbox.base_uri());
            let keys = sandbox.keys();
            let client = Client::builder()
                .mchid(keys.mchid())
                .serial(keys.merchant_serial())
                .private_key(keys.merchant_private_key_pem())
                .apiv3_key(keys.apiv3_key())
                .base_uri(sandbox.base_uri())
                .build()?;
            (client, Some(sandbox))
        }
    };

    // Joins the download an automatic-mode client starts by itself, or makes one.
    let certificates = match client.refresh_certificates() {
        Ok(certificates) => certificates,
        Err(e) => {
            eprintln!("{e}");
            if let Some(api) = e.certificates().and_then(|c| c.cause()).and_then(|c| c.api()) {
                eprintln!("WeChat Pay answered {} {}", api.status(), String::from_utf8_lossy(api.body()));
            }
            std::process::exit(1);
        }
    };
    std::fs::create_dir_all(&output)?;
    for certificate in &certificates {
        let path = output.join(format!("wechatpay_{}.pem", certificate.serial()));
        std::fs::write(&path, certificate.pem())?;
        println!(
            "serial {}\n  effective {}\n  expires   {}\n  saved to  {}",
            certificate.serial(),
            certificate.effective_time(),
            certificate.expire_time(),
            path.display()
        );
    }
    Ok(())
}

fn output_dir() -> Result<PathBuf, String> {
    let mut args = std::env::args().skip(1);
    let mut output = std::env::temp_dir();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-o" | "--output" => output = args.next().ok_or("--output needs a directory")?.into(),
            "-h" | "--help" => {
                println!("usage: download_certificates [--output DIR]");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}`; usage: download_certificates [--output DIR]")),
        }
    }
    Ok(output)
}

fn client_from_env() -> Result<Option<Client>, Box<dyn std::error::Error>> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let required = ["WECHATPAY_MCHID", "WECHATPAY_SERIAL", "WECHATPAY_PRIVATE_KEY", "WECHATPAY_APIV3_KEY"];
    let present: Vec<&str> = required.iter().copied().filter(|n| var(n).is_some()).collect();
    if present.is_empty() {
        return Ok(None);
    }
    if present.len() < required.len() {
        let missing: Vec<&str> = required.iter().copied().filter(|n| !present.contains(n)).collect();
        return Err(format!("set all of {} (missing: {})", required.join(", "), missing.join(", ")).into());
    }
    let get = |name: &str| var(name).unwrap_or_default();
    let mut builder = Client::builder()
        .mchid(get("WECHATPAY_MCHID"))
        .serial(get("WECHATPAY_SERIAL"))
        .private_key(format!("file://{}", get("WECHATPAY_PRIVATE_KEY")))
        .apiv3_key(get("WECHATPAY_APIV3_KEY"));
    for pair in var("WECHATPAY_CERTS").unwrap_or_default().split(',').filter(|p| !p.trim().is_empty()) {
        let (id, path) =
            pair.split_once('=').ok_or_else(|| format!("WECHATPAY_CERTS entry `{pair}` must look like ID=PEM_PATH"))?;
        builder = builder.cert(id.trim(), format!("file://{}", path.trim()));
    }
    if let Some(base) = var("WECHATPAY_BASE_URI") {
        builder = builder.base_uri(base);
    }
    Ok(Some(builder.build()?))
}
