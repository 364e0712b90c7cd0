//! The sandbox's file endpoints: media uploads (multipart, signed over the `meta` part), trade and
//! fund-flow bills with their unsigned downloads (plain and gzip), and `ASK_REAL_NAME` with its
//! RSA-OAEP-encrypted fields. Uploads are built and sent by hand; the rest goes through the client.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::common::raw_request;
use aws_lc_rs::digest;
use rsa::pkcs8::DecodePrivateKey;
use serde_json::{Value, json};
use wechatpay_chain::http::{HeaderMap, HeaderName, HeaderValue, Method};
use wechatpay_chain::{Client, Error, Verification};
use wechatpay_sandbox::{Sandbox, Verdict};

/// 2024-11-25T13:29:35+08:00.
const FIXED: i64 = 1_732_512_575;

const BOUNDARY: &str = "wechatpay-chain-test-boundary";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex(digest::digest(&digest::SHA256, bytes).as_ref())
}

fn sha1_hex(bytes: &[u8]) -> String {
    hex(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, bytes).as_ref())
}

/// A sandbox and a client on a shared, settable clock starting at [`FIXED`].
fn setup() -> (Sandbox, Client, Arc<AtomicI64>) {
    let time = Arc::new(AtomicI64::new(FIXED));
    let clock = |time: &Arc<AtomicI64>| {
        let time = Arc::clone(time);
        move || time.load(Ordering::SeqCst)
    };
    let sandbox = Sandbox::builder().clock(clock(&time)).start().expect("sandbox");
    let client = sandbox.client_builder().clock(clock(&time)).build().expect("client");
    (sandbox, client, time)
}

/// `meta` JSON for a file.
fn meta(filename: &str, file: &[u8]) -> String {
    json!({"filename": filename, "sha256": sha256_hex(file)}).to_string()
}

/// A `multipart/form-data` body: the `meta` part, then the `file` part.
fn multipart(meta: &str, filename: &str, file: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"meta\"\r\nContent-Type: application/json\r\n\r\n{meta}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// An answer as `(status, headers, body)`.
type Answer = (u16, Vec<(String, String)>, Vec<u8>);

/// POSTs `body` to `path` with an `Authorization` the client computes over `signed_meta`.
fn upload(sandbox: &Sandbox, client: &Client, path: &str, signed_meta: &str, body: &[u8]) -> Answer {
    let prepared = client.chain(path).prepare(Method::POST, json!({"body": signed_meta})).expect("prepare");
    let nonce = wechatpay_chain::auth::nonce().expect("nonce");
    let authorization = client.authorization(&prepared, FIXED, &nonce).expect("authorization");
    let header = |name: &str| prepared.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let headers = vec![
        ("Authorization".to_owned(), authorization),
        ("Accept".to_owned(), header("accept")),
        ("User-Agent".to_owned(), header("user-agent")),
        ("Content-Type".to_owned(), format!("multipart/form-data; boundary={BOUNDARY}")),
    ];
    raw_request(sandbox.addr(), "POST", &format!("/{path}"), &headers, body)
}

fn header_map(headers: &[(String, String)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).expect("name"),
            HeaderValue::from_str(value).expect("value"),
        );
    }
    map
}

/// The JSON of a signed answer, after checking its signature with the client's verifier.
fn verified_json(client: &Client, path: &str, answer: &Answer) -> Value {
    let verification = client
        .verifier()
        .verify_response(&Method::POST, path, None, &header_map(&answer.1), &answer.2)
        .expect("signed answer");
    assert!(matches!(verification, Verification::Signed { .. }), "{verification:?}");
    serde_json::from_slice(&answer.2).expect("JSON")
}

