//! Streaming downloads against the sandbox (bills, plain and gzip, correct and corrupted) and the
//! overseas statements of `verify.json` replayed: digests checked at the end, broken transfers never
//! taken for complete files, and only download paths accepted.

use std::io::Read;

use crate::common::*;
use futures::StreamExt;
use serde_json::json;
use wechatpay_chain::download::{Bill, HashType};
use wechatpay_chain::error::{DownloadErrorKind, InputErrorKind};
use wechatpay_chain::{Client, Error, Options, Sent, Verification};
use wechatpay_sandbox::Sandbox;

fn setup() -> (Sandbox, Client) {
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    (sandbox, client)
}

fn fault(kind: &str) -> Options {
    Options::new().header("X-Sandbox-Fault", kind)
}

/// The download error inside an `io::Error` from `Read`, as the crate's `Error`.
fn inner(e: std::io::Error) -> Error {
    Error::from(*e.into_inner().unwrap().downcast::<wechatpay_chain::error::DownloadError>().unwrap())
}

#[test]
fn a_bill_streams_and_its_digest_is_checked() {
    let (_sandbox, client) = setup();
    let link = client.bill_link(Bill::Trade, json!({"bill_date": "2024-11-24"})).unwrap();
    assert_eq!((link.hash_type, link.gzip), (HashType::Sha1, false));

    let mut file =
        client.chain(&link.download_url).download(()).unwrap().expect_digest(link.hash_type, &link.hash_value);
    assert_eq!(file.verification(), &Verification::UnsignedDownload);
    assert_eq!(file.status(), 200);
    let mut csv = Vec::new();
    file.read_to_end(&mut csv).unwrap();
    assert_eq!(sha1_hex(&csv), link.hash_value);
    assert_eq!(file.received(), csv.len() as u64);
    assert!(String::from_utf8(csv).unwrap().starts_with("交易时间,"));

    // The same file, corrupted on the way: the read fails at the end, naming both digests.
    let link = client.bill_link(Bill::Trade, json!({"bill_date": "2024-11-24"})).unwrap();
    let mut file = client
        .chain(&link.download_url)
        .download(fault("corrupt"))
        .unwrap()
        .expect_digest(link.hash_type, &link.hash_value);
    let error = inner(file.read_to_end(&mut Vec::new()).unwrap_err());
    match error.clone_kind() {
        Some(DownloadErrorKind::DigestMismatch { expected, actual, .. }) => {
            assert_eq!(expected, link.hash_value);
            assert_ne!(actual, expected);
        }
        other => panic!("{other:?}: {error}"),
    }
    assert_eq!(error.sent(), Sent::Yes);
}

trait Kind {
    fn clone_kind(&self) -> Option<DownloadErrorKind>;
}

impl Kind for Error {
    fn clone_kind(&self) -> Option<DownloadErrorKind> {
        match self {
            Error::Download(d) => Some(d.kind().clone()),
            _ => None,
        }
    }
}

#[test]
fn a_broken_transfer_is_an_error_not_an_end_of_file() {
    let (_sandbox, client) = setup();
    let link = client.bill_link(Bill::FundFlow, json!({"bill_date": "2024-11-20"})).unwrap();
    let mut file = client.chain(&link.download_url).download(fault("truncate")).unwrap();
    let mut partial = Vec::new();
    let error = inner(file.read_to_end(&mut partial).unwrap_err());
    assert!(matches!(&error, Error::Download(d) if matches!(d.kind(), DownloadErrorKind::Broken(_))), "{error}");
    assert!(error.to_string().contains("incomplete"), "{error}");

    // Async: the stream ends with the error, never with a clean end.
    let link = client.bill_link(Bill::FundFlow, json!({"bill_date": "2024-11-20"})).unwrap();
    let last = futures::executor::block_on(async {
        let stream = client.chain(&link.download_url).download_async(fault("truncate")).await.unwrap();
        stream.collect::<Vec<_>>().await.pop()
    });
    match last {
        Some(Err(e)) => assert!(matches!(e.kind(), DownloadErrorKind::Broken(_)), "{e:?}"),
        other => panic!("expected the stream to end with an error, got {other:?}"),
    }
}

#[test]
fn async_streams_check_the_digest_too() {
    let (_sandbox, client) = setup();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let link = client.bill_link_async(Bill::Trade, json!({"bill_date": "2024-11-24"})).await.unwrap();
        let mut stream = client
            .chain(&link.download_url)
            .download_async(())
            .await
            .unwrap()
            .expect_digest(link.hash_type, &link.hash_value);
        let mut bytes = Vec::new();
        while let Some(chunk) = stream.next().await {
            bytes.extend_from_slice(&chunk.unwrap());
        }
        assert_eq!(sha1_hex(&bytes), link.hash_value);

        let link = client.bill_link_async(Bill::Trade, json!({"bill_date": "2024-11-24"})).await.unwrap();
        let stream = client
            .chain(&link.download_url)
            .download_async(fault("corrupt"))
            .await
            .unwrap()
            .expect_digest(link.hash_type, &link.hash_value);
        let items: Vec<_> = stream.collect().await;
        assert!(items[..items.len() - 1].iter().all(Result::is_ok));
        match items.last() {
            Some(Err(e)) => assert!(matches!(e.kind(), DownloadErrorKind::DigestMismatch { .. }), "{e:?}"),
            _ => panic!("the last item is the mismatch"),
        }
    });
}

