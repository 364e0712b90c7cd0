//! Streaming a 1 GiB synthetic bill through `download` + SHA-1 check on loopback, recording throughput
//! and peak RSS (Linux `VmHWM`, reset just before the download). A single timed run per size, not a
//! criterion loop: one pass over 1 GiB is the measurement.
//!
//! `cargo bench --bench download` (optionally `-- <MiB>`); results are recorded in BENCHMARKS.md.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::Instant;

use wechatpay_chain::Client;
use wechatpay_chain::download::HashType;

const BLOCK: usize = 64 * 1024;

fn key_path(name: &str) -> String {
    format!("file://{}/tests/data/keys/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// One 64 KiB block of bill-like CSV lines, repeated to the requested size.
fn block() -> Vec<u8> {
    let mut out = Vec::with_capacity(BLOCK);
    let mut i = 0u64;
    while out.len() < BLOCK {
        let line = format!(
            "`2024-11-24 10:{:02}:{:02},`wx2b029c08a6233333,`1900000001,`0,`,`42000000002024112400{:08},`SYNTH{:010},`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`NATIVE,`SUCCESS,`OTHERS,`CNY,`1.00,`0.00\r\n",
            (i / 60) % 60,
            i % 60,
            i,
            i
        );
        out.extend_from_slice(line.as_bytes());
        i += 1;
    }
    out.truncate(BLOCK);
    out
}

/// Serves `blocks` copies of `block` as one unsigned download, once.
fn serve(listener: TcpListener, block: Vec<u8>, blocks: usize) {
    std::thread::spawn(move || {
        let Ok((stream, _)) = listener.accept() else { return };
        let mut reader = BufReader::new(stream.try_clone().expect("clone"));
        let mut line = String::new();
        while reader.read_line(&mut line).map(|n| n > 2).unwrap_or(false) {
            line.clear();
        }
        let mut out = std::io::BufWriter::with_capacity(4 * BLOCK, stream);
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            block.len() * blocks
        );
        if out.write_all(head.as_bytes()).is_err() {
            return;
        }
        for _ in 0..blocks {
            if out.write_all(&block).is_err() {
                return;
            }
        }
        let _ = out.flush();
    });
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let mib: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1024);
    let blocks = mib * 1024 * 1024 / BLOCK;
    let block = block();
    let mut context = ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY);
    for _ in 0..blocks {
        context.update(&block);
    }
    let sha1: String = context.finish().as_ref().iter().map(|b| format!("{b:02x}")).collect();

    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}/", listener.local_addr().expect("addr"));
    let client = Client::builder()
        .mchid("1900000001")
        .serial("1946DD7BDF37823B2192F1DB21574B1D465D9A21")
        .private_key(key_path("merchant_apiclient_key.pem"))
        .public_key("PUB_KEY_ID_0112345678202411240000000000000000", key_path("wechatpay_public_key.pem"))
        .base_uri(base)
        .build()
        .expect("client");
    serve(listener, block, blocks);

    // Reset the peak so it reflects the download, not the setup.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = status_kib("VmRSS:").unwrap_or(0);
    let started = Instant::now();
    let mut download = client
        .chain("v3/billdownload/file")
        .download(serde_json::json!({"query": {"token": "synthetic"}}))
        .expect("download")
        .expect_digest(HashType::Sha1, &sha1);
    let bytes = download.copy_to(&mut std::io::sink()).expect("streamed and verified");
    let elapsed = started.elapsed();
    let peak = status_kib("VmHWM:").unwrap_or(0);
    let mb = bytes as f64 / (1024.0 * 1024.0);
    println!(
        "download/{mib} MiB + SHA-1: {bytes} bytes in {:.2} s = {:.0} MiB/s; RSS before {:.1} MiB, peak during {:.1} MiB",
        elapsed.as_secs_f64(),
        mb / elapsed.as_secs_f64(),
        before as f64 / 1024.0,
        peak as f64 / 1024.0
    );
}