#[test]
fn images_upload_with_the_signature_over_meta() {
    let (sandbox, client, _) = setup();
    let path = "/v3/merchant/media/upload";
    let jpg: Vec<u8> = [&[0xFF, 0xD8, 0xFF, 0xE0][..], &[7u8; 1000], &[0xFF, 0xD9]].concat();
    let m = meta("商品图.jpg", &jpg);
    let first = upload(&sandbox, &client, "v3/merchant/media/upload", &m, &multipart(&m, "商品图.jpg", &jpg));
    assert_eq!(first.0, 200, "{}", String::from_utf8_lossy(&first.2));
    let id = verified_json(&client, path, &first)["media_id"].as_str().expect("media_id").to_owned();
    assert!(id.len() >= 40 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{id}");
    assert_eq!(sandbox.requests()[0].verdict, Verdict::Authenticated);

    // The same file again: the same id, whatever the filename's case.
    let m = meta("COPY.JPG", &jpg);
    let again = upload(&sandbox, &client, "v3/merchant/media/upload", &m, &multipart(&m, "COPY.JPG", &jpg));
    assert_eq!(verified_json(&client, path, &again)["media_id"], id.as_str());
    // Another file: another id. PNG and BMP are images too.
    for name in ["b.png", "c.bmp", "d.jpeg"] {
        let other = [&jpg[..], name.as_bytes()].concat();
        let m = meta(name, &other);
        let answer = upload(&sandbox, &client, "v3/merchant/media/upload", &m, &multipart(&m, name, &other));
        assert_eq!(answer.0, 200, "{name}");
        assert_ne!(verified_json(&client, path, &answer)["media_id"], id.as_str());
    }

    // A digest that is not the file's: 400, signed, with the detail.
    let wrong = json!({"filename": "a.jpg", "sha256": sha256_hex(b"something else")}).to_string();
    let answer = upload(&sandbox, &client, "v3/merchant/media/upload", &wrong, &multipart(&wrong, "a.jpg", &jpg));
    assert_eq!(answer.0, 400);
    let doc = verified_json(&client, path, &answer);
    assert_eq!((doc["code"].as_str(), doc["message"].as_str()), (Some("PARAM_ERROR"), Some("文件摘要不一致")));
    assert_eq!(doc["detail"]["field"], "sha256");
    assert!(doc["detail"]["issue"].as_str().is_some_and(|i| i.contains(&sha256_hex(&jpg))), "{doc}");
    // The digest may be upper-case hex.
    let upper = json!({"filename": "a.jpg", "sha256": sha256_hex(&jpg).to_uppercase()}).to_string();
    let answer = upload(&sandbox, &client, "v3/merchant/media/upload", &upper, &multipart(&upper, "a.jpg", &jpg));
    assert_eq!(verified_json(&client, path, &answer)["media_id"], id.as_str());

    // The meta that was signed is not the meta that was sent: 401, unsigned.
    let sent = meta("b.jpg", &jpg);
    let answer =
        upload(&sandbox, &client, "v3/merchant/media/upload", &meta("a.jpg", &jpg), &multipart(&sent, "b.jpg", &jpg));
    assert_eq!(answer.0, 401);
    assert!(String::from_utf8_lossy(&answer.2).contains("SIGN_ERROR"));
    assert!(!answer.1.iter().any(|(n, _)| n == "wechatpay-signature"), "401 is unsigned");
    assert!(matches!(sandbox.requests().last().map(|r| &r.verdict), Some(Verdict::Unauthenticated { .. })));
    // Signing the whole multipart body instead of the meta is wrong too.
    let body = multipart(&sent, "b.jpg", &jpg);
    let whole = String::from_utf8_lossy(&body).into_owned();
    assert_eq!(upload(&sandbox, &client, "v3/merchant/media/upload", &whole, &body).0, 401);

    // Not an image extension.
    let m = meta("a.gif", &jpg);
    let answer = upload(&sandbox, &client, "v3/merchant/media/upload", &m, &multipart(&m, "a.gif", &jpg));
    assert_eq!(answer.0, 400);
    assert_eq!(verified_json(&client, path, &answer)["detail"]["field"], "filename");

    // Over 2 MiB (and exactly 2 MiB is fine).
    for (len, status) in [(2 * 1024 * 1024 + 1, 400), (2 * 1024 * 1024, 200)] {
        let big = vec![0x5Au8; len];
        let m = meta("big.png", &big);
        let answer = upload(&sandbox, &client, "v3/merchant/media/upload", &m, &multipart(&m, "big.png", &big));
        assert_eq!(answer.0, status, "{len} bytes");
    }

    // The request log holds what was sent.
    let log = sandbox.requests();
    assert!(log.iter().all(|r| r.target == path && r.method == "POST"));
    assert!(log[0].header("content-type").is_some_and(|ct| ct.starts_with("multipart/form-data")));
}

#[test]
fn videos_upload_to_their_own_endpoint() {
    let (sandbox, client, _) = setup();
    let path = "/v3/merchant/media/video_upload";
    let mp4 = [&[0, 0, 0, 0x18][..], b"ftypmp42", &[3u8; 5000]].concat();
    let m = meta("介绍.mp4", &mp4);
    let answer = upload(&sandbox, &client, "v3/merchant/media/video_upload", &m, &multipart(&m, "介绍.mp4", &mp4));
    assert_eq!(answer.0, 200, "{}", String::from_utf8_lossy(&answer.2));
    let video_id = verified_json(&client, path, &answer)["media_id"].as_str().expect("media_id").to_owned();

    // An image is not a video, and a video is not an image.
    let m = meta("a.jpg", &mp4);
    let answer = upload(&sandbox, &client, "v3/merchant/media/video_upload", &m, &multipart(&m, "a.jpg", &mp4));
    assert_eq!(answer.0, 400);
    let m = meta("a.mp4", &mp4);
    let answer = upload(&sandbox, &client, "v3/merchant/media/upload", &m, &multipart(&m, "a.mp4", &mp4));
    assert_eq!(answer.0, 400);
    // The same bytes uploaded as an image get another id than as a video.
    let m = meta("a.png", &mp4);
    let answer = upload(&sandbox, &client, "v3/merchant/media/upload", &m, &multipart(&m, "a.png", &mp4));
    assert_ne!(verified_json(&client, "/v3/merchant/media/upload", &answer)["media_id"], video_id.as_str());

    // Videos may be up to 5 MiB.
    let big = vec![1u8; 3 * 1024 * 1024];
    let m = meta("big.MOV", &big);
    let answer = upload(&sandbox, &client, "v3/merchant/media/video_upload", &m, &multipart(&m, "big.MOV", &big));
    assert_eq!(answer.0, 200);
    let big = vec![1u8; 5 * 1024 * 1024 + 1];
    let m = meta("big.mkv", &big);
    let answer = upload(&sandbox, &client, "v3/merchant/media/video_upload", &m, &multipart(&m, "big.mkv", &big));
    assert_eq!(answer.0, 400);
}

#[test]
fn malformed_multipart_bodies() {
    let (sandbox, client, _) = setup();
    let file = b"\x89PNG\r\n\x1a\nrest";
    let m = meta("a.png", file);
    let send = |body: &[u8]| upload(&sandbox, &client, "v3/merchant/media/upload", &m, body).0;

    // No closing boundary after a readable meta part: authenticated over the meta, then 400.
    let full = multipart(&m, "a.png", file);
    assert_eq!(send(&full[..full.len() - 8]), 400);
    assert!(matches!(sandbox.requests().last().map(|r| &r.verdict), Some(Verdict::Authenticated)));
    // No file part.
    let only_meta =
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n{m}\r\n--{BOUNDARY}--\r\n");
    assert_eq!(send(only_meta.as_bytes()), 400);
    // Header names in any case, a preamble, LWS after the boundary, no part Content-Type: fine.
    let relaxed = format!(
        "ignored preamble\r\n--{BOUNDARY}  \r\ncontent-disposition: form-data; name=meta\r\n\r\n{m}\r\n--{BOUNDARY}\r\n\
         CONTENT-DISPOSITION: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\n"
    );
    let body = [relaxed.as_bytes(), file, format!("\r\n--{BOUNDARY}--").as_bytes()].concat();
    assert_eq!(send(&body), 200);

    // Without a meta part the signature cannot be checked: 401.
    let no_meta = [
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\n").as_bytes(),
        file,
        format!("\r\n--{BOUNDARY}--\r\n").as_bytes(),
    ]
    .concat();
    assert_eq!(send(&no_meta), 401);
    assert_eq!(send(b"not multipart at all"), 401);
    let log = sandbox.requests();
    let Some(Verdict::Unauthenticated { reason }) = log.last().map(|r| &r.verdict) else { panic!("401") };
    assert!(reason.contains("meta"), "{reason}");

    // A JSON body on the upload endpoint is authenticated normally, then refused.
    let err = client.chain("v3/merchant/media/upload").post(json!({"json": {"filename": "a.png"}})).expect_err("400");
    assert_eq!(err.api().map(|a| a.status().as_u16()), Some(400));
    let err = client.chain("v3/merchant/media/upload").get(json!({})).expect_err("405");
    assert_eq!(err.api().map(|a| a.status().as_u16()), Some(405));
}

/// Reads a gzip file whose DEFLATE stream is stored blocks only, checking the CRC-32 and size.
fn gunzip_stored(gz: &[u8]) -> Vec<u8> {
    assert_eq!(&gz[..4], &[0x1f, 0x8b, 8, 0], "gzip header, deflate, no flags");
    let mut pos = 10;
    let mut out = Vec::new();
    loop {
        let header = gz[pos];
        assert_eq!(header & 0b110, 0, "stored block");
        let len = u16::from_le_bytes([gz[pos + 1], gz[pos + 2]]);
        let nlen = u16::from_le_bytes([gz[pos + 3], gz[pos + 4]]);
        assert_eq!(len, !nlen);
        out.extend_from_slice(&gz[pos + 5..pos + 5 + usize::from(len)]);
        pos += 5 + usize::from(len);
        if header & 1 == 1 {
            break;
        }
    }
    // Bitwise CRC-32 (reflected 0xEDB88320).
    let mut crc = !0u32;
    for b in &out {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    let trailer = &gz[pos..];
    assert_eq!(trailer.len(), 8);
    assert_eq!(u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]), !crc, "CRC-32");
    assert_eq!(u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]) as usize, out.len(), "ISIZE");
    out
}