#[test]
fn download_bill_plain_and_gzip_with_and_without_gunzip() {
    let (_sandbox, client) = setup();
    let mut plain = Vec::new();
    let link = client.download_bill(Bill::Trade, json!({"bill_date": "2024-11-24"}), false, &mut plain).unwrap();
    assert!(!link.gzip);
    assert_eq!(sha1_hex(&plain), link.hash_value);

    // GZIP and gunzip: the CSV again; the digest (of the original bill) matched.
    let mut csv = Vec::new();
    let gz_link = client
        .download_bill(Bill::Trade, json!({"bill_date": "2024-11-24", "tar_type": "GZIP"}), true, &mut csv)
        .unwrap();
    assert!(gz_link.gzip);
    assert_eq!(csv, plain);
    assert_eq!(gz_link.hash_value, link.hash_value, "the digest is of the original bill, compressed or not");

    // GZIP kept compressed: the gzip bytes are written, still checked against the original bill.
    let mut gz = Vec::new();
    client
        .download_bill(Bill::FundFlow, json!({"bill_date": "2024-11-20", "tar_type": "GZIP"}), false, &mut gz)
        .unwrap();
    assert_eq!(&gz[..2], &[0x1f, 0x8b]);

    // Async into a tokio writer.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut out = Vec::new();
    let link = runtime
        .block_on(client.download_bill_async(
            Bill::Trade,
            json!({"bill_date": "2024-11-24", "tar_type": "GZIP"}),
            true,
            &mut out,
        ))
        .unwrap();
    assert_eq!(sha1_hex(&out), link.hash_value);
}

#[test]
fn corrupted_or_cut_bills_are_refused() {
    let (_sandbox, client) = setup();
    for gzip in [false, true] {
        let mut query = json!({"bill_date": "2024-11-24"});
        if gzip {
            query["tar_type"] = json!("GZIP");
        }
        for (what, kind) in [("corrupt", "digest or gzip"), ("truncate", "transport")] {
            let link = client.bill_link(Bill::Trade, query.clone()).unwrap();
            let error = client.save_bill(&link, fault(what), true, &mut Vec::new()).unwrap_err();
            match (what, &error) {
                ("corrupt", Error::Download(d)) => {
                    assert!(
                        matches!(d.kind(), DownloadErrorKind::DigestMismatch { .. } | DownloadErrorKind::Decompress(_)),
                        "{kind}: {error}"
                    )
                }
                ("truncate", Error::Download(d)) if matches!(d.kind(), DownloadErrorKind::Broken(_)) => {}
                _ => panic!("gzip={gzip} {what}: {error}"),
            }
        }
    }
    // A forged link (wrong digest) is caught too.
    let link = client.bill_link(Bill::Trade, json!({"bill_date": "2024-11-24"})).unwrap();
    let mut forged = link.clone();
    forged.hash_value = "0".repeat(40);
    assert!(matches!(client.save_bill(&forged, (), false, &mut Vec::new()), Err(Error::Download(_))));
}

#[test]
fn only_download_paths_are_streamed() {
    let (sandbox, client) = setup();
    let error = client.chain("v3/pay/transactions/id/{id}").download(json!({"id": "1"})).unwrap_err();
    assert!(matches!(&error, Error::Input(e) if e.kind() == InputErrorKind::Unsupported), "{error}");
    assert!(error.to_string().contains("use `get`"), "{error}");
    assert!(sandbox.requests().is_empty(), "nothing was sent");
    // An expired or unknown token is an API error with the body WeChat Pay sent.
    let error = client.chain("v3/billdownload/file").download(json!({"query": {"token": "nope"}})).unwrap_err();
    assert_eq!(error.api().map(|a| a.status().as_u16()), Some(404));
}

/// The overseas statements of verify.json, streamed: the signature covers the announced SHA-1, and the
/// stream checks the body against it.
#[test]
fn overseas_statements_are_verified_over_their_sha1() {
    let cases = cases("verify.json");
    let mut checked = 0;
    for case in cases.iter().filter(|c| c["kind"] == "overseas") {
        let response = &case["input"]["response"];
        let Some(sha1) = response["headers"].as_object().and_then(|h| {
            h.iter().find(|(k, _)| k.eq_ignore_ascii_case("wechatpay-statement-sha1")).and_then(|(_, v)| v.as_str())
        }) else {
            continue;
        };
        let chain: Vec<&str> =
            case["input"]["request"]["chain"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
        let path = chain.join("/");
        let accepted = case["output"]["accepted"].as_bool() == Some(true);
        let body = response["body"].as_str().unwrap().as_bytes().to_vec();
        let headers: Vec<(String, String)> = response["headers"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect();
        let local = case["input"]["local_timestamp"].as_i64().unwrap();
        for tampered in [false, true] {
            let mut body = body.clone();
            if tampered {
                body[0] ^= 0x01;
            }
            let replay = Replay::start(Canned { status: 200, headers: headers.clone(), body: body.clone() });
            let client = vector_builder().base_uri(replay.base_uri()).clock(move || local).build().unwrap();
            let opened = client.chain(&path).download(());
            if !accepted {
                // Signed over the raw body although it announces a SHA-1: refused before any byte is read.
                assert!(matches!(opened, Err(Error::Verification(_))), "{}", case["id"]);
                continue;
            }
            let mut download = opened.unwrap();
            assert!(matches!(download.verification(), Verification::Signed { .. }), "{}", case["id"]);
            let mut got = Vec::new();
            let result = download.read_to_end(&mut got);
            if tampered {
                assert!(matches!(inner(result.unwrap_err()), Error::Download(_)), "{}", case["id"]);
            } else {
                result.unwrap();
                assert_eq!(sha1_hex(&got), sha1.to_ascii_lowercase());
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 3);
}
