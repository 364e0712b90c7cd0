//! Multipart boundaries.

use super::*;

#[test]
fn boundaries_with_specials_are_quoted_and_reach_the_server_intact() {
    use wechatpay_chain::Media;
    let png = b"\x89PNG\r\n\x1a\n-hostile".to_vec();
    let client = vector_builder().build().unwrap();
    let media = Media::from_bytes("logo.png", png.clone()).unwrap().boundary("a=b/c?d").unwrap();
    let prepared = client
        .v3()
        .merchant()
        .media()
        .upload()
        .prepare(wechatpay_chain::http::Method::POST, Options::new().media(media))
        .unwrap();
    assert_eq!(prepared.headers()["content-type"], "multipart/form-data; boundary=\"a=b/c?d\"");
    assert!(prepared.body().starts_with(b"--a=b/c?d\r\n"));

    // The sandbox (an independent multipart parser) reads it and accepts the upload.
    let sandbox = wechatpay_sandbox::Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    for boundary in ["a=b", "with space", "plain-token_1.2"] {
        let media = Media::from_bytes("logo.png", png.clone()).unwrap().boundary(boundary).unwrap();
        let answer = client.v3().merchant().media().upload().post(Options::new().media(media)).unwrap();
        assert!(answer.json().unwrap()["media_id"].as_str().is_some_and(|id| !id.is_empty()), "{boundary}");
    }
    for bad in ["", "trailing ", "semi;colon", "quote\"d"] {
        assert!(Media::from_bytes("logo.png", png.clone()).unwrap().boundary(bad).is_err(), "{bad:?}");
    }
}