/// Asks for a bill and downloads it: `(hash_value, download_url, file response)`.
fn fetch_bill(client: &Client, path: &str, query: Value) -> (String, String, wechatpay_chain::Response) {
    let res = client.chain(path).get(json!({ "query": query })).expect("bill");
    assert!(matches!(res.verification(), Verification::Signed { .. }));
    let doc = res.json().expect("JSON");
    assert_eq!(doc["hash_type"], "SHA1");
    let hash = doc["hash_value"].as_str().expect("hash_value").to_owned();
    let url = doc["download_url"].as_str().expect("download_url").to_owned();
    let file = client.chain(url.as_str()).get(json!({})).expect("download");
    assert_eq!(file.verification(), &Verification::UnsignedDownload);
    assert!(file.headers().get("wechatpay-signature").is_none(), "bill files are unsigned");
    (hash, url, file)
}

#[test]
fn trade_bills_download_plain_and_gzip() {
    let (sandbox, client, time) = setup();
    let (hash, url, file) = fetch_bill(&client, "v3/bill/tradebill", json!({"bill_date": "2024-11-24"}));
    assert!(url.starts_with(&format!("{}v3/billdownload/file?token=", sandbox.base_uri())), "{url}");
    assert_eq!(sha1_hex(file.body()), hash);
    assert!(file.headers().get("content-type").is_some_and(|ct| ct.as_bytes().starts_with(b"text/plain")));
    let csv = file.text().expect("UTF-8").to_owned();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("交易时间,公众账号ID,商户号,"), "{}", lines[0]);
    let columns = lines[0].split(',').count();
    assert_eq!(columns, 27);
    // Two payments and one refund, every field backtick-prefixed, then the totals.
    assert_eq!(lines.len(), 6);
    for line in &lines[1..4] {
        assert!(line.starts_with("`2024-11-24 "), "{line}");
        assert_eq!(line.split(',').count(), columns);
        assert!(line.split(',').all(|f| f.starts_with('`')), "{line}");
    }
    assert!(lines[1].contains(&format!("`{}", sandbox.keys().mchid())));
    assert!(lines[4].starts_with("总交易单数,"));
    assert!(lines[5].starts_with("`3,"), "{}", lines[5]);
    // The same bill twice is the same file; a new download link each time.
    let (again_hash, again_url, _) = fetch_bill(&client, "v3/bill/tradebill", json!({"bill_date": "2024-11-24"}));
    assert_eq!(again_hash, hash);
    assert_ne!(again_url, url);
    let (_, _, success) =
        fetch_bill(&client, "v3/bill/tradebill", json!({"bill_date": "2024-11-24", "bill_type": "SUCCESS"}));
    assert_eq!(success.text().expect("UTF-8").lines().count(), 5);
    let (_, _, refunds) =
        fetch_bill(&client, "v3/bill/tradebill", json!({"bill_date": "2024-11-24", "bill_type": "REFUND"}));
    assert!(refunds.text().expect("UTF-8").lines().nth(1).is_some_and(|l| l.contains("`REFUND,")));

    // GZIP: as WeChat Pay documents, the hash is of the original bill (decompressed), not the gzip bytes.
    let (gz_hash, _, gz) =
        fetch_bill(&client, "v3/bill/tradebill", json!({"bill_date": "2024-11-24", "tar_type": "GZIP"}));
    assert_eq!(gz.headers().get("content-type").map(|v| v.as_bytes()), Some(&b"application/x-gzip"[..]));
    let inflated = gunzip_stored(gz.body());
    assert_eq!(sha1_hex(&inflated), gz_hash);
    assert_ne!(sha1_hex(gz.body()), gz_hash, "not the digest of the compressed bytes");
    assert_eq!(inflated, csv.as_bytes());

    // Downloads are authenticated like any request.
    let target = url.split_once(&sandbox.addr().to_string()).map(|(_, t)| t.to_owned()).expect("target");
    let (status, _, _) = raw_request(sandbox.addr(), "GET", &target, &[("Accept".into(), "*/*".into())], b"");
    assert_eq!(status, 401);
    // Unknown and expired tokens: 404.
    let err = client.chain("v3/billdownload/file").get(json!({"query": {"token": "nope"}})).expect_err("404");
    let Error::Api(api) = &err else { panic!("{err}") };
    assert_eq!((api.status().as_u16(), api.code()), (404, Some("RESOURCE_NOT_EXISTS")));
    let err = client.chain("v3/billdownload/file").get(json!({})).expect_err("400");
    assert_eq!(err.api().map(|a| a.status().as_u16()), Some(400));
    assert!(client.chain(url.as_str()).get(json!({})).is_ok(), "still valid within 30 s");
    time.store(FIXED + 31, Ordering::SeqCst);
    let err = client.chain(url.as_str()).get(json!({})).expect_err("expired");
    assert_eq!(err.api().map(|a| (a.status().as_u16(), a.code())), Some((404, Some("RESOURCE_NOT_EXISTS"))));
}

