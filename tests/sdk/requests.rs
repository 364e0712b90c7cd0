//! Request building without the network: templates, percent-encoding, options, and every refusal.

use crate::common::*;
use serde_json::json;
use wechatpay_chain::error::InputErrorKind;
use wechatpay_chain::http::Method;
use wechatpay_chain::request::Api;
use wechatpay_chain::{Client, Error, Options, PreparedRequest};

fn client() -> Client {
    vector_builder().build().expect("client")
}

fn get(template: &str, options: impl Into<Options>) -> Result<PreparedRequest, Error> {
    client().chain(template).prepare(Method::GET, options)
}

fn kind(result: Result<PreparedRequest, Error>) -> (InputErrorKind, String) {
    match result {
        Err(Error::Input(e)) => {
            assert!(!Error::Input(e.clone()).may_have_been_sent());
            (e.kind(), e.message().to_owned())
        }
        other => panic!("expected an input error, got {other:?}"),
    }
}

#[test]
fn placeholders_in_all_three_forms_mean_the_same() {
    let c = client();
    let options = json!({"face_sid": "aabbccdd12345", "query": {"info_type": "ASK_UNIONID"}});
    let targets: Vec<String> = [
        c.v3().facemch().users().param("face_sid").prepare(Method::GET, &options),
        c.chain("v3/facemch/users/{face_sid}").prepare(Method::GET, &options),
        c.chain("v3/facemch/users/<face_sid>").prepare(Method::GET, &options),
        c.chain("v3/facemch/users/_face_sid_").prepare(Method::GET, &options),
        c.v3().facemch().users().seg("{face_sid}").prepare(Method::GET, &options),
    ]
    .into_iter()
    .map(|p| p.expect("prepare").request_target().to_owned())
    .collect();
    assert!(targets.iter().all(|t| t == "/v3/facemch/users/aabbccdd12345?info_type=ASK_UNIONID"), "{targets:?}");
}

#[test]
fn values_and_literals_are_never_case_mangled() {
    let p = client()
        .v3()
        .pay()
        .transactions()
        .out_trade_no()
        .param("out_trade_no")
        .prepare(Method::GET, json!({"out_trade_no": "N123abcXYZ"}))
        .expect("prepare");
    assert_eq!(p.request_target(), "/v3/pay/transactions/out-trade-no/N123abcXYZ");
    let p = get("v3/pay/transactions/out-trade-no/N123", ()).expect("prepare");
    assert_eq!(p.request_target(), "/v3/pay/transactions/out-trade-no/N123");
    let p = client().v3().seg("secapi/mch/addInstitutionsub").prepare(Method::GET, ()).expect("prepare");
    assert_eq!(p.request_target(), "/v3/secapi/mch/addInstitutionsub");
}

#[test]
fn path_values_are_encoded_like_rawurlencode() {
    let p = get("v3/x/{v}", json!({"v": "中 文~!*()'"})).expect("prepare");
    assert_eq!(p.request_target(), "/v3/x/%E4%B8%AD%20%E6%96%87~%21%2A%28%29%27");
    let p = get("v3/x/{v}", json!({"v": "a/b?c#d%2F"})).expect("prepare");
    assert_eq!(p.request_target(), "/v3/x/a%2Fb%3Fc%23d%252F");
    // {+v} keeps reserved characters and existing escapes (a complaint image id arrives encoded).
    let p = get("v3/merchant-service/images/{+media_id}", json!({"media_id": "ChsyMDIzMDgwMTE%2FVGVzdA=="}))
        .expect("prepare");
    assert_eq!(p.request_target(), "/v3/merchant-service/images/ChsyMDIzMDgwMTE%2FVGVzdA==");
    let p = client()
        .v3()
        .merchant_service()
        .images()
        .param("+media_id")
        .prepare(Method::GET, json!({"media_id": "a/b"}))
        .expect("prepare");
    assert_eq!(p.request_target(), "/v3/merchant-service/images/a/b");
    // Integers and `true`; query expressions drop undefined variables.
    let p = get("v3/x/{n}/{b}{?limit,offset}", json!({"n": 1900006491, "b": true, "limit": 10})).expect("prepare");
    assert_eq!(p.request_target(), "/v3/x/1900006491/1?limit=10");
}

