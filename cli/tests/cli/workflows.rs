//! The `wechatpay` CLI's workflows against the sandbox: GZIP bills (download --gunzip / --gzip,
//! download-bill), APIv2 calls (pay/micropay, pay/orderquery, a `--security` refund over mutual TLS),
//! and APIv2 notifications.

use crate::common::{Fixture, check};
use serde_json::{Map, Value, json};
use wechatpay_chain::v2::{ApiV2Key, SignType, crypto, sign, xml};
use wechatpay_sandbox::SignMode;

const DATE: &str = "2024-11-24";
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

fn bill_link(f: &Fixture, extra: &[&str]) -> (String, String) {
    let mut args = vec!["get", "v3/bill/tradebill", "--query", "bill_date=2024-11-24"];
    args.extend(extra);
    let (stdout, _) = check(&f.run(&args), 0);
    let link: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(link["hash_type"], "SHA1");
    (link["download_url"].as_str().unwrap().to_owned(), link["hash_value"].as_str().unwrap().to_owned())
}

#[test]
fn the_readme_bill_workflow_works_for_gzip_bills() {
    let f = Fixture::new("gzip", SignMode::PublicKey);
    let plain = f.dir.join("plain.csv");
    let (url, hash) = bill_link(&f, &[]);
    check(
        &f.run(&["download", &url, "--output", &f.path("plain.csv"), "--hash-type", "SHA1", "--hash-value", &hash]),
        0,
    );
    let plain = std::fs::read(plain).unwrap();
    assert!(String::from_utf8(plain.clone()).unwrap().starts_with("交易时间,"));

    // tar_type=GZIP: the hash covers the decompressed bill; without --gunzip the check fails, says why,
    // and leaves nothing behind.
    let (url, hash) = bill_link(&f, &["--query", "tar_type=GZIP"]);
    let digest = ["--hash-type", "SHA1", "--hash-value", &hash];
    let out = f.dir.join("bill.csv");
    let mut args = vec!["download", &url, "--output"];
    let out_arg = out.display().to_string();
    args.push(&out_arg);
    args.extend(digest);
    let (_, stderr) = check(&f.run(&args), 1);
    assert!(stderr.contains("error: download:") && stderr.contains("add --gunzip"), "{stderr}");
    assert!(!out.exists() && !f.dir.join("bill.csv.part").exists());

    // --gunzip: decompressed, digest checked over the decompressed bytes.
    let mut gunzip = args.clone();
    gunzip.push("--gunzip");
    let (_, stderr) = check(&f.run(&gunzip), 0);
    assert!(stderr.contains("decompressed, digest of the decompressed file checked"), "{stderr}");
    assert_eq!(std::fs::read(&out).unwrap(), plain, "the same bill as the plain download");
    assert!(!f.dir.join("bill.csv.part").exists());

    // --gzip: kept compressed, still checked.
    let kept = f.path("bill.csv.gz");
    let mut gzip = vec!["download", &url, "--gzip", "--output", &kept];
    gzip.extend(digest);
    check(&f.run(&gzip), 0);
    assert!(std::fs::read(&kept).unwrap().starts_with(&GZIP_MAGIC));

    // A wrong digest with --gunzip: refused, no file.
    let wrong = "0".repeat(40);
    let bad = f.path("bad.csv");
    let (_, stderr) = check(
        &f.run(&["download", &url, "--gunzip", "--output", &bad, "--hash-type", "SHA1", "--hash-value", &wrong]),
        1,
    );
    assert!(stderr.contains("error: download:") && stderr.contains(&wrong), "{stderr}");
    assert!(!f.dir.join("bad.csv").exists() && !f.dir.join("bad.csv.part").exists());

    // --gunzip without a digest: decompressed, unchecked, and said so.
    let (_, stderr) = check(&f.run(&["download", &url, "--gunzip", "--output", &f.path("unchecked.csv")]), 0);
    assert!(stderr.contains("no digest given: not checked"), "{stderr}");
    assert_eq!(std::fs::read(f.dir.join("unchecked.csv")).unwrap(), plain);
}

