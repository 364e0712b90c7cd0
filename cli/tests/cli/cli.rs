//! The `wechatpay` command-line tool, driven as a process against an in-process sandbox whose keys are
//! written to a temporary directory (private files mode 600).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;

use crate::common::{BIN, FACE, Fixture, check, chmod};
use assert_cmd::Command;
use serde_json::{Value, json};
use wechatpay_chain::http::Method;
use wechatpay_sandbox::{NotificationSpec, SignMode, Tamper};

#[test]
fn get_prints_compact_json_and_the_head() {
    let f = Fixture::new("get", SignMode::PublicKey);
    let (stdout, stderr) = check(&f.run(&FACE), 0);
    // Piped: compact, one line.
    assert_eq!(stdout.trim_end().lines().count(), 1, "{stdout}");
    let body: Value = serde_json::from_str(&stdout).unwrap();
    assert!(body["openid"].is_string(), "{body}");
    assert!(stderr.contains("HTTP 200 OK"), "{stderr}");
    assert!(stderr.contains("Request-ID: "), "{stderr}");
    assert!(stderr.contains(&format!("signed by {}", f.sandbox.keys().public_key_id())), "{stderr}");
    assert!(!stderr.contains("signed message"), "not verbose: {stderr}");
}

#[test]
fn post_with_json_from_a_file() {
    let f = Fixture::new("post", SignMode::PublicKey);
    let order = json!({
        "appid": "wx2b029c08a6233333", "mchid": f.sandbox.keys().mchid(), "description": "T-shirt",
        "out_trade_no": "CLI20261125001", "notify_url": "https://example.com/notify",
        "amount": {"total": 100, "currency": "CNY"},
    });
    let file = f.write("order.json", order.to_string().as_bytes());
    let (stdout, _) = check(&f.run(&["post", "v3/pay/transactions/native", "--json", &format!("@{file}")]), 0);
    let body: Value = serde_json::from_str(&stdout).unwrap();
    assert!(body["code_url"].is_string(), "{body}");
    // The same order queried back.
    let query = format!("mchid={}", f.sandbox.keys().mchid());
    let (stdout, _) = check(
        &f.run(&["get", "v3/pay/transactions/out-trade-no/{n}", "--param", "n=CLI20261125001", "--query", &query]),
        0,
    );
    assert!(stdout.contains("CLI20261125001"), "{stdout}");
}

#[test]
fn verbose_shows_the_signed_message_and_a_shortened_authorization() {
    let f = Fixture::new("verbose", SignMode::PublicKey);
    let mut args = FACE.to_vec();
    args.push("--verbose");
    let (_, stderr) = check(&f.run(&args), 0);
    let expected =
        "> signed message: GET\\n/v3/facemch/users/aabbccdd12345?info_type=ASK_UNIONID&appid=wx2b029c08a6233333\\n";
    assert!(stderr.contains(expected), "{stderr}");
    let line = stderr.lines().find(|l| l.starts_with("> Authorization: ")).unwrap();
    assert!(line.contains(&format!("mchid=\"{}\"", f.sandbox.keys().mchid())), "{line}");
    let signature = line.split("signature=\"").nth(1).unwrap();
    assert_eq!(signature.chars().count(), 10, "8 characters, `…` and the quote: {line}");
    assert!(signature.ends_with("…\""), "{line}");
    // The signed message names the nonce and timestamp the Authorization carries.
    let message = stderr.lines().find(|l| l.starts_with("> signed message: ")).unwrap();
    let parts: Vec<&str> = message.split("\\n").collect();
    assert!(line.contains(&format!("timestamp=\"{}\",nonce_str=\"{}\"", parts[2], parts[3])), "{message}\n{line}");
}

#[test]
fn credentials_from_the_environment() {
    let f = Fixture::new("env", SignMode::PublicKey);
    let keys = f.sandbox.keys();
    let output = f
        .bare()
        .env("WECHATPAY_MCHID", keys.mchid())
        .env("WECHATPAY_SERIAL", keys.merchant_serial())
        .env("WECHATPAY_PRIVATE_KEY", f.path("apiclient_key.pem"))
        .env("WECHATPAY_CERTS", format!("{}={}", keys.public_key_id(), f.path("pub_key.pem")))
        .env("WECHATPAY_BASE_URI", f.sandbox.base_uri())
        .args(FACE)
        .output()
        .unwrap();
    let (stdout, _) = check(&output, 0);
    assert!(stdout.contains("openid"), "{stdout}");

    // A flag wins over the environment: a wrong serial from the flag is what is sent.
    let output = f
        .bare()
        .env("WECHATPAY_MCHID", keys.mchid())
        .env("WECHATPAY_SERIAL", keys.merchant_serial())
        .env("WECHATPAY_PRIVATE_KEY", f.path("apiclient_key.pem"))
        .env("WECHATPAY_PUBLIC_KEY_ID", keys.public_key_id())
        .env("WECHATPAY_PUBLIC_KEY", f.path("pub_key.pem"))
        .env("WECHATPAY_BASE_URI", f.sandbox.base_uri())
        .args(FACE)
        .args(["--serial", "1234567890ABCDEF1234567890ABCDEF12345678"])
        .output()
        .unwrap();
    let (_, stderr) = check(&output, 1);
    assert!(stderr.contains("api 401 SIGN_ERROR"), "{stderr}");
}

