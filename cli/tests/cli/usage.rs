//! How the `wechatpay` CLI is used: help per subcommand, dotted chains, errors phrased in flags, the
//! catalog's hints after a 404, and what a failed certificate download says.

use crate::common::{BIN, Fixture, check};
use assert_cmd::Command;
use serde_json::{Value, json};
use wechatpay_sandbox::SignMode;

fn help(path: &[&str]) -> String {
    let output = Command::new(BIN).args(path).arg("--help").output().unwrap();
    let (stdout, _) = check(&output, 0);
    stdout
}

#[test]
fn each_subcommand_has_its_flags_and_an_example() {
    let credentials = ["--mchid", "--serial", "--private-key", "--profile"];
    let keys = ["--public-key-id", "--public-key", "--cert", "--apiv3-key-file"];
    let connection = ["--base-uri", "--timeout", "--verbose", "--root-cert"];
    let calls: [&[&str]; 7] =
        [&["get"], &["post"], &["put"], &["patch"], &["delete"], &["download"], &["download-bill"]];
    for path in calls {
        let text = help(path);
        for flag in credentials.iter().chain(&keys).chain(&connection) {
            assert!(text.contains(flag), "{path:?} lacks {flag}:\n{text}");
        }
        assert!(text.contains("Example"), "{path:?}:\n{text}");
    }
    for path in [["get"], ["post"]] {
        let text = help(&path);
        for flag in ["--xml", "--security", "--apiv2-key-file", "--merchant-cert", "--nonceless"] {
            assert!(text.contains(flag), "{path:?} lacks {flag}");
        }
    }
    let download = help(&["download"]);
    assert!(download.contains("--gunzip") && download.contains("--gzip") && !download.contains("--xml"));

    // `sign` signs: the merchant only, no connection or verification settings.
    let sign = help(&["sign"]);
    for flag in credentials {
        assert!(sign.contains(flag), "sign lacks {flag}");
    }
    for flag in keys.iter().chain(&connection).chain(&["--apiv2-key-file", "--xml"]) {
        assert!(!sign.contains(flag), "sign shows {flag}:\n{sign}");
    }
    assert!(sign.contains("Example"));

    // `sandbox` is WeChat Pay's side: none of the merchant's credentials.
    let sandbox = help(&["sandbox"]);
    for flag in ["--serial", "--private-key", "--profile", "--timeout", "--base-uri", "--public-key"] {
        assert!(!sandbox.contains(flag), "sandbox shows {flag}:\n{sandbox}");
    }
    assert!(sandbox.contains("--mchid") && sandbox.contains("Example"));

    let verify = help(&["notify", "verify"]);
    assert!(verify.contains("--apiv2-key-file") && verify.contains("--apiv3-key-file"));
    assert!(!verify.contains("--merchant-cert") && !verify.contains("--xml"));
    for path in [&["certificates"][..], &["certificates", "download"], &["notify"], &["notify", "verify"], &[]] {
        assert!(help(path).contains("Example"), "{path:?}");
    }
    // The top level has no credential flags at all: clap points at the subcommand that has them.
    let top = help(&[]);
    assert!(!top.contains("--mchid") && !top.contains("--timeout"), "{top}");
    let output = Command::new(BIN).args(["--mchid", "1900000001", "get", "v3/certificates"]).output().unwrap();
    let (_, stderr) = check(&output, 2);
    assert!(stderr.contains("get --mchid"), "{stderr}");
}