#[test]
fn download_bill_runs_the_library_workflow() {
    let f = Fixture::new("bill", SignMode::PublicKey);
    let out = f.path("trade.csv");
    let (_, stderr) = check(
        &f.run(&["download-bill", "trade", "--bill-date", DATE, "--tar-type", "GZIP", "--gunzip", "-o", &out]),
        0,
    );
    assert!(stderr.contains("bill: SHA1 ") && stderr.contains("decompressed, digest of the original bill checked"));
    assert!(std::fs::read_to_string(&out).unwrap().starts_with("交易时间,"));

    let kept = f.path("trade.csv.gz");
    check(&f.run(&["download-bill", "trade", "--bill-date", DATE, "--tar-type", "GZIP", "-o", &kept]), 0);
    assert!(std::fs::read(&kept).unwrap().starts_with(&GZIP_MAGIC));

    let fund = f.path("fund.csv");
    check(&f.run(&["download-bill", "fundflow", "--bill-date", DATE, "--account-type", "BASIC", "-o", &fund]), 0);
    assert!(std::fs::read_to_string(&fund).unwrap().starts_with("记账时间,"));

    // Flags that cannot apply are refused before anything is sent.
    let (_, stderr) = check(&f.run(&["download-bill", "trade", "--bill-date", DATE, "--gunzip", "-o", &out]), 2);
    assert!(stderr.contains("add --tar-type GZIP") && stderr.contains("nothing was sent"), "{stderr}");
    let (_, stderr) =
        check(&f.run(&["download-bill", "fundflow", "--bill-date", DATE, "--bill-type", "ALL", "-o", &out]), 2);
    assert!(stderr.contains("--account-type"), "{stderr}");
    // WeChat Pay's refusal is reported with its code.
    let (_, stderr) = check(&f.run(&["download-bill", "trade", "--bill-date", "2999-01-01", "-o", &out]), 1);
    assert!(stderr.contains("error: api 400"), "{stderr}");
    assert_eq!(f.sandbox.requests().iter().filter(|r| r.target.starts_with("/v3/bill/")).count(), 4);
}

/// The flags of an APIv2 call: the merchant's credentials and the APIv2 key file; over HTTPS (the
/// sandbox's TLS side, its root certificate trusted) with `https`.
fn v2_flags(f: &Fixture, https: bool) -> Vec<String> {
    let key = f.write_secret("apiv2.key", format!("{}\n", f.sandbox.keys().apiv2_key()).as_bytes());
    let mut flags = f.flags();
    flags.extend(["--apiv2-key-file".to_owned(), key]);
    if https {
        let at = flags.iter().position(|a| a == "--base-uri").unwrap();
        flags[at + 1] = f.sandbox.https_base_uri();
        flags.extend(["--root-cert".to_owned(), f.path("sandbox_tls_root.pem")]);
    }
    flags
}