#[test]
fn missing_and_dangerous_variables_are_refused() {
    let (k, m) = kind(get("v3/pay/transactions/id/{transaction_id}", ()));
    assert_eq!(k, InputErrorKind::MissingVariable);
    assert!(m.contains("transaction_id"), "{m}");
    assert_eq!(kind(get("v3/x/{a}", json!({"a": null}))).0, InputErrorKind::MissingVariable);
    for bad in [json!(""), json!(false), json!("."), json!("..")] {
        assert_eq!(kind(get("v3/x/{a}/close", json!({"a": bad}))).0, InputErrorKind::BadVariable, "{bad}");
    }
    // Reserved expansion cannot smuggle dot segments in either.
    assert_eq!(kind(get("v3/x/{+a}", json!({"a": "y/../../v3/refund"}))).0, InputErrorKind::BadVariable);
    assert_eq!(kind(get("v3/x/{+a}", json!({"a": "%2e%2E"}))).0, InputErrorKind::BadVariable);
    // Malformed templates and placeholder names.
    for template in ["v3/{", "v3/x}", "v3/{}", "v3/{a b}", "v3/{#a}", "v3/<a", "v3/a>"] {
        assert_eq!(kind(get(template, json!({"a": "1"}))).0, InputErrorKind::Template, "{template}");
    }
    assert_eq!(kind(client().v3().param("a}b").prepare(Method::GET, ())).0, InputErrorKind::Template);
}

#[test]
fn unknown_and_conflicting_options_are_refused() {
    let (k, m) = kind(get("v3/certificates", json!({"face_sid": "x"})));
    assert_eq!(k, InputErrorKind::UnknownOption);
    assert!(m.contains("face_sid") && m.contains("v3/certificates"), "{m}");
    let (_, m) = kind(get("v3/certificates", json!({"http_errors": false})));
    assert!(m.contains("Guzzle"), "{m}");
    let (_, m) = kind(get("v3/certificates", json!({"xml": {}})));
    assert!(m.contains("APIv2"), "{m}");
    assert_eq!(kind(get("v3/x", json!({"json": {}, "body": "{}"}))).0, InputErrorKind::ConflictingOptions);
    assert_eq!(kind(get("v3/x?limit=1", json!({"query": {"offset": 0}}))).0, InputErrorKind::ConflictingOptions);
    assert_eq!(kind(get("v3/x/{query}", json!({"query": "q"}))).0, InputErrorKind::ConflictingOptions);
    for header in ["Authorization", "content-length", "Host", "Transfer-Encoding"] {
        assert_eq!(
            kind(get("v3/x", json!({"headers": {header: "x"}}))).0,
            InputErrorKind::ConflictingOptions,
            "{header}"
        );
    }
    assert_eq!(
        kind(get("v3/x", Options::new().query("a", 1).query_string("b=2"))).0,
        InputErrorKind::ConflictingOptions
    );
    assert_eq!(kind(get("v3/x", Options::new().json(&json!({})).body("{}"))).0, InputErrorKind::ConflictingOptions);
    assert_eq!(kind(get("v3/x", Options::new().param("json", 1))).0, InputErrorKind::ConflictingOptions);
}

#[test]
fn options_of_the_wrong_shape_are_refused() {
    for options in [
        json!("face_sid"),
        json!([1, 2]),
        json!({"query": 123}),
        json!({"query": [1]}),
        json!({"body": {"a": 1}}),
        json!({"headers": "Accept: */*"}),
        json!({"headers": ["Accept: */*"]}),
        json!({"headers": null}),
        json!({"headers": {"X-A": {"nested": 1}}}),
        json!({"headers": {"X-A": "line\r\nbreak"}}),
        json!({"headers": {"bad name": "x"}}),
        json!({"base_uri": 1}),
        json!({"timeout": 0}),
        json!({"timeout": "5"}),
    ] {
        assert_eq!(kind(get("v3/x", options.clone())).0, InputErrorKind::InvalidOption, "{options}");
    }
    assert_eq!(kind(get("v3/x", json!({"base_uri": "http://example.com/"}))).0, InputErrorKind::Url);
    assert_eq!(kind(get("v3/x", json!({"base_uri": "not a url"}))).0, InputErrorKind::Url);
    assert_eq!(kind(get("v3/x", Options::new().header("X-A", "a\nb"))).0, InputErrorKind::InvalidOption);
    assert_eq!(kind(get("v3/x", Options::new().timeout(std::time::Duration::ZERO))).0, InputErrorKind::InvalidOption);
}

