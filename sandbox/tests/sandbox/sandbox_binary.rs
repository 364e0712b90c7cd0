//! The `wechatpay-sandbox` binary, used the way an application in another language would: start it,
//! read `listening …`, load the keys it wrote, call it, read its JSON request log.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};

use serde_json::{Value, json};
use wechatpay_chain::{Client, Verification};

struct Running {
    child: Child,
    lines: std::io::Lines<BufReader<ChildStdout>>,
    addr: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(args: &[&str]) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wechatpay-sandbox"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the binary starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("a first line").expect("text");
    let addr = first.strip_prefix("listening ").unwrap_or_else(|| panic!("unexpected first line `{first}`")).to_owned();
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    Running { child, lines, addr }
}

fn temp_dir(name: &str) -> PathBuf {
    let unique = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    std::env::temp_dir().join(format!("wechatpay-sandbox-{name}-{}-{unique}", std::process::id()))
}

fn face_call() -> Value {
    json!({"face_sid": "aabbccdd12345", "query": {"info_type": "ASK_UNIONID", "appid": "wx2b029c08a6233333"}})
}

#[test]
fn keys_dir_and_json_request_log() {
    let dir = temp_dir("keys");
    let mut sandbox = start(&["--port", "0", "--keys-dir", dir.to_str().unwrap(), "--sign-mode", "mixed"]);

    // Only the files and sandbox.json: what an application in any language has.
    let summary: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("sandbox.json")).unwrap()).unwrap();
    assert_eq!(summary["base_uri"], format!("http://{}/", sandbox.addr));
    let file = |role: &str| format!("file://{}", dir.join(summary["files"][role].as_str().unwrap()).display());
    let text = |key: &str| summary[key].as_str().unwrap().to_owned();
    assert!(dir.join("apiclient_cert.pem").exists());
    let client = Client::builder()
        .mchid(text("mchid"))
        .serial(text("merchant_serial"))
        .private_key(file("merchant_private_key"))
        .public_key(text("public_key_id"), file("wechatpay_public_key"))
        .cert(text("platform_serial"), file("platform_certificate"))
        .apiv3_key(text("apiv3_key"))
        .base_uri(text("base_uri"))
        .build()
        .unwrap();

    let res = client.chain("v3/facemch/users/{face_sid}").get(face_call()).unwrap();
    assert_eq!(res.verification(), &Verification::Signed { key_id: text("public_key_id") });
    let line: Value = serde_json::from_str(&sandbox.lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(line["method"], "GET");
    assert!(line["target"].as_str().unwrap().starts_with("/v3/facemch/users/aabbccdd12345?"));
    assert_eq!((line["status"].as_u64(), line["verdict"].as_str()), (Some(200), Some("authenticated")));
    let authorization = line["headers"]["authorization"].as_str().unwrap();
    assert!(authorization.contains("signature=\"<redacted>\""), "{authorization}");
    assert_eq!(line["headers"]["wechatpay-serial"], text("public_key_id"));

    // The certificate download works against the files too.
    let downloaded = client.download_certificates().unwrap();
    assert_eq!(downloaded[0].serial(), text("platform_serial"));
    let line: Value = serde_json::from_str(&sandbox.lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(line["target"], "/v3/certificates");

    // An unsigned request is logged as such.
    let unsigned = Client::builder()
        .mchid(text("mchid"))
        .serial("1234567890ABCDEF1234567890ABCDEF12345678")
        .private_key(file("merchant_private_key"))
        .public_key(text("public_key_id"), file("wechatpay_public_key"))
        .base_uri(text("base_uri"))
        .build()
        .unwrap();
    let error = unsigned.chain("v3/facemch/users/{face_sid}").get(face_call()).unwrap_err();
    assert_eq!(error.api().map(|a| a.code()), Some(Some("SIGN_ERROR")));
    let line: Value = serde_json::from_str(&sandbox.lines.next().unwrap().unwrap()).unwrap();
    assert_eq!((line["status"].as_u64(), line["verdict"].as_str()), (Some(401), Some("unauthenticated")));
    assert!(line["reason"].as_str().unwrap().contains("serial"), "{line}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn fault_rate_and_usage_errors() {
    let dir = temp_dir("faults");
    let sandbox = start(&["--keys-dir", dir.to_str().unwrap(), "--fault-rate", "1", "--seed", "7", "--quiet"]);
    let summary: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("sandbox.json")).unwrap()).unwrap();
    let file = |role: &str| format!("file://{}", dir.join(summary["files"][role].as_str().unwrap()).display());
    let client = Client::builder()
        .mchid(summary["mchid"].as_str().unwrap())
        .serial(summary["merchant_serial"].as_str().unwrap())
        .private_key(file("merchant_private_key"))
        .public_key(summary["public_key_id"].as_str().unwrap(), file("wechatpay_public_key"))
        .base_uri(summary["base_uri"].as_str().unwrap())
        .timeout(std::time::Duration::from_secs(1))
        .build()
        .unwrap();
    // Every request gets a fault; some (a short delay) still succeed, most fail with a typed error.
    let failures = (0..20).filter(|_| client.chain("v3/facemch/users/{face_sid}").get(face_call()).is_err()).count();
    assert!(failures >= 10, "{failures} of 20 failed");
    drop(sandbox);
    let _ = std::fs::remove_dir_all(dir);

    let out = Command::new(env!("CARGO_BIN_EXE_wechatpay-sandbox")).args(["--sign-mode", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown sign mode `nope`"));
}