#[test]
fn credentials_from_a_profile() {
    let f = Fixture::new("profile", SignMode::PublicKey);
    let keys = f.sandbox.keys();
    let profiles = format!(
        "[sandbox]\nmchid = \"{}\"\nserial = \"{}\"\nprivate_key = \"{}\"\npublic_key_id = \"{}\"\npublic_key = \"{}\"\n\
         base_uri = \"{}\"\n\n[inline]\nmchid = \"1900000001\"\nserial = \"{}\"\nprivate_key = \"-----BEGIN PRIVATE KEY-----\"\n",
        keys.mchid(),
        keys.merchant_serial(),
        f.path("apiclient_key.pem"),
        keys.public_key_id(),
        f.path("pub_key.pem"),
        f.sandbox.base_uri(),
        keys.merchant_serial(),
    );
    let config = f.write("profiles.toml", profiles.as_bytes());
    let output = f.bare().env("WECHATPAY_CONFIG", &config).args(FACE).args(["--profile", "sandbox"]).output().unwrap();
    let (stdout, _) = check(&output, 0);
    assert!(stdout.contains("openid"), "{stdout}");

    // Found through XDG_CONFIG_HOME too.
    std::fs::create_dir_all(f.dir.join("xdg/wechatpay")).unwrap();
    std::fs::copy(&config, f.dir.join("xdg/wechatpay/profiles.toml")).unwrap();
    let output =
        f.bare().env("XDG_CONFIG_HOME", f.dir.join("xdg")).args(FACE).args(["--profile", "sandbox"]).output().unwrap();
    check(&output, 0);

    let output = f.bare().env("WECHATPAY_CONFIG", &config).args(FACE).args(["--profile", "inline"]).output().unwrap();
    let (_, stderr) = check(&output, 2);
    assert!(stderr.contains("config:") && stderr.contains("inline key"), "{stderr}");

    let output = f.bare().env("WECHATPAY_CONFIG", &config).args(FACE).args(["--profile", "nope"]).output().unwrap();
    let (_, stderr) = check(&output, 2);
    assert!(stderr.contains("no profile `[nope]`"), "{stderr}");
}

#[test]
fn certificates_download_saves_the_pem_files() {
    let f = Fixture::new("certs", SignMode::Certificate);
    let keys = f.sandbox.keys();
    let key_file = f.write_secret("apiv3.key", format!("{}\n", keys.apiv3_key()).as_bytes());
    let out_dir = f.dir.join("certs");
    let output = f
        .bare()
        .args(["certificates", "download", "--mchid", keys.mchid(), "--serial", keys.merchant_serial()])
        .args(["--private-key", &f.path("apiclient_key.pem"), "--apiv3-key-file", &key_file])
        .args(["--base-uri", &f.sandbox.base_uri(), "--output"])
        .arg(&out_dir)
        .output()
        .unwrap();
    let (stdout, stderr) = check(&output, 0);
    assert!(stdout.contains(&format!("serial {}", keys.platform_serial())), "{stdout}");
    assert!(stdout.contains("effective") && stdout.contains("expires"), "{stdout}");
    assert!(stderr.contains("1 certificate(s)"), "{stderr}");
    let saved = std::fs::read_to_string(out_dir.join(format!("wechatpay_{}.pem", keys.platform_serial()))).unwrap();
    assert_eq!(saved.trim(), keys.platform_certificate_pem().trim());

    // Without the APIv3 key: a configuration error naming it.
    let output = f
        .bare()
        .args(["certificates", "download", "--mchid", keys.mchid(), "--serial", keys.merchant_serial()])
        .args(["--private-key", &f.path("apiclient_key.pem")])
        .output()
        .unwrap();
    let (_, stderr) = check(&output, 2);
    assert!(stderr.contains("missing APIv3 key") && stderr.contains("WECHATPAY_APIV3_KEY"), "{stderr}");
}