#[test]
fn apiv2_micropay_orderquery_and_a_security_refund() {
    let f = Fixture::new("apiv2", SignMode::PublicKey);
    let mchid = f.sandbox.keys().mchid().to_owned();
    let flags = v2_flags(&f, false);
    let run = |args: &[&str], extra: &[String]| f.bare().args(args).args(&flags).args(extra).output().unwrap();
    let https_flags = v2_flags(&f, true);
    let run_https =
        |args: &[&str], extra: &[String]| f.bare().args(args).args(&https_flags).args(extra).output().unwrap();
    let merchant = format!("mch_id={mchid}");
    let pay = [
        "post",
        "v2/pay/micropay",
        "--xml",
        &merchant,
        "--xml",
        "appid=wx2421b1c4370ec43b",
        "--xml",
        "body=QQ公仔",
        "--xml",
        "out_trade_no=CLI1415757673",
        "--xml",
        "total_fee=888",
        "--xml",
        "spbill_create_ip=14.17.22.52",
        "--xml",
        "auth_code=120061098828009406",
    ];
    let (stdout, stderr) = check(&run(&pay, &[]), 0);
    let paid: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!((&paid["result_code"], &paid["out_trade_no"]), (&json!("SUCCESS"), &json!("CLI1415757673")));
    assert!(stderr.contains("verified: APIv2 sign (MD5) verified"), "{stderr}");

    // pay/orderquery, its fields from an XML file, with the dotted chain.
    let query = f.write(
        "query.xml",
        format!("<xml><mch_id>{mchid}</mch_id><appid>wx2421b1c4370ec43b</appid><out_trade_no>CLI1415757673</out_trade_no></xml>")
            .as_bytes(),
    );
    let (stdout, _) = check(&run(&["post", "v2.pay.orderquery", "--xml", &format!("@{query}")], &[]), 0);
    let order: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!((&order["trade_state"], &order["total_fee"]), (&json!("SUCCESS"), &json!("888")));

    // A business failure: exit 1, named by its err_code, the answer's fields on stderr.
    let (stdout, stderr) =
        check(&run(&["post", "v2/pay/orderquery", "--xml", &merchant, "--xml", "out_trade_no=NOPE"], &[]), 1);
    assert!(stdout.is_empty());
    assert!(stderr.contains("error: api v2 ORDERNOTEXIST") && stderr.contains("\"err_code\":\"ORDERNOTEXIST\""));
    assert!(stderr.contains("the request was sent"), "{stderr}");

    // secapi/pay/refund over mutual TLS: HTTPS to the sandbox, its root trusted, the merchant certificate.
    let cert = ["--merchant-cert".to_owned(), f.path("apiclient_cert.pem")];
    let refund = [
        "post",
        "v2/secapi/pay/refund",
        "--security",
        "--xml",
        &merchant,
        "--xml",
        "appid=wx2421b1c4370ec43b",
        "--xml",
        "out_trade_no=CLI1415757673",
        "--xml",
        "out_refund_no=CLIR1",
        "--xml",
        "total_fee=888",
        "--xml",
        "refund_fee=100",
    ];
    let (stdout, _) = check(&run_https(&refund, &cert), 0);
    let refunded: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!((&refunded["result_code"], &refunded["refund_fee"]), (&json!("SUCCESS"), &json!("100")));
    assert!(refunded["refund_id"].is_string());
    let logged = f.sandbox.requests().into_iter().rfind(|r| r.target == "/secapi/pay/refund").unwrap();
    assert!(logged.tls && logged.client_cert, "over TLS, the merchant certificate presented");

    // --security without the certificate: a configuration error naming the flag, nothing sent.
    let (_, stderr) = check(&run_https(&refund, &[]), 2);
    assert!(stderr.contains("--merchant-cert") && stderr.contains("WECHATPAY_MERCHANT_CERT"), "{stderr}");
    // Without --security the certificate is not presented, and WeChat Pay refuses.
    let plain: Vec<&str> = refund.iter().copied().filter(|a| *a != "--security").collect();
    let (_, stderr) = check(&run_https(&plain, &cert), 1);
    assert!(stderr.contains("api v2 return_code FAIL") && stderr.contains("证书错误"), "{stderr}");
    assert_eq!(f.sandbox.requests().iter().filter(|r| r.target == "/secapi/pay/refund").count(), 2);
}

#[test]
fn apiv2_flags_are_checked_before_sending() {
    let f = Fixture::new("apiv2-flags", SignMode::PublicKey);
    let flags = v2_flags(&f, false);
    let run = |args: &[&str]| f.bare().args(args).args(&flags).output().unwrap();
    let keys = f.sandbox.keys();
    let mchid = keys.mchid();
    let cases: [(&[&str], &str); 5] = [
        (&["post", "v2/pay/orderquery", "--xml", "out_trade_no=1"], "add --xml mch_id="),
        (
            &["post", "v2/pay/orderquery", "--xml", "mch_id=1230000109", "--xml", "out_trade_no=1"],
            "is not the configured merchant id",
        ),
        (&["post", "v2/pay/orderquery", "--json", "{}"], "give its fields with --xml NAME=VALUE"),
        (&["post", "v3/pay/transactions/native", "--xml", "a=1"], "--xml, --nonceless and --security are for APIv2"),
        (&["get", "v2/pay/orderquery", "--xml", "a=1"], "give them with --query NAME=VALUE"),
    ];
    for (args, expected) in cases {
        let (_, stderr) = check(&run(args), 2);
        assert!(stderr.contains(expected) && stderr.contains("nothing was sent"), "{args:?}: {stderr}");
        assert!(!stderr.contains("{\""), "phrased in flags, not JSON options: {stderr}");
    }
    let (_, stderr) = check(&run(&["post", "v2/pay/orderquery", "--xml", "out_trade_no=1"]), 2);
    assert!(stderr.contains(&format!("--xml mch_id={mchid}")), "{stderr}");
    // No APIv2 key: named with its flag, variable and profile key.
    let output =
        f.bare().args(["post", "v2/pay/orderquery", "--xml", &format!("mch_id={mchid}")]).args(f.flags()).output();
    let (_, stderr) = check(&output.unwrap(), 2);
    assert!(stderr.contains("missing APIv2 key") && stderr.contains("--apiv2-key-file"), "{stderr}");
    assert!(f.sandbox.requests().is_empty());
}

