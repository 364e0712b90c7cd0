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

mod support;

use std::path::PathBuf;

use wechatpay_sandbox::{Sandbox, SignMode};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let output = output_dir()?;
    let (client, _sandbox) = match support::client_from_env(&[
        "WECHATPAY_MCHID",
        "WECHATPAY_SERIAL",
        "WECHATPAY_PRIVATE_KEY",
        "WECHATPAY_APIV3_KEY",
    ])? {
        Some(client) => (client, None),
        None => {
            let sandbox = Sandbox::builder().sign_mode(SignMode::Certificate).start()?;
            println!("no WECHATPAY_* environment: using the local sandbox at {}", sandbox.base_uri());
            // Automatic certificate mode: the merchant's identity and the APIv3 key, nothing else.
            let client = sandbox.merchant_builder().apiv3_key(sandbox.keys().apiv3_key()).build()?;
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