fn raw_headers(headers: &wechatpay_chain::http::HeaderMap) -> String {
    let mut text = String::from("POST /wechatpay/notify HTTP/1.1\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{}: {}\r\n", name, value.to_str().unwrap()));
    }
    text
}

#[test]
fn notify_verify_decrypts_and_refuses_forgeries() {
    let f = Fixture::new("notify", SignMode::PublicKey);
    let keys = f.sandbox.keys();
    let resource = json!({"out_trade_no": "1217752501201407033233368018", "trade_state": "SUCCESS"});
    let verify = |forged: &wechatpay_sandbox::ForgedNotification, json_headers: bool| {
        let headers = if json_headers {
            let object: serde_json::Map<String, Value> =
                forged.headers.iter().map(|(n, v)| (n.to_string(), json!(v.to_str().unwrap()))).collect();
            Value::Object(object).to_string()
        } else {
            raw_headers(&forged.headers)
        };
        let headers = f.write("headers.txt", headers.as_bytes());
        let body = f.write("body.json", &forged.body);
        f.bare()
            .env("WECHATPAY_APIV3_KEY", keys.apiv3_key())
            .args(["notify", "verify", "--headers", &headers, "--body", &body])
            .args(f.flags())
            .output()
            .unwrap()
    };

    let forged = f.sandbox.notification(&NotificationSpec::new("TRANSACTION.SUCCESS", resource.clone())).unwrap();
    for json_headers in [false, true] {
        let (stdout, stderr) = check(&verify(&forged, json_headers), 0);
        assert_eq!(serde_json::from_str::<Value>(&stdout).unwrap(), resource);
        assert!(stderr.contains(&format!("id: {}", forged.id)), "{stderr}");
        assert!(stderr.contains("event_type: TRANSACTION.SUCCESS"), "{stderr}");
        assert!(stderr.contains(&format!("signed by {}", keys.public_key_id())), "{stderr}");
    }

    for (tamper, kind) in
        [(Tamper::Probe, "notification signature probe"), (Tamper::Body, "notification bad signature")]
    {
        let forged = f
            .sandbox
            .notification(&NotificationSpec::new("TRANSACTION.SUCCESS", resource.clone()).tamper(tamper))
            .unwrap();
        let (stdout, stderr) = check(&verify(&forged, false), 1);
        assert!(stdout.is_empty(), "{stdout}");
        assert!(stderr.contains(kind), "{stderr}");
    }
}

#[test]
fn sign_is_deterministic_and_matches_the_client() {
    let f = Fixture::new("sign", SignMode::PublicKey);
    let client = f.sandbox.client_builder().build().unwrap();
    let keys = f.sandbox.keys();
    let merchant = ["--mchid", keys.mchid(), "--serial", keys.merchant_serial()];

    let prepared = client.chain("v3/certificates").prepare(Method::GET, ()).unwrap();
    let expected = client.authorization(&prepared, 1795562040, "1ctwEQXPza9IjXcE4k2CAyJZABm7zmkn").unwrap();
    let output = f
        .bare()
        .args(["sign", "--private-key", &f.path("apiclient_key.pem"), "--method", "GET", "--target"])
        .args(["/v3/certificates", "--timestamp", "1795562040", "--nonce", "1ctwEQXPza9IjXcE4k2CAyJZABm7zmkn"])
        .args(merchant)
        .output()
        .unwrap();
    let (stdout, _) = check(&output, 0);
    assert!(stdout.contains("message: GET\\n/v3/certificates\\n1795562040\\n1ctwEQXPza9IjXcE4k2CAyJZABm7zmkn\\n\\n"));
    assert!(stdout.contains(&format!("Authorization: {expected}\n")), "{stdout}\n{expected}");

    // With a body, byte for byte.
    let prepared = client
        .chain("v3/refund/domestic/refunds")
        .prepare(Method::POST, json!({"json": {"out_refund_no": "R1"}}))
        .unwrap();
    let expected = client.authorization(&prepared, 1795562041, "N2").unwrap();
    let body = f.write("body.json", prepared.body());
    let output = f
        .bare()
        .args(["sign", "--private-key", &f.path("apiclient_key.pem"), "--method", "post", "--target"])
        .args([prepared.request_target(), "--body", &body, "--timestamp", "1795562041", "--nonce", "N2"])
        .args(merchant)
        .output()
        .unwrap();
    let (stdout, _) = check(&output, 0);
    assert!(stdout.contains(&format!("Authorization: {expected}\n")), "{stdout}");
}

