//! The sandbox's header and body rules on correctly signed requests: `Accept` and `User-Agent` are
//! required, and a JSON body must be valid JSON. Requests are signed by the client and sent raw, so a
//! header can be left out.

use crate::common::raw_request;
use serde_json::{Value, json};
use wechatpay_chain::http::Method;
use wechatpay_chain::{Client, Options};
use wechatpay_sandbox::{Sandbox, Verdict};

/// Signs `options` for `method template` with the client and returns target, headers and body.
fn signed(
    client: &Client,
    method: Method,
    template: &str,
    options: Options,
) -> (String, Vec<(String, String)>, Vec<u8>) {
    let prepared = client.chain(template).prepare(method, options).unwrap();
    let timestamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let nonce = wechatpay_chain::auth::nonce().unwrap();
    let authorization = client.authorization(&prepared, timestamp, &nonce).unwrap();
    let mut headers: Vec<(String, String)> =
        prepared.headers().iter().map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned())).collect();
    headers.push(("Authorization".to_owned(), authorization));
    (prepared.request_target().to_owned(), headers, prepared.body().to_vec())
}

fn without(headers: &[(String, String)], name: &str) -> Vec<(String, String)> {
    headers.iter().filter(|(n, _)| !n.eq_ignore_ascii_case(name)).cloned().collect()
}

#[test]
fn accept_and_user_agent_are_required_and_json_must_parse() {
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    let face =
        Options::from(json!({"face_sid": "abc", "query": {"info_type": "ASK_UNIONID", "appid": "wx2b029c08a6233333"}}));
    let (target, headers, body) = signed(&client, Method::GET, "v3/facemch/users/{face_sid}", face);

    let (status, _, _) = raw_request(sandbox.addr(), "GET", &target, &headers, &body);
    assert_eq!(status, 200, "the complete request is fine");
    for missing in ["accept", "user-agent"] {
        let (status, answer_headers, answer) =
            raw_request(sandbox.addr(), "GET", &target, &without(&headers, missing), &body);
        let answer: Value = serde_json::from_slice(&answer).unwrap();
        assert_eq!((status, answer["code"].as_str()), (400, Some("PARAM_ERROR")), "without {missing}");
        assert!(
            answer_headers.iter().any(|(n, _)| n == "wechatpay-signature"),
            "errors after authentication are signed"
        );
    }

    // A body declared as JSON that is not JSON (signed as sent, so authentication passes).
    let raw = Options::new().body("{not json").header("Content-Type", "application/json");
    let (target, headers, body) = signed(&client, Method::POST, "v3/merchant-service/complaint-notifications", raw);
    let (status, _, answer) = raw_request(sandbox.addr(), "POST", &target, &headers, &body);
    let answer: Value = serde_json::from_slice(&answer).unwrap();
    assert_eq!((status, answer["code"].as_str()), (400, Some("PARAM_ERROR")));
    assert!(answer["message"].as_str().unwrap().contains("JSON"));

    let verdicts: Vec<Verdict> = sandbox.requests().into_iter().map(|r| r.verdict).collect();
    assert_eq!(verdicts[0], Verdict::Authenticated);
    assert!(verdicts[1..].iter().all(|v| matches!(v, Verdict::Invalid { .. })), "{verdicts:?}");
}
