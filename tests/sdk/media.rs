//! Media uploads through the client against the sandbox: `Options::media` on the path-template and
//! generated chain forms, blocking and async, images and videos, custom meta, every way to build a
//! `Media`, and the refusals that happen before anything is sent.

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use ring::digest;
use serde_json::{Value, json};
use wechatpay_chain::error::InputErrorKind;
use wechatpay_chain::http::Method;
use wechatpay_chain::media::MAX_FILE_SIZE;
use wechatpay_chain::{Client, Error, Media, Options, Sent};
use wechatpay_sandbox::{Sandbox, Verdict};

fn setup() -> (Sandbox, Client) {
    let sandbox = Sandbox::start().expect("sandbox");
    let client = sandbox.client_builder().build().expect("client");
    (sandbox, client)
}

/// A small PNG-looking file, distinct per `tag`.
fn png(tag: &str) -> Vec<u8> {
    [&b"\x89PNG\r\n\x1a\n"[..], &[0u8; 64], tag.as_bytes()].concat()
}

fn mp4() -> Vec<u8> {
    [&b"\0\0\0\x18ftypisom\0\0\0\x01isomavc1"[..], &[1u8; 4096]].concat()
}

fn media_id(res: &wechatpay_chain::Response) -> String {
    let id = res.json().expect("JSON")["media_id"].as_str().expect("media_id").to_owned();
    assert!(id.len() >= 40, "{id}");
    id
}

fn media_error(err: &Error) -> &str {
    match err {
        Error::Input(e) if e.kind() == InputErrorKind::Media => e.message(),
        other => panic!("expected a media refusal, got {other:?}"),
    }
}

/// The `meta` part of a logged multipart body (between the first blank line and the next CRLF).
fn logged_meta(body: &[u8]) -> Value {
    let text = String::from_utf8_lossy(body);
    let after = text.split_once("\r\n\r\n").expect("meta part").1;
    serde_json::from_str(after.split_once("\r\n").expect("meta end").0).expect("meta JSON")
}