#[test]
fn download_a_bill_with_its_digest() {
    let f = Fixture::new("download", SignMode::PublicKey);
    let (stdout, _) = check(&f.run(&["get", "v3/bill/tradebill", "--query", "bill_date=2024-11-24"]), 0);
    let link: Value = serde_json::from_str(&stdout).unwrap();
    let (url, hash) = (link["download_url"].as_str().unwrap(), link["hash_value"].as_str().unwrap());

    let file = f.dir.join("bill.csv");
    let file_arg = file.display().to_string();
    let (_, stderr) =
        check(&f.run(&["download", url, "--output", &file_arg, "--hash-type", "SHA1", "--hash-value", hash]), 0);
    assert!(stderr.contains("unsigned download"), "{stderr}");
    assert!(stderr.contains("digest checked"), "{stderr}");
    assert!(!stderr.contains('\r'), "no progress bar when stderr is not a terminal: {stderr:?}");
    let bill = std::fs::read_to_string(&file).unwrap();
    assert!(bill.starts_with("交易时间") || bill.contains(','), "{bill}");

    // A wrong digest: an error, and no file (not even the .part) is left.
    let other = f.dir.join("bad.csv");
    let other_arg = other.display().to_string();
    let wrong = "0".repeat(40);
    let (_, stderr) =
        check(&f.run(&["download", url, "--output", &other_arg, "--hash-type", "SHA1", "--hash-value", &wrong]), 1);
    assert!(stderr.contains("error: download:"), "{stderr}");
    assert!(!other.exists() && !f.dir.join("bad.csv.part").exists());
}

#[test]
fn sandbox_subcommand_listens() {
    let dir = std::env::temp_dir().join(format!("wechatpay-cli-sandbox-{}", std::process::id()));
    let mut child = std::process::Command::new(BIN)
        .args(["sandbox", "--port", "0", "--quiet", "--sign-mode", "mixed", "--keys-dir"])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(first.starts_with("listening 127.0.0.1:"), "{first}");
    assert!(Path::new(&dir).join("sandbox.json").exists());
    let _ = std::fs::remove_dir_all(&dir);

    let output = Command::new(BIN).args(["sandbox", "--sign-mode", "nope"]).output().unwrap();
    let (_, stderr) = check(&output, 2);
    assert!(stderr.contains("unknown sign mode `nope`"), "{stderr}");
}

#[test]
fn failures_name_their_kind_and_exit_code() {
    let f = Fixture::new("failures", SignMode::PublicKey);

    // A missing credential: exit 2, naming it and where to give it.
    let output =
        f.bare().args(FACE).args(["--serial", "ABC", "--private-key", &f.path("apiclient_key.pem")]).output().unwrap();
    let (_, stderr) = check(&output, 2);
    assert!(stderr.contains("config: missing merchant id"), "{stderr}");
    assert!(stderr.contains("--mchid") && stderr.contains("WECHATPAY_MCHID"), "{stderr}");

    // Bad JSON: an input error, nothing sent.
    let (_, stderr) = check(&f.run(&["post", "v3/pay/transactions/native", "--json", "{"]), 2);
    assert!(stderr.contains("input: --json is not valid JSON") && stderr.contains("nothing was sent"), "{stderr}");

    // A 4xx: exit 1 with the code.
    let query = format!("mchid={}", f.sandbox.keys().mchid());
    let (_, stderr) =
        check(&f.run(&["get", "v3/pay/transactions/out-trade-no/{n}", "--param", "n=NOPE", "--query", &query]), 1);
    assert!(stderr.contains("error: api 404 ORDER_NOT_EXIST"), "{stderr}");
    assert!(stderr.contains("the request was sent"), "{stderr}");

    // A response that fails verification.
    let mut args = FACE.to_vec();
    args.extend(["--header", "X-Sandbox-Fault: bad-signature"]);
    let (stdout, stderr) = check(&f.run(&args), 1);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("error: verification:"), "{stderr}");
    assert!(stderr.contains("the request was sent"), "{stderr}");

    // A transport failure: nothing listens there.
    let mut flags = f.flags();
    flags.truncate(flags.len() - 2);
    let output = f.bare().args(FACE).args(flags).args(["--base-uri", "http://127.0.0.1:9/"]).output().unwrap();
    let (_, stderr) = check(&output, 1);
    assert!(stderr.contains("error: transport:") && stderr.contains("not sent"), "{stderr}");

    // A world-readable private key is refused like ssh does.
    if cfg!(unix) {
        chmod(&f.path("apiclient_key.pem"), 0o644);
        let (_, stderr) = check(&f.run(&FACE), 2);
        assert!(stderr.contains("UNPROTECTED PRIVATE KEY FILE"), "{stderr}");
        assert!(stderr.contains("chmod 600"), "{stderr}");
        chmod(&f.path("apiclient_key.pem"), 0o600);
    }
}