#[test]
fn bill_requests_are_validated() {
    let (_sandbox, client, _) = setup();
    for (path, query, code) in [
        ("v3/bill/tradebill", json!({}), "PARAM_ERROR"),
        ("v3/bill/tradebill", json!({"bill_date": "20241124"}), "PARAM_ERROR"),
        ("v3/bill/tradebill", json!({"bill_date": "2024-02-30"}), "PARAM_ERROR"),
        ("v3/bill/tradebill", json!({"bill_date": "2023-02-29"}), "PARAM_ERROR"),
        ("v3/bill/tradebill", json!({"bill_date": "2024-11-26"}), "INVALID_REQUEST"),
        ("v3/bill/tradebill", json!({"bill_date": "2024-11-24", "bill_type": "all"}), "PARAM_ERROR"),
        ("v3/bill/tradebill", json!({"bill_date": "2024-11-24", "tar_type": "ZIP"}), "PARAM_ERROR"),
        ("v3/bill/fundflowbill", json!({"bill_date": "2024-11-24", "account_type": "ALL"}), "PARAM_ERROR"),
        ("v3/bill/fundflowbill", json!({"bill_date": "2025-01-01"}), "INVALID_REQUEST"),
        ("v3/bill/fundflowbill", json!({"bill_date": "yesterday"}), "PARAM_ERROR"),
    ] {
        let err = client.chain(path).get(json!({ "query": query })).expect_err("400");
        let api = err.api().unwrap_or_else(|| panic!("{err}"));
        assert_eq!((api.status().as_u16(), api.code()), (400, Some(code)), "{path} {query}");
    }
    // Today (China Standard Time) and a leap day are fine.
    for date in ["2024-11-25", "2024-02-29"] {
        assert!(client.chain("v3/bill/tradebill").get(json!({"query": {"bill_date": date}})).is_ok(), "{date}");
    }
    let err = client.chain("v3/bill/tradebill").post(json!({"json": {}})).expect_err("405");
    assert_eq!(err.api().map(|a| a.status().as_u16()), Some(405));
}