fn signed_xml(fields: &[(&str, &str)], key: &ApiV2Key) -> String {
    let mut map: Map<String, Value> = fields.iter().map(|(k, v)| ((*k).to_owned(), json!(v))).collect();
    let signature = sign::sign(SignType::Md5, &map, key).unwrap();
    map.insert("sign".to_owned(), json!(signature));
    xml::to_xml(&map).unwrap()
}

#[test]
fn notify_verify_checks_apiv2_and_refund_notifications() {
    let f = Fixture::new("notify-v2", SignMode::PublicKey);
    let key = ApiV2Key::new(f.sandbox.keys().apiv2_key()).unwrap();
    let key_file = f.write_secret("apiv2.key", f.sandbox.keys().apiv2_key().as_bytes());
    // Only the APIv2 key is needed: no merchant credentials.
    let verify = |body: &str| {
        let body = f.write("notify.xml", body.as_bytes());
        f.bare().args(["notify", "verify", "--body", &body, "--apiv2-key-file", &key_file]).output().unwrap()
    };
    let fields = [
        ("return_code", "SUCCESS"),
        ("appid", "wx2421b1c4370ec43b"),
        ("mch_id", "1900000001"),
        ("nonce_str", "5K8264ILTKCH16CQ2502SI8ZNMTM67VS"),
        ("result_code", "SUCCESS"),
        ("out_trade_no", "1409811653"),
        ("total_fee", "1"),
    ];
    let (stdout, stderr) = check(&verify(&signed_xml(&fields, &key)), 0);
    let printed: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(printed["out_trade_no"], "1409811653");
    assert!(printed.get("sign").is_none());
    assert!(stderr.contains("sign (MD5) verified"), "{stderr}");

    // A changed field: refused.
    let forged = signed_xml(&fields, &key).replace("<total_fee>1</total_fee>", "<total_fee>100</total_fee>");
    let (stdout, stderr) = check(&verify(&forged), 1);
    assert!(stdout.is_empty() && stderr.contains("error: notification v2 bad sign"), "{stderr}");

    // A refund notification: req_info decrypted.
    let mut info = Map::new();
    for (k, v) in [("out_refund_no", "R20261125"), ("refund_status", "SUCCESS"), ("refund_fee", "100")] {
        info.insert(k.to_owned(), json!(v));
    }
    let inner = xml::to_xml_with_root("root", &info).unwrap();
    let req_info = crypto::encrypt(&crypto::EcbKey::from_apiv2_key(&key), inner.as_bytes());
    let body = format!(
        "<xml><return_code>SUCCESS</return_code><appid>wx2421b1c4370ec43b</appid><mch_id>1900000001</mch_id>\
         <nonce_str>TeqClE3i0mvn3DrK</nonce_str><req_info><![CDATA[{req_info}]]></req_info></xml>"
    );
    let (stdout, stderr) = check(&verify(&body), 0);
    let printed: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!((&printed["out_refund_no"], &printed["refund_status"]), (&json!("R20261125"), &json!("SUCCESS")));
    assert!(stderr.contains("refund notification") && stderr.contains("refund query"), "{stderr}");

    // An APIv3 body without its headers: told what is missing.
    let json_body = f.write("notify.json", b"{\"id\":\"x\"}");
    let output = f.bare().args(["notify", "verify", "--body", &json_body]).output().unwrap();
    let (_, stderr) = check(&output, 2);
    assert!(stderr.contains("pass --headers FILE"), "{stderr}");
}