#[test]
fn image_upload_through_the_chain() {
    let (sandbox, client) = setup();
    let file = png("a");
    let media = Media::from_bytes("商品图.png", file.clone()).expect("media");
    let res = client.chain("v3/merchant/media/upload").post(Options::new().media(media.clone())).expect("upload");
    assert_eq!(res.status(), 200);
    let id = media_id(&res);

    let logged = &sandbox.requests()[0];
    assert_eq!(logged.verdict, Verdict::Authenticated);
    let content_type = logged.header("content-type").expect("content type");
    let boundary = content_type.strip_prefix("multipart/form-data; boundary=").expect("multipart");
    assert!(boundary.len() == 40 && boundary.bytes().all(|b| b.is_ascii_hexdigit()), "{boundary}");
    assert_eq!(logged.header("content-length"), Some(logged.body.len().to_string().as_str()));
    assert!(logged.header("transfer-encoding").is_none());
    // The meta part names the file with `\u` escapes (as wechatpay-php); the file part in raw UTF-8.
    let text = String::from_utf8_lossy(&logged.body);
    assert!(text.contains(r#"{"filename":"\u5546\u54c1\u56fe.png","sha256":""#), "{text}");
    assert!(text.contains("filename=\"商品图.png\"\r\nContent-Length: 73\r\nContent-Type: image/png\r\n"), "{text}");
    assert_eq!(logged_meta(&logged.body)["sha256"], media.sha256());

    // The generated chain method, and a fresh random boundary per request; same file, same id.
    let again = client.v3().merchant().media().upload().post(Options::new().media(media)).expect("upload");
    assert_eq!(media_id(&again), id);
    let second = &sandbox.requests()[1];
    assert_ne!(second.header("content-type"), logged.header("content-type"));
}

#[tokio::test(flavor = "current_thread")]
async fn async_upload() {
    let (_sandbox, client) = setup();
    let media = Media::from_reader("async.jpg", &png("async")[..]).await.expect("media");
    let res = client.v3().merchant().media().upload().post_async(Options::new().media(media)).await.expect("upload");
    media_id(&res);
}

#[test]
fn video_upload() {
    let (sandbox, client) = setup();
    let media = Media::from_bytes("clip.MP4", mp4()).expect("media");
    assert_eq!(media.content_type(), "video/mp4");
    let res = client.v3().merchant().media().video_upload().post(Options::new().media(media)).expect("upload");
    media_id(&res);
    assert_eq!(sandbox.requests()[0].target, "/v3/merchant/media/video_upload");
}

#[test]
fn custom_meta() {
    let (sandbox, client) = setup();
    let media = Media::from_bytes("card.jpg", png("card")).expect("media");
    let mut meta = json!({"bank_type": "ICBC_DEBIT"});
    meta.as_object_mut().expect("object").extend(media.default_meta());
    let media = media.meta(meta).expect("meta");
    client.chain("v3/merchant/media/upload").post(Options::new().media(media)).expect("upload");
    let logged = logged_meta(&sandbox.requests()[0].body);
    assert_eq!(logged.as_object().expect("object").keys().collect::<Vec<_>>(), ["bank_type", "filename", "sha256"]);

    // Verbatim meta text, and a meta whose digest is not the file's.
    let media = Media::from_bytes("x.png", png("x")).expect("media");
    let text = format!(r#"{{"sha256":"{}","filename":"x.png"}}"#, media.sha256());
    let verbatim = media.clone().meta_json(text.clone()).expect("meta_json");
    assert_eq!(verbatim.meta_bytes().as_ref(), text.as_bytes());
    client.chain("v3/merchant/media/upload").post(Options::new().media(verbatim)).expect("upload");
    let wrong = json!({"filename": "x.png", "sha256": "00"});
    assert!(media_error(&media.clone().meta(wrong).expect_err("wrong digest")).contains("SHA-256"));
    assert!(media.clone().meta(json!(["not", "an", "object"])).is_err());
    assert!(media.meta_json("{").is_err());
}

#[test]
fn refusals_send_nothing() {
    let (sandbox, client) = setup();
    let upload = client.v3().merchant().media().upload();
    let video = client.v3().merchant().media().video_upload();

    // Oversize, per endpoint: 2 MiB images, 5 MiB videos.
    let big = |name: &str, size: usize| Media::from_bytes(name, vec![7u8; size]).expect("media");
    let err = upload.post(Options::new().media(big("big.png", 2 * 1024 * 1024 + 1))).expect_err("too large");
    assert_eq!(err.sent(), Sent::No);
    assert!(media_error(&err).contains("2097152"), "{err}");
    let err = video.post(Options::new().media(big("big.mp4", 5 * 1024 * 1024 + 1))).expect_err("too large");
    assert!(media_error(&err).contains("5 MiB"), "{err}");
    // General cap elsewhere: 5 MiB for an image, 10 MiB for anything else (the most a Media holds).
    let general = client.chain("v3/marketing/favor/media/image-upload");
    media_error(&general.post(Options::new().media(big("big.gif", 5 * 1024 * 1024 + 1))).expect_err("image cap"));
    let err = Media::from_bytes("huge.pdf", vec![0u8; MAX_FILE_SIZE + 1]).expect_err("over the cap");
    media_error(&err);
    // Exactly at the limit passes the check (prepare only).
    upload.prepare(Method::POST, Options::new().media(big("edge.png", 2 * 1024 * 1024))).expect("at the limit");

    // Extensions.
    let err = upload.post(Options::new().media(Media::from_bytes("anim.gif", png("g")).expect("m"))).expect_err("gif");
    assert!(media_error(&err).contains("jpg, jpeg, png, bmp; this file has the extension `.gif`"), "{err}");
    media_error(&video.post(Options::new().media(Media::from_bytes("a.png", mp4()).expect("m"))).expect_err("png"));
    media_error(&upload.post(Options::new().media(Media::from_bytes("blob", png("b")).expect("m"))).expect_err("none"));
    media_error(
        &upload.post(Options::new().media(Media::from_bytes("e.png", Vec::new()).expect("m"))).expect_err("empty"),
    );

    // Wrong method, wrong endpoint, conflicting options.
    let ok = || Media::from_bytes("ok.png", png("ok")).expect("m");
    media_error(&upload.get(Options::new().media(ok())).expect_err("GET"));
    media_error(&upload.put(Options::new().media(ok())).expect_err("PUT"));
    let err = client.v3().pay().transactions().jsapi().post(Options::new().media(ok())).expect_err("not an upload");
    assert!(media_error(&err).contains("not a media upload endpoint"), "{err}");
    for options in [
        Options::new().media(ok()).json(&json!({"a": 1})),
        Options::new().body("{}").media(ok()),
        Options::new().media(ok()).media(ok()),
        Options::new().media(ok()).header("Content-Type", "multipart/form-data; boundary=x"),
    ] {
        let err = upload.post(options).expect_err("conflict");
        assert!(matches!(&err, Error::Input(e) if e.kind() == InputErrorKind::ConflictingOptions), "{err}");
    }
    // PHP-array options have no `media` key (a file is not JSON); the error says what to use instead.
    let err = upload.post(json!({"media": "a.png"})).expect_err("no media key");
    assert!(matches!(&err, Error::Input(e) if e.kind() == InputErrorKind::UnknownOption), "{err}");
    assert!(err.to_string().contains("Media::from_path"), "{err}");

    assert!(sandbox.requests().is_empty(), "nothing may be sent");

    // Options from JSON combine with a typed media.
    let package = client.chain("v3/marketing/bank/packages/{package_id}/tasks");
    let prepared = package
        .prepare(
            Method::POST,
            Options::from(json!({"package_id": "1234"})).media(Media::from_bytes("ids.csv", "a\n").expect("m")),
        )
        .expect("prepare");
    assert_eq!(prepared.request_target(), "/v3/marketing/bank/packages/1234/tasks");
    assert!(String::from_utf8_lossy(prepared.body()).contains("Content-Type: text/csv\r\n"));
}

#[test]
fn from_path() {
    let (_sandbox, client) = setup();
    let dir = std::env::temp_dir().join(format!("wechatpay-media-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("营业执照.jpg");
    std::fs::write(&path, png("path")).expect("write");
    let media = Media::from_path(&path).expect("from_path");
    assert_eq!(media.filename(), "营业执照.jpg");
    assert_eq!(media.content_type(), "image/jpeg");
    let expected = digest::digest(&digest::SHA256, &png("path"));
    assert_eq!(media.sha256(), expected.as_ref().iter().map(|b| format!("{b:02x}")).collect::<String>());
    let res = client.v3().merchant().media().upload().post(Options::new().media(media)).expect("upload");
    media_id(&res);

    let missing = Media::from_path(dir.join("missing.png")).expect_err("missing");
    assert!(media_error(&missing).contains("cannot open"), "{missing}");
    let large = dir.join("large.mp4");
    std::fs::write(&large, vec![0u8; MAX_FILE_SIZE + 1]).expect("write");
    media_error(&Media::from_path(&large).expect_err("too large"));
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

/// An endless reader that counts what it hands out.
struct Endless<'a>(&'a AtomicUsize);

impl tokio::io::AsyncRead for Endless<'_> {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let n = buf.remaining().min(10_000);
        buf.put_slice(&vec![0u8; n]);
        self.0.fetch_add(n, Ordering::SeqCst);
        Poll::Ready(Ok(()))
    }
}

#[tokio::test(flavor = "current_thread")]
async fn from_reader_stops_at_the_cap() {
    let count = AtomicUsize::new(0);
    let err = Media::from_reader("endless.mp4", Endless(&count)).await.expect_err("endless");
    assert!(media_error(&err).contains("larger than"), "{err}");
    let read = count.load(Ordering::SeqCst);
    assert!(read > MAX_FILE_SIZE && read <= MAX_FILE_SIZE + 10_000, "{read}");

    // A failing reader surfaces its error.
    struct Broken;
    impl tokio::io::AsyncRead for Broken {
        fn poll_read(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            _: &mut tokio::io::ReadBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            Poll::Ready(Err(std::io::Error::other("disk on fire")))
        }
    }
    let err = Media::from_reader("x.png", Broken).await.expect_err("broken");
    assert!(media_error(&err).contains("disk on fire"), "{err}");
}

#[test]
fn debug_hides_names_and_bytes() {
    let media = Media::from_bytes("张三身份证.jpg", png("secret")).expect("media");
    let shown = format!("{media:?} {:?}", Options::new().media(media.clone()));
    assert!(!shown.contains("张三") && !shown.contains("secret"), "{shown}");
    assert!(shown.contains("media, 78 bytes"), "{shown}");
}