#[test]
fn dotted_chains_follow_php() {
    let f = Fixture::new("dotted", SignMode::PublicKey);
    let mchid = f.sandbox.keys().mchid().to_owned();
    let order = json!({
        "appid": "wx2b029c08a6233333", "mchid": &mchid, "description": "T-shirt",
        "out_trade_no": "DOTTED20261125", "notify_url": "https://example.com/notify", "amount": {"total": 100},
    });
    let (stdout, _) = check(&f.run(&["post", "v3.pay.transactions.native", "--json", &order.to_string()]), 0);
    assert!(serde_json::from_str::<Value>(&stdout).unwrap()["code_url"].is_string());

    // `outTradeNo` is `out-trade-no` and `_out_trade_no_` a placeholder, as in wechatpay-php.
    let query = format!("mchid={mchid}");
    let (stdout, stderr) = check(
        &f.run(&[
            "get",
            "v3.pay.transactions.outTradeNo._out_trade_no_",
            "--param",
            "out_trade_no=DOTTED20261125",
            "--query",
            &query,
            "--verbose",
        ]),
        0,
    );
    assert_eq!(serde_json::from_str::<Value>(&stdout).unwrap()["out_trade_no"], "DOTTED20261125");
    assert!(
        stderr.contains(
            "> chain: v3.pay.transactions.outTradeNo._out_trade_no_ → v3/pay/transactions/out-trade-no/{out_trade_no}"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("> signed message: GET\\n/v3/pay/transactions/out-trade-no/DOTTED20261125?"), "{stderr}");
    let (stdout, _) = check(
        &f.run(&[
            "get",
            "v3.facemch.users._face_sid_",
            "--param",
            "face_sid=x1",
            "--query",
            "info_type=ASK_UNIONID",
            "--query",
            "appid=wx1",
        ]),
        0,
    );
    assert!(stdout.contains("openid"), "{stdout}");
    let (_, stderr) = check(&f.run(&["get", "v3..pay"]), 2);
    assert!(stderr.contains("empty segment"), "{stderr}");
}

#[test]
fn errors_are_phrased_in_flags() {
    let f = Fixture::new("phrasing", SignMode::PublicKey);
    let query = format!("mchid={}", f.sandbox.keys().mchid());
    let template = "v3/pay/transactions/out-trade-no/{out_trade_no}";
    let cases: [(Vec<&str>, &str); 5] = [
        (
            vec!["get", template, "--param", "out_trade=1", "--query", &query],
            "`--param out_trade=…` names no placeholder of `v3/pay/transactions/out-trade-no/{out_trade_no}` (its \
             placeholders: {out_trade_no}); a query parameter is --query out_trade=VALUE",
        ),
        (
            vec!["get", template, "--query", &query],
            "needs a value for its placeholder `{out_trade_no}`: add --param out_trade_no=VALUE",
        ),
        (vec!["get", "v3/certificates", "--param", "x=1"], "(it has no placeholders)"),
        (vec!["get", template, "--param", "bad"], "--param `bad` must look like NAME=VALUE"),
        (
            vec!["download", "v3/billdownload/file?token=T", "--query", "token=U", "--output", "x"],
            "`v3/billdownload/file?token=T` already has a query: give the parameters either in the path or with \
             --query NAME=VALUE, not both",
        ),
    ];
    for (args, expected) in cases {
        let (stdout, stderr) = check(&f.run(&args), 2);
        assert!(stdout.is_empty());
        assert!(
            stderr.contains(&format!("error: input: {expected}")) || stderr.contains(expected),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains("nothing was sent"), "{stderr}");
        assert!(!stderr.contains("{\"") && !stderr.contains("in the options"), "library terms: {stderr}");
    }
    assert!(f.sandbox.requests().is_empty(), "nothing reached the sandbox");
}

#[test]
fn a_404_names_the_closest_catalogued_path_as_a_command() {
    let f = Fixture::new("hint", SignMode::PublicKey);
    let query = format!("mchid={}", f.sandbox.keys().mchid());
    let (_, stderr) = check(
        &f.run(&[
            "get",
            "v3/pay/transactions/outTradeNo/{n}",
            "--param",
            "n=1217752501201407033233368018",
            "--query",
            &query,
        ]),
        1,
    );
    assert!(stderr.contains("error: api 404"), "{stderr}");
    assert!(stderr.contains("the closest: `v3/pay/transactions/out-trade-no/{out_trade_no}`"), "{stderr}");
    assert!(
        stderr.contains("  wechatpay get 'v3/pay/transactions/out-trade-no/{out_trade_no}' --param out_trade_no=…"),
        "{stderr}"
    );
    assert!(stderr.contains("the request was sent"), "{stderr}");

    // A 404 about the resource, on a catalogued path: no hint.
    let (_, stderr) =
        check(&f.run(&["get", "v3/pay/transactions/out-trade-no/{n}", "--param", "n=NOPE", "--query", &query]), 1);
    assert!(stderr.contains("error: api 404 ORDER_NOT_EXIST") && !stderr.contains("hint:"), "{stderr}");
}

#[test]
fn a_public_key_merchant_is_told_what_a_certificate_download_404_means() {
    let f = Fixture::new("pubkey-certs", SignMode::PublicKey);
    let keys = f.sandbox.keys();
    let key_file = f.write_secret("apiv3.key", keys.apiv3_key().as_bytes());
    let merchant = ["--mchid", keys.mchid(), "--serial", keys.merchant_serial()];
    let private_key = f.path("apiclient_key.pem");
    let base = f.sandbox.base_uri();
    let download = |extra: &[&str]| {
        f.bare()
            .args(["certificates", "download", "--output", &f.path("certs")])
            .args(merchant)
            .args(["--private-key", &private_key, "--apiv3-key-file", &key_file, "--base-uri", &base])
            .args(extra)
            .output()
            .unwrap()
    };
    let (_, stderr) = check(&download(&[]), 1);
    assert!(stderr.contains("error: certificates:"), "{stderr}");
    assert!(stderr.contains("the certificate download (GET v3/certificates) was sent and WeChat Pay answered 404"));
    assert!(stderr.contains("it uses a WeChat Pay public key") && stderr.contains("--public-key-id"), "{stderr}");
    assert!(!stderr.contains("not sent"), "the download was sent: {stderr}");

    // With the public key configured: nothing to do.
    let pub_key = f.path("pub_key.pem");
    let (_, stderr) = check(&download(&["--public-key-id", keys.public_key_id(), "--public-key", &pub_key]), 1);
    assert!(stderr.contains(&format!("{} is configured: nothing to download", keys.public_key_id())), "{stderr}");

    // A call that needed certificates: it was not sent, the download was.
    let output = f
        .bare()
        .args([
            "get",
            "v3/certificates",
            "--private-key",
            &private_key,
            "--apiv3-key-file",
            &key_file,
            "--base-uri",
            &base,
        ])
        .args(merchant)
        .output()
        .unwrap();
    let (_, stderr) = check(&output, 1);
    assert!(stderr.contains("was sent and WeChat Pay answered 404"), "{stderr}");
    assert!(stderr.contains("the call that needed the certificates was not sent"), "{stderr}");
}