#[test]
fn fund_flow_bills() {
    let (_sandbox, client, _) = setup();
    for account in ["BASIC", "OPERATION", "FEES"] {
        for gzip in [false, true] {
            let mut query = json!({"bill_date": "2024-11-20", "account_type": account});
            if gzip {
                query["tar_type"] = json!("GZIP");
            }
            let (hash, _, file) = fetch_bill(&client, "v3/bill/fundflowbill", query);
            let bytes = if gzip { gunzip_stored(file.body()) } else { file.body().to_vec() };
            assert_eq!(sha1_hex(&bytes), hash, "{account} {gzip}: the digest of the original bill");
            let csv = String::from_utf8(bytes).expect("UTF-8");
            let lines: Vec<&str> = csv.lines().collect();
            assert!(lines[0].starts_with("记账时间,微信支付业务单号,资金流水单号,"), "{}", lines[0]);
            assert!(lines[1].starts_with("`2024-11-20 "), "{}", lines[1]);
            assert!(lines[lines.len() - 2].starts_with("资金流水总笔数,"));
            let rows = lines.len() - 3;
            assert!(lines[lines.len() - 1].starts_with(&format!("`{rows},")), "{account}: {csv}");
        }
    }
    // Without account_type: BASIC.
    let (hash, _, _) = fetch_bill(&client, "v3/bill/fundflowbill", json!({"bill_date": "2024-11-20"}));
    let (basic, _, _) =
        fetch_bill(&client, "v3/bill/fundflowbill", json!({"bill_date": "2024-11-20", "account_type": "BASIC"}));
    assert_eq!(hash, basic);
}