#[test]
fn queries_serialize_like_php_http_build_query() {
    let p = get(
        "v3/x",
        json!({"query": {"z": "last?", "a": true, "b": false, "n": null, "e": "", "f": 1.5, "ids": [1, 2], "m": {"k": "v w"}}}),
    )
    .expect("prepare");
    assert_eq!(p.request_target(), "/v3/x?z=last%3F&a=1&b=0&e=&f=1.5&ids%5B0%5D=1&ids%5B1%5D=2&m%5Bk%5D=v%20w");
    let p = get("v3/x", json!({"query": "a=1&b=c d&e=中"})).expect("prepare");
    assert_eq!(p.request_target(), "/v3/x?a=1&b=c%20d&e=%E4%B8%AD");
    let p = get("v3/x", Options::new().query("b", 2).query("a", 1)).expect("prepare");
    assert_eq!(p.request_target(), "/v3/x?b=2&a=1");
    let p = get("v3/x", json!({"query": {}})).expect("prepare");
    assert_eq!(p.request_target(), "/v3/x");
}

#[test]
fn json_bodies_are_serialized_once_in_key_order() {
    #[derive(serde::Serialize)]
    struct Prepay<'a> {
        mchid: &'a str,
        out_trade_no: &'a str,
        amount: u64,
    }
    let p = client()
        .v3()
        .pay()
        .transactions()
        .native()
        .prepare(Method::POST, json!({"json": {"zeta": 1, "alpha": {"b": 2, "a": 1}, "description": "深圳/腾大"}}))
        .expect("prepare");
    assert_eq!(p.body().as_ref(), "{\"zeta\":1,\"alpha\":{\"b\":2,\"a\":1},\"description\":\"深圳/腾大\"}".as_bytes());
    assert_eq!(p.headers()["content-type"], "application/json");
    let typed = client()
        .v3()
        .pay()
        .transactions()
        .native()
        .prepare(Method::POST, Options::new().json(&Prepay { mchid: MCHID, out_trade_no: "T1", amount: 1 }))
        .expect("prepare");
    assert_eq!(typed.body().as_ref(), b"{\"mchid\":\"1900000001\",\"out_trade_no\":\"T1\",\"amount\":1}");
    // The signed message carries exactly the bytes that are sent.
    let message = typed.sign_message(1, "n");
    assert!(message.ends_with(b"{\"mchid\":\"1900000001\",\"out_trade_no\":\"T1\",\"amount\":1}\n"));
    // Raw bodies are sent verbatim, with PHP's default Content-Type.
    let raw = get("v3/x", json!({"body": "{\"a\" : 1}"})).expect("prepare");
    assert_eq!(raw.body().as_ref(), b"{\"a\" : 1}");
    assert_eq!(raw.headers()["content-type"], "application/json; charset=utf-8");
}

#[test]
fn headers_defaults_and_overrides() {
    let p = get("v3/x", ()).expect("prepare");
    assert_eq!(p.headers()["accept"], wechatpay_chain::request::DEFAULT_ACCEPT);
    let ua = p.headers()["user-agent"].to_str().expect("ua");
    assert!(ua.starts_with(&format!("wechatpay-chain/{} (", env!("CARGO_PKG_VERSION"))), "{ua}");
    assert!(p.headers().get("content-type").is_none());
    let p = get(
        "v3/x",
        json!({"headers": {"Accept": "application/x-gzip", "Wechatpay-Serial": PUB_KEY_ID, "X-Multi": ["a", "b"]}}),
    )
    .expect("prepare");
    assert_eq!(p.headers()["accept"], "application/x-gzip");
    assert_eq!(p.headers()["wechatpay-serial"], PUB_KEY_ID);
    assert_eq!(p.headers().get_all("x-multi").iter().count(), 2);
    let c = vector_builder().user_agent_suffix("shop/2.1").build().expect("client");
    let p = c.chain("v3/x").prepare(Method::GET, ()).expect("prepare");
    assert!(p.headers()["user-agent"].to_str().expect("ua").ends_with(") shop/2.1"));
}

#[test]
fn urls_resolve_against_the_base() {
    let hk = vector_builder().base_uri("https://api.mch.weixin.qq.com/hk/").build().expect("client");
    let p = hk.chain("v3/statements").prepare(Method::GET, ()).expect("prepare");
    assert_eq!(p.url().to_string(), "https://api.mch.weixin.qq.com/hk/v3/statements");
    let p = hk.chain("/v3/certificates").prepare(Method::GET, ()).expect("prepare");
    assert_eq!(p.url().to_string(), "https://api.mch.weixin.qq.com/v3/certificates");
    let p = get("https://apihk.mch.weixin.qq.com/v3/global/statements", ()).expect("prepare");
    assert_eq!(p.url().to_string(), "https://apihk.mch.weixin.qq.com/v3/global/statements");
    let p = get("v3/x", json!({"base_uri": "https://api2.mch.weixin.qq.com/"})).expect("prepare");
    assert_eq!(p.url().to_string(), "https://api2.mch.weixin.qq.com/v3/x");
    assert_eq!(kind(get("http://example.com/v3/x", ())).0, InputErrorKind::Url);
    assert_eq!(kind(get("//example.com/v3/x", ())).0, InputErrorKind::Url);
    assert_eq!(kind(get("v3/x#frag", ())).0, InputErrorKind::Url);
    let p = client()
        .v3()
        .applyment4sub()
        .applyment()
        .trailing_slash()
        .prepare(Method::POST, json!({"json": {}}))
        .expect("prepare");
    assert_eq!(p.request_target(), "/v3/applyment4sub/applyment/");
}