#[test]
fn real_name_fields_are_encrypted_for_the_merchant() {
    let (sandbox, client, _) = setup();
    let private =
        rsa::PrivateKey::from_pkcs8_pem(sandbox.keys().merchant_private_key_pem()).expect("merchant private key");
    let ask = |info_type: &str, face_sid: &str| {
        let res = client
            .chain("v3/facemch/users/{face_sid}")
            .get(json!({
                "face_sid": face_sid,
                "query": {"info_type": info_type, "appid": "wx2b029c08a6233333", "sub_appid": "wx2b029c08a6255555"},
            }))
            .expect("answer");
        res.json().expect("JSON")
    };
    let decrypt = |b64: &Value| {
        use base64::Engine;
        let sealed = base64::engine::general_purpose::STANDARD.decode(b64.as_str().expect("string")).expect("base64");
        assert_eq!(sealed.len(), 256, "one RSA-2048 block");
        String::from_utf8(private.oaep_decrypt::<sha1::Sha1>(&sealed).expect("RSA-OAEP/SHA-1")).expect("UTF-8")
    };

    let doc = ask("ASK_REAL_NAME", "aabbccdd12345");
    let unionid = ask("ASK_UNIONID", "aabbccdd12345");
    for field in ["union_id", "openid", "sub_openid"] {
        assert_eq!(doc[field], unionid[field], "{field}");
    }
    assert!(unionid.get("real_name_info").is_none());
    let info = &doc["real_name_info"];
    assert!(info["credential_type"].is_u64(), "an integer, not a string: {info}");
    assert_eq!(info["credential_type"], 1);
    let (name, number) = (decrypt(&info["encrypted_real_name"]), decrypt(&info["encrypted_credential_id"]));
    assert!(!name.is_empty() && !name.is_ascii(), "{name}");
    assert_eq!(number.len(), 18);
    assert!(number[..17].bytes().all(|b| b.is_ascii_digit()), "{number}");

    // Stable per face_sid (OAEP is randomized, so the ciphertexts differ).
    let again = ask("ASK_REAL_NAME", "aabbccdd12345");
    assert_ne!(again["real_name_info"]["encrypted_real_name"], info["encrypted_real_name"]);
    assert_eq!(decrypt(&again["real_name_info"]["encrypted_real_name"]), name);
    assert_eq!(decrypt(&again["real_name_info"]["encrypted_credential_id"]), number);
    let other = ask("ASK_REAL_NAME", "another-face-sid");
    assert_ne!(decrypt(&other["real_name_info"]["encrypted_credential_id"]), number);
}