#[test]
fn apiv2_paths_go_to_the_xml_pipeline_without_their_prefix() {
    let forms = [
        ("v2/pay/micropay", json!({})),
        ("V2/pay/micropay", json!({})),
        // wechatpay-php sends `/v2/pay/micropay` to the APIv3 client; here it is the same endpoint.
        ("/v2/pay/micropay", json!({})),
        ("{+u}", json!({"u": "v2/pay/micropay"})),
    ];
    for (template, mut options) in forms {
        options["xml"] = json!({"mch_id": MCHID, "nonce_str": "n"});
        let p = client().chain(template).prepare(Method::POST, options).expect(template);
        assert_eq!(p.api(), Api::V2 { security: false }, "{template}");
        assert_eq!(p.request_target(), "/pay/micropay", "{template}");
        assert!(p.headers().get("authorization").is_none());
        assert_eq!(p.headers()["content-type"], "text/xml; charset=utf-8");
    }
    // A bare `v2` is an ordinary APIv3 path, as in PHP.
    let bare = get("v2", ()).expect("prepare");
    assert_eq!((bare.request_target(), bare.api()), ("/v2", Api::V3));
    // APIv2 options on an APIv3 path, and APIv3 bodies on an APIv2 path, are refused.
    for options in [json!({"xml": {}}), json!({"nonceless": true}), json!({"security": true})] {
        let (k, m) = kind(get("v3/certificates", options));
        assert_eq!(k, InputErrorKind::ConflictingOptions);
        assert!(m.contains("APIv2"), "{m}");
    }
    let post = |options| client().chain("v2/pay/micropay").prepare(Method::POST, options);
    assert_eq!(kind(post(json!({"json": {"mch_id": MCHID}}))).0, InputErrorKind::ConflictingOptions);
    assert_eq!(kind(post(json!({"body": "<xml/>"}))).0, InputErrorKind::ConflictingOptions);
    assert_eq!(kind(post(json!({"xml": "mch_id=1"}))).0, InputErrorKind::InvalidOption);
    assert_eq!(kind(post(json!({"xml": {"mch_id": MCHID}, "security": "yes"}))).0, InputErrorKind::InvalidOption);
    // An APIv2 GET signs its query; `xml` there is a mistake.
    let (k, m) = kind(get("v2/pay/downloadbill", json!({"xml": {"mch_id": MCHID}})));
    assert_eq!(k, InputErrorKind::ConflictingOptions);
    assert!(m.contains("query"), "{m}");
    // The typed options say the same.
    let typed = Options::new().xml(&json!({"mch_id": MCHID})).nonceless().security();
    let p = client().v2().risk().getpublickey().prepare(Method::POST, typed).expect("typed");
    assert_eq!(p.api(), Api::V2 { security: true });
    assert!(!std::str::from_utf8(p.body()).expect("utf-8").contains("nonce_str"));
    // Without the APIv2 key there is nothing to sign with.
    let keyless = vector_builder_without_apiv2().build().expect("client");
    let err =
        keyless.v2().pay().micropay().prepare(Method::POST, json!({"xml": {"mch_id": MCHID}})).expect_err("no key");
    assert!(matches!(&err, Error::Config(_)) && err.to_string().contains("apiv2_key"), "{err}");
}

fn vector_builder_without_apiv2() -> wechatpay_chain::ClientBuilder {
    Client::builder()
        .mchid(MCHID)
        .serial(MERCHANT_SERIAL)
        .private_key(key_uri("merchant_apiclient_key.pem"))
        .cert(PLATFORM_SERIAL, key_uri("platform_cert.pem"))
}

#[test]
fn option_debug_output_hides_bodies_and_header_values() {
    let o = Options::from(json!({"json": {"name": "张三"}, "headers": {"Wechatpay-Serial": PUB_KEY_ID}}));
    let text = format!("{o:?}");
    assert!(!text.contains("张三") && !text.contains(PUB_KEY_ID), "{text}");
    assert!(text.contains("json, "), "{text}");
}
